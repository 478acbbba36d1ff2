"""packed.PackedPositions: positions as an array, read back as Whoosh's Positions does."""

from __future__ import annotations

import random

from whoosh.formats import Positions

from search_service import packed
from search_service.packed import PackedPositions
from search_service.schema import build_schema


def test_round_trip_short_and_long_positions() -> None:
    fmt = PackedPositions()
    short, long = [0, 7, 65535], [3, 65536, 200_000]
    assert fmt.encode(short)[:1] == b"H" and len(fmt.encode(short)) == 1 + 2 * 3
    assert fmt.encode(long)[:1] == b"I" and len(fmt.encode(long)) == 1 + 4 * 3
    for positions in (short, long, [42]):
        value = fmt.encode(positions)
        assert fmt.decode_positions(value) == positions
        assert list(packed.view(value)) == positions
        assert fmt.decode_frequency(value) == len(positions)
        assert fmt.decode_position_boosts(value) == Positions().decode_position_boosts(
            Positions().encode(positions))


def test_bigram_fields_store_packed_positions() -> None:
    schema = build_schema()
    for name in ("title", "body", "department", "author"):
        assert type(schema[name].format) is PackedPositions
    # The same postings as Whoosh's Token path would give, from the fast one.
    field = schema["body"]
    text = "国务院办公厅关于印发国务院办公厅2017年政务公开工作要点的通知"
    fast = sorted((t.decode(), f, w, v) for t, f, w, v in field.index(text))
    slow = sorted(field.format.word_values(text, field.analyzer, mode="index"))
    assert fast == slow
    assert dict((t, packed.view(v).tolist()) for t, _, _, v in fast)["国务"] == [0, 10]


def test_keys_are_every_position_of_every_posting_in_order() -> None:
    shift = packed.KEY_SHIFT
    postings = {2: [1, 5, 9], 3: [0], 7: [65535], 9: [3, 65536, 200_000], 11: [4, 8]}
    ids = sorted(postings)
    got = packed.keys(ids, [packed.encode(postings[d]) for d in ids])
    assert got.dtype.kind == "i"
    # Both widths at once (doc 9 is packed as I, the others as H): still ascending.
    assert [(int(k) >> shift, int(k) & ((1 << shift) - 1)) for k in got] == [
        (d, p) for d in ids for p in postings[d]]
    only_long = packed.keys([9], [packed.encode(postings[9])])
    assert [int(k) & ((1 << shift) - 1) for k in only_long] == postings[9]
    assert len(packed.keys([], [])) == 0
    # A distance back from position 0 never reaches the previous docnum's keys.
    assert (int(got[3]) - 200) >> shift == 2 and (int(got[3]) - 200) & ((1 << shift) - 1) > 2**32


def test_keys_of_mixed_widths_match_a_plain_walk() -> None:
    # Long documents (past 65,535 positions) sit anywhere in a posting list: first,
    # last, in runs. Each value's keys, walked one by one, in docnum order.
    rng = random.Random(4)
    shift = packed.KEY_SHIFT
    for _ in range(50):
        ids = sorted(rng.sample(range(10_000), rng.randint(1, 40)))
        postings = {}
        for d in ids:
            top = rng.choice([300, 65_535, 70_000, 4_000_000])
            postings[d] = sorted(rng.sample(range(top), rng.randint(1, 6)))
        got = packed.keys(ids, [packed.encode(postings[d]) for d in ids])
        assert got.tolist() == [d << shift | p for d in ids for p in postings[d]]
