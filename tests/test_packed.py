"""packed.PackedPositions: positions as an array, read back as Whoosh's Positions does."""

from __future__ import annotations

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
