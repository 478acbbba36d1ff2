"""neardup.group_numbers, in bulk, against the pair-by-pair estimate it replaces."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from search_service import neardup


def _reference(sketches: dict[int, list[int]], threshold: float) -> list[list[int]]:
    """Every pair that shares a band, checked one at a time with `similarity`."""
    parent = {key: key for key in sketches}

    def root(key: int) -> int:
        while parent[key] != key:
            key = parent[key]
        return key

    for a, b in combinations(sketches, 2):
        x, y = sketches[a], sketches[b]
        bands = min(neardup.BANDS, len(x) // 2, len(y) // 2)
        if any(x[2 * i:2 * i + 2] == y[2 * i:2 * i + 2] for i in range(bands)) \
                and neardup.similarity(x, y) >= threshold:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for key in sketches:
        groups.setdefault(root(key), []).append(key)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _variants(body: str) -> list[str]:
    """Reposts as scrapes produce them: other punctuation, a source line, a paragraph
    moved, one that lost its last paragraph; and an excerpt (its first 60%), which is
    near at 0.5 but not at 0.9."""
    paragraphs = body.split("\n")
    moved = paragraphs[1:] + paragraphs[:1]
    return [body.replace("，", ",").replace("。", ". "),
            body + "\n（来源：中国政府网）",
            "\n".join(moved),
            "\n".join(paragraphs[:-1]) if len(paragraphs) > 2 else body[: len(body) * 9 // 10],
            body[: len(body) * 6 // 10]]


def test_bulk_estimates_equal_the_pairwise_ones() -> None:
    rng = random.Random(20261205)
    for _ in range(2_000):
        pool = rng.sample(range(1 << 32), 64)
        a = sorted(rng.sample(pool, rng.randint(1, neardup.K)))  # short sketches too
        b = sorted(rng.sample(pool, rng.randint(1, neardup.K)))
        matrix = neardup._matrix([a, b, a])
        got = neardup.similarities(matrix[[0, 0]], matrix[[1, 2]])
        assert got.tolist() == [neardup.similarity(a, b), 1.0]


@pytest.mark.parametrize(("threshold", "grouped"), [
    (neardup.SIMILAR, 99),  # 19 bodies with their 4 reposts, one with 3
    (0.5, 101),  # and two of the excerpts
])
def test_groups_of_real_bodies_and_their_reposts(small_records, threshold: float,
                                                 grouped: int) -> None:
    texts = [r["body"] for r in small_records.values() if r.get("body")]
    for body in texts[:20]:
        texts.extend(_variants(body))
    sketches = {n * 3 + 1: s for n, s in enumerate(map(neardup.sketch, texts)) if s}
    expected = _reference(sketches, threshold)
    assert neardup.group_numbers(sketches, threshold) == expected
    assert (len(expected), sum(map(len, expected))) == (20, grouped)


def test_no_candidates_and_no_sketches() -> None:
    rng = random.Random(3)
    apart = {n: sorted(rng.sample(range(1 << 32), neardup.K)) for n in range(50)}
    assert neardup.group_numbers(apart) == []
    assert neardup.group_numbers({}) == []
    assert neardup.group_numbers({5: [1, 2, 3]}) == []


def test_a_large_bucket_in_small_batches_with_equal_sketches(monkeypatch) -> None:
    # 300 sketches sharing their first band (a boilerplate opening): the bucket is past
    # SMALL_BUCKET, so its pairs are made a row at a time, and 1,000 pairs a batch
    # spreads them over 45 batches. Some are reposts (one value changed: 0.94), some
    # rewrites (four changed: below 0.9), some equal (one candidate row).
    monkeypatch.setattr(neardup, "PAIRS_AT_ONCE", 1_000)
    rng = random.Random(11)

    def fresh(count: int) -> list[int]:
        return rng.sample(range(3, 1 << 32), count)

    made: list[list[int]] = []
    for n in range(300):
        if n % 3 == 0 or n < 10:
            values = [1, 2, *fresh(neardup.K - 2)]
        else:
            values = list(made[-1])
            changed = 0 if n % 7 == 0 else (1 if n % 3 == 1 else 4)
            for position in rng.sample(range(2, neardup.K), changed):
                values[position] = fresh(1)[0]
        made.append(sorted(values))
    sketches = {n * 2: values for n, values in enumerate(made)}
    expected = _reference(sketches, neardup.SIMILAR)
    assert neardup.group_numbers(sketches) == expected
    # Each base and its repost pair up; where every 7th notice changed nothing, the
    # "rewrite" is an equal copy and makes a triple (or a repost equal to its base).
    assert sorted(map(len, expected)) == [2] * 83 + [3] * 14
