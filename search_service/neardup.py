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
from collections.abc import Iterable, Sequence

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

    The share of the K smallest values of both sketches together that are in each
    (set operations and a sort in C: this runs for every candidate pair when a
    generation opens).
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
    hashing); each candidate pair is then checked, and groups are the connected pairs.
    """
    buckets: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for key, values in sketches.items():
        for band in range(min(BANDS, len(values) // 2)):
            buckets[(band, values[2 * band], values[2 * band + 1])].append(key)
    parent = {key: key for key in sketches}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pair = (a, b) if a < b else (b, a)
                if pair in checked or root(a) == root(b):
                    continue
                checked.add(pair)
                if similarity(sketches[a], sketches[b]) >= threshold:
                    parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for key in sketches:
        groups[root(key)].append(key)
    return [sorted(members) for members in groups.values() if len(members) > 1]


def groups_of(items: Iterable[tuple[int, str]]) -> list[list[int]]:
    """Group (key, encoded sketch) pairs; a convenience over group_numbers."""
    return group_numbers({key: decode(text) for key, text in items if text})
