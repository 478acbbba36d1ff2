"""Search semantics on real notices, in process: recall, precision, ranking, sorts."""

from __future__ import annotations

import pytest

from search_service.errors import InvalidQueryError, NotFoundError
from search_service.searcher import SearchRequest
from search_service.textnorm import normalise

from .served import containing

SEED = "seed-changxingdao-2024-08-20"


def _ids(searcher, **kwargs) -> list[str]:
    result = searcher.search(SearchRequest(size=100, **kwargs))
    return [hit["id"] for hit in result["hits"]]


@pytest.mark.parametrize("run", [
    "整改工",        # crosses a word boundary inside 整改工作
    "凤民",          # two characters of a name jieba has never seen (赵凤民)
    "兴岛",          # part of the dictionary word 长兴岛
    "技术开发",      # inside 经济技术开发区
    "韩雨",          # the author field
    "党群工作部",    # the department field
])
def test_a_run_finds_the_sample_whatever_jieba_does(small_searcher, small_records, run) -> None:
    assert SEED in _ids(small_searcher, q=run)
    assert set(_ids(small_searcher, q=run)) == containing(small_records, run)


def test_runs_at_fixed_offsets_of_real_text_find_exactly_the_containing_notices(
        small_searcher, small_records) -> None:
    checked = 0
    for notice_id in sorted(small_records)[::3]:
        body = small_records[notice_id]["body"]
        for offset in (len(body) // 5, len(body) // 2):
            run = body[offset:offset + 3]
            if len(run) == 3 and all("\u4e00" <= c <= "\u9fff" for c in run):
                assert set(_ids(small_searcher, q=run)) == containing(small_records, run), run
                checked += 1
    assert checked >= 10


def test_scattered_words_are_not_a_match_for_a_run(small_searcher, small_records) -> None:
    # 加强 and 领导 (jieba's words of 加强领导) are both in 20 other bodies;
    # only the sample has the run itself, so only the sample is a hit.
    scattered = {i for i, r in small_records.items()
                 if "加强" in r["body"] and "领导" in r["body"]} - {SEED}
    assert len(scattered) == 20
    assert _ids(small_searcher, q="加强领导") == [SEED]


def test_title_matches_rank_first(small_searcher) -> None:
    result = small_searcher.search(SearchRequest(q="巡视"))
    assert result["hits"][0]["id"] == SEED  # 巡视 in its title, twice
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_full_width_and_ascii_punctuation_match_each_other(small_searcher) -> None:
    # The sample is scraped with ASCII commas; a reader pastes a full-width one.
    assert _ids(small_searcher, q="根据省委部署，8月14日") == [SEED]
    assert _ids(small_searcher, q="根据省委部署,8月14日") == [SEED]


def test_query_syntax(small_searcher, small_records) -> None:
    mfa = {i for i in small_records if i.startswith("mfa-")}
    assert set(_ids(small_searcher, q="-外交部")) == set(small_records) - containing(
        small_records, "外交部")
    assert set(_ids(small_searcher, q="department:外交部")) == mfa
    assert _ids(small_searcher, q="title:巡视") == [SEED]
    assert set(_ids(small_searcher, q="巡视 OR 发言人")) == (
        containing(small_records, "巡视") | containing(small_records, "发言人"))
    assert _ids(small_searcher, q='"赵凤民" 韩雨') == [SEED]


def test_empty_query_sorts_newest_first_with_undated_last(small_searcher, small_records) -> None:
    result = small_searcher.search(SearchRequest(size=100))
    assert result["sort"] == "newest" and result["total"] == 38
    expected = sorted((r for r in small_records.values() if r["date"]), key=lambda r: r["id"])
    expected = sorted(expected, key=lambda r: r["date"], reverse=True)
    undated = sorted(i for i, r in small_records.items() if not r["date"])
    assert [h["id"] for h in result["hits"]] == [r["id"] for r in expected] + undated
    assert all(hit["score"] is None for hit in result["hits"])


def test_validation_errors_are_domain_errors(small_searcher) -> None:
    with pytest.raises(InvalidQueryError, match="at most 200"):
        small_searcher.search(SearchRequest(q="巡" * 201))
    with pytest.raises(InvalidQueryError, match="page × size"):
        small_searcher.search(SearchRequest(page=1001, size=10))
    with pytest.raises(NotFoundError):
        small_searcher.notice("no-such-id")


def test_notice_round_trips_every_field(small_searcher, small_records) -> None:
    notice = small_searcher.notice(SEED)
    assert {k: notice[k] for k in small_records[SEED]} == small_records[SEED]
    # ... plus what the index learnt from its text (tests/test_links.py checks them).
    assert set(notice) - set(small_records[SEED]) == {
        "doc_number", "person", "cites", "cited_by", "near_duplicates", "validity",
        "validity_by", "versions"}


def test_parts_side_by_side_rank_above_parts_apart(small_searcher, small_records) -> None:
    # 法律 责任: 22 notices have both words (one in traditional script), 12 of them as
    # 法律责任. Standing together is a strong preference, not a tier: the first seven
    # hits have them together, and 10 of the first 12 (notices full of both words
    # apart come 8th and 11th). Without the proximity boost BM25 interleaves them.
    result = small_searcher.search(SearchRequest(q="法律 责任", size=100))
    records = [small_records[h["id"]] for h in result["hits"]]
    together = ["法律责任" in normalise(r["title"] + r["body"]) for r in records]
    assert len(together) == 22 and together.count(True) == 12
    assert together[:7] == [True] * 7
    assert together[:12].count(True) == 10


def test_the_best_window_is_the_head_of_a_full_sort() -> None:
    import random

    from search_service.searcher import _best

    rng = random.Random(7)
    hits = list(range(2_000))
    ids = [f"n-{rng.randrange(10**6):06d}" for _ in hits]
    scores = {n: float(rng.randrange(40)) for n in hits}  # many ties at every score
    full = sorted(hits, key=lambda n: (-scores[n], ids[n]))
    for window in (1, 10, 37, 100, 499, 500, 501, 2_000, 5_000):
        assert _best(hits, scores, ids, window) == full[:window]


def test_scores_equal_but_for_their_last_bits_rank_by_id() -> None:
    # Ten copies of one law at 66,730 scored 42.4057... in every build, but their last
    # bits followed how each build split notices into segments, and so did their order.
    from search_service.searcher import _best

    base = 42.40570012345678
    hits = list(range(30))
    ids = [f"law-{n:02d}" for n in reversed(hits)]  # docnum order is the reverse of id order
    for build in range(4):
        scores = {n: base + (n * (build + 1) % 7) * 2e-15 for n in hits}  # ulps apart
        scores[29] = base - 1e-6  # a truly lower score stays last
        for window in (1, 5, 29, 30):
            got = _best(hits, scores, ids, window)
            assert got == ([n for n in reversed(hits) if n != 29] + [29])[:window], (build, window)


def test_total_counts_every_hit_while_only_the_page_is_ordered(small_searcher) -> None:
    # 24 of the 38 notices hold 法律 (substring count over the folded records).
    whole = small_searcher.search(SearchRequest(q="法律", size=100))
    assert whole["total"] == 24 and len(whole["hits"]) == 24
    for page in (1, 2, 3):
        part = small_searcher.search(SearchRequest(q="法律", size=10, page=page))
        assert part["total"] == 24
        assert part["hits"] == whole["hits"][(page - 1) * 10:page * 10]


def test_a_new_generation_opens_in_the_background_while_the_old_one_answers(tmp_path) -> None:
    import json
    import time

    from search_service.indexer import index_sources
    from search_service.searcher import NoticeSearcher
    from search_service.store import IndexHome

    from .conftest import SMALL

    lines = SMALL.read_text(encoding="utf-8").splitlines()
    fewer = tmp_path / "fewer.jsonl"
    fewer.write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    home = IndexHome(tmp_path / "index")
    index_sources(home, [fewer], rebuild=True)
    searcher = NoticeSearcher(home, reload_interval=0, background=True)
    old = searcher.snapshot()
    assert searcher.search(SearchRequest())["total"] == 10

    index_sources(home, [SMALL], rebuild=True)
    assert home.current_name() != old.name
    assert searcher.snapshot() is old  # the new one is being opened meanwhile
    deadline = time.monotonic() + 60
    while searcher.snapshot() is old and time.monotonic() < deadline:
        assert searcher.search(SearchRequest())["total"] == 10  # answered, from the old one
        time.sleep(0.05)
    assert searcher.snapshot().name == home.current_name()
    assert searcher.search(SearchRequest())["total"] == len(lines)
    assert len(lines) == len([json.loads(line) for line in lines]) == 38


def _column_bodies(snap) -> dict[str, str]:
    """Each notice's body as its segment's body_norm column holds it, by id."""
    out = {}
    for i, offset in enumerate(snap._norm_offsets):
        end = (snap._norm_offsets[i + 1] if i + 1 < len(snap._norm_offsets)
               else len(snap.table.ids))
        for n in range(offset, end):
            if snap.table.ids[n] is not None:
                out[snap.table.ids[n]] = snap._norm_columns[i][n - offset].decode("utf-8")
    return out


def test_each_notice_keeps_its_normalised_body_for_snippets(small_searcher, small_records,
                                                            tmp_path) -> None:
    import json

    from search_service.indexer import index_sources
    from search_service.searcher import NoticeSearcher
    from search_service.store import IndexHome

    snap = small_searcher.snapshot()
    columns = _column_bodies(snap)
    assert set(columns) == set(small_records)
    for notice_id, record in small_records.items():
        assert columns[notice_id] == normalise(record["body"])
        n = snap.table.position[notice_id]
        assert snap._body_norm(n, record["body"]) == normalise(record["body"])
    # Real bodies have full-width marks, folded in the column.
    assert sum(normalise(r["body"]) != r["body"] for r in small_records.values()) > 30
    # An upsert (Whoosh's own segment writer) writes the column too.
    home = IndexHome(tmp_path / "index")
    first, second = sorted(small_records)[:2]
    for notice_id in (first, second):
        source = tmp_path / f"{notice_id}.jsonl"
        source.write_text(json.dumps(small_records[notice_id], ensure_ascii=False) + "\n",
                          encoding="utf-8")
        index_sources(home, [source])
    both = _column_bodies(NoticeSearcher(home, reload_interval=0).snapshot())
    assert both == {i: normalise(small_records[i]["body"]) for i in (first, second)}
