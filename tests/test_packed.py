"""packed.PackedPositions: positions as an array, read back as Whoosh's Positions does."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
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


def test_values_index_slice_and_pickle_as_the_tuple_they_replace() -> None:
    rng = random.Random(9)
    for top in (300, 70_000, 4_000_000):
        values = tuple(packed.encode(sorted(rng.sample(range(top), rng.randint(1, 300))))
                       for _ in range(rng.randint(1, 60)))
        block = packed.Values.of(values)
        assert len(block) == len(values)
        assert block.lengths.typecode == ("B" if max(map(len, values)) < 256 else "H")
        assert [block[i] for i in range(len(values))] == list(values)
        assert [block[-i] for i in range(1, len(values) + 1)] == [values[-i] for i in
                                                                 range(1, len(values) + 1)]
        for start in (0, 1, len(values) // 2, len(values)):
            assert block[start:] == list(values[start:])
        assert list(block) == list(values)
        for beyond in (len(values), -len(values) - 1):
            with pytest.raises(IndexError):
                block[beyond]
        again = pickle.loads(pickle.dumps(block, 3))
        assert again == block and list(again) == list(values)
        # The keys of a block's arrays, as of its values one by one.
        docs = list(range(5, 5 + 3 * len(values), 3))
        lengths = np.frombuffer(block.lengths, block.lengths.typecode).astype(np.int64)
        assert packed.keys_of(np.array(docs), lengths, np.frombuffer(block.blob, np.uint8)
                              ).tolist() == packed.keys(docs, list(values)).tolist()


def test_smallest_picks_the_narrowest_unsigned_type() -> None:
    assert packed.smallest([0, 255]).typecode == "B"
    assert packed.smallest([3, 256]).typecode == "H"
    assert packed.smallest([65_536]).typecode == "I"
    assert packed.smallest([]).typecode == "B"
    assert list(packed.smallest([7, 70_000, 1])) == [7, 70_000, 1]
