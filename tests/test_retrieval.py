"""Synonyms, traditional script, corrections and pinyin typeahead, through the searcher."""

from __future__ import annotations

import os

import pytest

from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.settings import REPO_INDEX
from search_service.synonyms import SynonymWatcher

SEED = "seed-changxingdao-2024-08-20"
TRADITIONAL = "report-ab6a242c70"  # a 1950s government work report in traditional script


@pytest.fixture(scope="module")
def searcher(small_home) -> NoticeSearcher:
    return NoticeSearcher(small_home, reload_interval=0,
                          synonyms=SynonymWatcher(REPO_INDEX / "synonyms.txt", interval=0))


def _ids(searcher: NoticeSearcher, q: str) -> set[str]:
    return {hit["id"] for hit in searcher.search(SearchRequest(q=q, size=100))["hits"]}


def test_plain_words_find_the_official_term(searcher) -> None:
    # 低保 ↔ 最低生活保障: law-010ab61c4184 says only 最低生活保障.
    result = searcher.search(SearchRequest(q="低保", size=100))
    hits = {hit["id"]: hit for hit in result["hits"]}
    assert set(hits) == {"law-00fcf0233e55", "law-010ab61c4184"}
    assert "<em>最低生活保障</em>" in hits["law-010ab61c4184"]["snippet_html"]
    # and the other way round
    assert _ids(searcher, "最低生活保障") == {"law-00fcf0233e55", "law-010ab61c4184"}


def test_a_synonym_edit_takes_effect_without_reindexing(small_home, tmp_path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("# test\n", encoding="utf-8")
    searcher = NoticeSearcher(small_home, reload_interval=0,
                              synonyms=SynonymWatcher(path, interval=0))
    assert _ids(searcher, "长兴岛开发区") == set()
    path.write_text("长兴岛开发区, 长兴岛经济技术开发区 # the zone's short name\n",
                    encoding="utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    assert _ids(searcher, "长兴岛开发区") == {SEED}


def test_traditional_query_finds_simplified_text_and_back(searcher, small_records) -> None:
    # 經濟 (traditional) finds the simplified 经济 and the traditional report alike.
    simplified = {i for i, r in small_records.items() if "经济" in r["title"] + r["body"]}
    assert TRADITIONAL not in simplified
    assert _ids(searcher, "經濟") == simplified | {TRADITIONAL}
    assert _ids(searcher, "经济") == _ids(searcher, "經濟")


def test_highlights_land_on_the_original_traditional_characters(searcher) -> None:
    result = searcher.search(SearchRequest(q="经济", size=100))
    hit = next(h for h in result["hits"] if h["id"] == TRADITIONAL)
    assert "<em>經濟</em>" in hit["snippet_html"]
    assert "<em>经济</em>" not in hit["snippet_html"]


@pytest.mark.parametrize("typed", [
    "xunshizhenggai",      # pinyin without spaces
    "xun shi zheng gai",   # pinyin with spaces
    "巡视整该",            # a homophone typo
])
def test_corrections_carry_the_corrected_results(searcher, typed) -> None:
    result = searcher.search(SearchRequest(q=typed))
    assert result["q"] == typed
    assert result["did_you_mean"] == "巡视整改"
    assert result["corrected_from"] == typed
    assert [hit["id"] for hit in result["hits"]] == [SEED]
    assert "<em>巡视整改</em>" in result["hits"][0]["snippet_html"]


def test_no_correction_for_a_query_that_finds_what_it_says(searcher) -> None:
    result = searcher.search(SearchRequest(q="巡视整改"))
    assert (result["did_you_mean"], result["corrected_from"]) == (None, None)


@pytest.mark.parametrize("typed", ["xszg", "xunshizheng", "巡视"])
def test_typeahead_takes_chinese_pinyin_and_initials(searcher, typed) -> None:
    texts = [s["text"] for s in searcher.suggest(typed, 10)["suggestions"]]
    assert "巡视整改" in texts


def test_a_query_that_is_a_title_finds_that_notice_first(corpus_dir, tmp_path) -> None:
    # 城市道路管理条例 (国务院) against 上海市城市道路管理条例, which says the words more often.
    import json

    from search_service.indexer import index_sources
    from search_service.store import IndexHome

    wanted = {"law-bc5b6b730363", "law-e498c9679a32"}
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        records = [r for r in map(json.loads, handle) if r["id"] in wanted]
    source = tmp_path / "two.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                      encoding="utf-8")
    home = IndexHome(tmp_path / "index")
    index_sources(home, [source])
    searcher = NoticeSearcher(home, reload_interval=0)
    hits = searcher.search(SearchRequest(q="城市道路管理条例"))["hits"]
    assert [h["title"] for h in hits] == ["城市道路管理条例", "上海市城市道路管理条例"]
