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
from itertools import accumulate

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
    return keys_of(np.fromiter(docnums, np.int64, len(values)),
                   np.fromiter(map(len, values), np.int64, len(values)),
                   np.frombuffer(b"".join(values), np.uint8))


def keys_of(docs: np.ndarray, lengths: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Return the keys of postings given as arrays: their docnums, the lengths of their
    values and the values' bytes end to end (as `Values` holds a block's)."""
    if not len(docs):
        return np.zeros(0, np.int64)
    heads = np.cumsum(lengths) - lengths
    body = np.ones(len(raw), bool)
    body[heads] = False
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


def smallest(numbers: Iterable[int]) -> array:
    """Return non-negative ints below 2**32 as an array of the narrowest unsigned type."""
    numbers = list(numbers)
    top = max(numbers, default=0)
    return array("B" if top <= 0xFF else "H" if top <= 0xFFFF else "I", numbers)


class Values(Sequence):
    """A posting block's values end to end, with their lengths: what a block of a
    PackedPositions field holds in place of a tuple of bytes (``codec.PostingsWriter``).

    Unpickling a block then makes three objects rather than one per posting, and a run
    reads the postings of many blocks as arrays (``keys_of``) without ever making one.
    Whoosh's matchers index and slice it as they do the tuple. Pickled by reference to
    this class: keep it at this import path.
    """

    __slots__ = ("blob", "lengths", "_bounds")

    def __init__(self, blob: bytes, lengths: array):
        #: The values end to end, and their lengths.
        self.blob, self.lengths = blob, lengths
        self._bounds: list[int] | None = None

    @classmethod
    def of(cls, values: Sequence[bytes]) -> Values:
        return cls(b"".join(values), smallest(map(len, values)))

    def __reduce__(self) -> tuple:
        return Values, (self.blob, self.lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i):
        bounds = self._bounds
        if bounds is None:
            bounds = self._bounds = list(accumulate(self.lengths, initial=0))
        blob = self.blob
        if isinstance(i, slice):
            return [blob[bounds[k]:bounds[k + 1]] for k in range(*i.indices(len(bounds) - 1))]
        if i < 0:
            i += len(bounds) - 1
        if not 0 <= i < len(bounds) - 1:
            raise IndexError("posting value index out of range")
        return blob[bounds[i]:bounds[i + 1]]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Values) and self.blob == other.blob
                and self.lengths == other.lengths)

    __hash__ = None  # type: ignore[assignment]
