"""Positions stored as a packed array, for the bigram fields that runs intersect.

Whoosh's ``Positions`` format stores a posting's positions as a count followed by the
pickled list of their deltas: encoding builds and pickles that list, and every run
that checks a candidate unpickles it and sums the deltas again. Here a value is one
type-code byte (``H`` when every position fits in 16 bits, else ``I``) followed by the
positions themselves in native byte order: ``array.tobytes`` to encode, a memoryview
cast to decode, no Python object per position until a set is made of them. On the
corpus's bigram postings that is half the bytes and half the time per candidate a run
checks (``bench/RESULTS.md``).

Whoosh pickles a field's format into the index's table of contents: keep this class at
this import path. Generations built before it keep ``Positions`` and read as they were.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence

import numpy as np
from whoosh.formats import Positions

_SHORT, _LONG = "H", "I"
_LONGEST_SHORT = 0xFFFF
#: Item sizes by type-code byte.
_SIZES = {ord(_SHORT): array(_SHORT).itemsize, ord(_LONG): array(_LONG).itemsize}


def encode(positions: Sequence[int]) -> bytes:
    """Return the value of a posting at these positions (ascending, non-negative)."""
    code = _SHORT if positions[-1] <= _LONGEST_SHORT else _LONG
    return code.encode() + array(code, positions).tobytes()


#: The length of a value holding one position below 2**16: most of a run's candidates
#: (64% of the rarest bigram's postings on the throughput workload).
ONE_SHORT = 1 + array(_SHORT).itemsize


def view(value: bytes) -> memoryview:
    """Return a posting value's positions as a sequence of ints, without copying."""
    return memoryview(value)[1:].cast(chr(value[0]))


def only(value: bytes) -> int:
    """Return the position of a value of length ONE_SHORT (a tenth of `view`'s cost)."""
    return int.from_bytes(value[1:], sys.byteorder)


#: A key holds its position in the bits below this, its docnum above: a position and
#: a distance of at most a query's length (200) never reach the docnum's bits.
KEY_SHIFT = 33
_SHORT_CODE, _LONG_CODE = ord(_SHORT), ord(_LONG)
_DTYPES = {_SHORT_CODE: np.dtype(_SHORT), _LONG_CODE: np.dtype(_LONG)}


def keys(docnums: list[int], values: list[bytes]) -> np.ndarray:
    """Return `docnum << KEY_SHIFT | position` of every position of these postings.

    Ascending when the docnums are. One join and a few array operations for all the
    values, not a Python step per position or per value (beyond their lengths).
    """
    if not values:
        return np.zeros(0, np.int64)
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    raw = np.frombuffer(b"".join(values), np.uint8)
    heads = np.cumsum(lengths) - lengths
    body = np.ones(len(raw), bool)
    body[heads] = False
    docs = np.fromiter(docnums, np.int64, len(values))
    short = raw[heads] == _SHORT_CODE
    if short.all():
        return _keys(docs, lengths, raw[body], _DTYPES[_SHORT_CODE])
    if not short.any():
        return _keys(docs, lengths, raw[body], _DTYPES[_LONG_CODE])
    # Both widths (a document past 65,535 positions, in most of the corpus's larger
    # posting lists): each width apart, picked by masks, then merged.
    short_bytes = np.repeat(short, lengths)
    long = ~short
    parts = (_keys(docs[short], lengths[short], raw[body & short_bytes], _DTYPES[_SHORT_CODE]),
             _keys(docs[long], lengths[long], raw[body & ~short_bytes], _DTYPES[_LONG_CODE]))
    # Two ascending runs: a stable sort (timsort) merges them in one pass.
    return np.sort(np.concatenate(parts), kind="stable")


def _keys(docs: np.ndarray, lengths: np.ndarray, body: np.ndarray,
          dtype: np.dtype) -> np.ndarray:
    """Return the keys of values of one width: their docnums, lengths and joined bodies."""
    positions = body.view(dtype)
    return (np.repeat(docs, (lengths - 1) // dtype.itemsize) << KEY_SHIFT) | positions


class PackedPositions(Positions):
    """Whoosh's Positions format with positions packed as an array (module docstring)."""

    def encode(self, poslist: Iterable[int]) -> bytes:
        return encode(list(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return view(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return (len(valuestring) - 1) // _SIZES[valuestring[0]]
