"""Near-duplicate bodies (reposts, the same text twice) by bottom-k MinHash sketches.

A body's sketch is the K smallest CRC-32 values of its 4-character shingles, taken on the
normalised text with punctuation and spaces removed, so that a repost with other
punctuation, line breaks or a source line added still matches. Two sketches estimate the
Jaccard similarity of the shingle sets (Broder's bottom-k estimator); notices at or above
SIMILAR are near-duplicates. CRC-32 is stable across processes and Python versions
(Python's own hash() is salted per process), and zlib computes it in C.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np

from .textnorm import normalise

#: Values kept per sketch.
K = 32
#: Shingle length in characters.
SHINGLE = 4
#: Bodies shorter than this (after removing punctuation) are not compared: short notices
#: share most of their few shingles by chance.
MIN_CHARS = 80
#: Only the opening of a very long body is sketched: a repost repeats it too.
MAX_CHARS = 30_000
#: Estimated Jaccard similarity from which two bodies are near-duplicates.
SIMILAR = 0.9
#: Candidates share a band of two consecutive sketch values; this many bands are used.
BANDS = 6
_NOISE = re.compile(r"[\W_]+")


def sketch(body: str) -> list[int] | None:
    """Return the sorted bottom-K sketch of a body, or None when it is too short."""
    compact = _NOISE.sub("", normalise(body))[:MAX_CHARS]
    if len(compact) < MIN_CHARS:
        return None
    data = compact.encode("utf-32-le")  # bytes: slicing them is faster than a memoryview
    width = 4 * SHINGLE
    hashes = {zlib.crc32(data[i:i + width]) for i in range(0, len(data) - width + 4, 4)}
    return heapq.nsmallest(K, hashes)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimate the Jaccard similarity of two bodies from their sketches.

    The share of the K smallest values of both sketches together that are in each: the
    estimate's definition, one pair at a time (`similarities` computes it in bulk for the
    candidate pairs when a generation opens).
    """
    in_a, in_b = set(a), set(b)
    union = sorted(in_a | in_b)[:K]
    return len((in_a & in_b).intersection(union)) / len(union) if union else 0.0


def encode(values: Sequence[int]) -> str:
    """Return a sketch as one string for storage (8 hex digits a value)."""
    return "".join(f"{v:08x}" for v in values)


def decode(text: str) -> list[int]:
    """Return the sketch stored by encode."""
    return [int(text[i:i + 8], 16) for i in range(0, len(text), 8)]


def group_numbers(sketches: dict[int, Sequence[int]],
                  threshold: float = SIMILAR) -> list[list[int]]:
    """Return the groups (two or more members) of keys whose sketches are near-duplicates.

    Candidates share a band of two consecutive sketch values (locality-sensitive
    hashing); candidate pairs not yet connected are checked in bulk (`similarities`),
    and groups are the connected pairs. Equal sketches are one candidate (their
    estimate is 1.0).
    """
    keys = list(sketches)
    rows, of_key = np.unique(_matrix([sketches[key] for key in keys]), axis=0,
                             return_inverse=True)
    of_key = of_key.reshape(-1)
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lengths = (rows < _PAD).sum(axis=1)
    for a, b in _candidates(rows, lengths):
        roots = np.array([root(i) for i in range(len(rows))])
        apart = roots[a] != roots[b]
        a, b = a[apart], b[apart]
        close = similarities(rows[a], rows[b]) >= threshold
        for i, j in zip(a[close].tolist(), b[close].tolist(), strict=True):
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for key, row in zip(keys, of_key.tolist(), strict=True):
        groups[root(row)].append(key)
    return [sorted(members) for members in groups.values() if len(members) > 1]


#: Candidate pairs checked in one numpy pass (~100 MB of work arrays at most).
PAIRS_AT_ONCE = 200_000
#: Buckets up to this size have their pairs made at once (and kept, by size).
SMALL_BUCKET = 128
#: Above every CRC-32: pads a short sketch's row with values that match nothing.
_PAD = 1 << 33


def _candidates(rows: np.ndarray, lengths: np.ndarray
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the pairs of rows that share a band (values 2b and 2b+1), in batches of
    about PAIRS_AT_ONCE, each pair once within its batch."""
    count = len(rows)
    pending: list[np.ndarray] = []
    waiting = 0
    for band in range(BANDS):
        members_of = np.flatnonzero(lengths >= 2 * band + 2)
        # Both values in one int64 (the shift wraps, one-to-one, for values over 2**31).
        codes = rows[members_of, 2 * band] << 32 | rows[members_of, 2 * band + 1]
        order = np.argsort(codes, kind="stable")
        ordered = codes[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(members_of)])
        shared = sizes > 1
        for start, size in zip(starts[shared].tolist(), sizes[shared].tolist(), strict=True):
            members = members_of[order[start:start + size]]
            for i, j in _pairs(size):
                pending.append(members[i] * count + members[j])
                waiting += len(i)
                if waiting >= PAIRS_AT_ONCE:
                    yield np.divmod(np.unique(np.concatenate(pending)), count)
                    pending, waiting = [], 0
    if pending:
        yield np.divmod(np.unique(np.concatenate(pending)), count)


def _pairs(size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the index pairs (i < j) of a bucket of `size`: at once when it is small,
    a row at a time when it is large (its pairs grow with the square of its size)."""
    if size <= SMALL_BUCKET:
        yield _small_pairs(size)
        return
    for i in range(size - 1):
        yield np.full(size - i - 1, i), np.arange(i + 1, size)


@lru_cache(maxsize=SMALL_BUCKET)
def _small_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size, 1)


def _matrix(values: list[Sequence[int]]) -> np.ndarray:
    """Sketches as the rows of one array, short ones padded with values above any hash."""
    matrix = np.full((len(values), K), _PAD, dtype=np.int64)
    for row, sketch_values in zip(matrix, values, strict=True):
        row[:len(sketch_values)] = sketch_values
    return matrix


def similarities(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """`similarity` of each row of `first` with the same row of `second`, all at once.

    A row's values are distinct and sorted; sorted together, a value in both rows shows
    as two equal neighbours. The union's K smallest are its first K distinct values, and
    the estimate is the share of them that are in both.
    """
    merged = np.sort(np.concatenate([first, second], axis=1), axis=1)
    repeats = merged[:, 1:] == merged[:, :-1]
    distinct = np.ones(merged.shape, dtype=bool)
    distinct[:, 1:] = ~repeats
    distinct &= merged < _PAD  # pads are not values (nor, equal as they are, shared ones)
    in_union = distinct & (np.cumsum(distinct, axis=1) <= K)
    in_both = np.zeros(merged.shape, dtype=bool)
    in_both[:, :-1] = repeats
    union = in_union.sum(axis=1)
    shared = (in_union & in_both).sum(axis=1)
    return np.where(union > 0, shared / np.maximum(union, 1), 0.0)


def groups_of(items: Iterable[tuple[int, str]]) -> list[list[int]]:
    """Group (key, encoded sketch) pairs; a convenience over group_numbers."""
    return group_numbers({key: decode(text) for key, text in items if text})
