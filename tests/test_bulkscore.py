"""BulkScorer gives exactly the scores of Whoosh's own walk (searcher.search)."""

from __future__ import annotations

import pytest

from search_service.bulkscore import BulkScorer
from search_service.query import compile_query
from search_service.synonyms import SynonymTable

QUERIES = [
    "巡视整改",  # one part: four field runs, jieba words
    "依法追究刑事责任",  # a long run
    "外交部",  # department and body
    "国",  # a lone ideograph: a term or a prefix
    "title:巡视",  # scoped to a field
    "巡视 OR 整改",  # an Or of parts
    "外交部 -巡视",  # an exclusion
    '"巡视整改"',  # a phrase
    "2024",  # digits
]
#: Queries of several parts (an And): scored by Whoosh's walk, over prepared() unions.
SEVERAL = ["巡视 整改", "外交部 发言人 记者", "(巡视 OR 督查) 整改", "外交部 发言人 -巡视"]


def _whoosh(searcher, q) -> dict[int, float]:
    return {docnum: score for score, docnum in searcher.search(q, limit=None).top_n}


@pytest.mark.parametrize("text", QUERIES)
def test_bulk_scores_are_bit_identical(small_searcher, text) -> None:
    searcher = small_searcher.snapshot().searcher
    q = compile_query(text, SynonymTable()).query
    assert BulkScorer.handles(q)
    expected = _whoosh(searcher, q)
    assert expected  # a query that finds nothing would prove nothing
    assert BulkScorer(searcher).scores(q) == expected


@pytest.mark.parametrize("text", SEVERAL)
def test_several_parts_are_walked_and_prepared_unions_change_nothing(small_searcher,
                                                                     text) -> None:
    searcher = small_searcher.snapshot().searcher
    q = compile_query(text, SynonymTable()).query
    assert not BulkScorer.handles(q)  # scores depend on the walk: not bulk-scored
    expected = _whoosh(searcher, q)
    assert expected
    assert _whoosh(searcher, BulkScorer(searcher).prepared(q)) == expected


@pytest.fixture(scope="module")
def with_deletion(tmp_path_factory):
    """The small index with one notice deleted: its segment's postings are filtered."""
    from search_service.indexer import delete_ids, index_sources
    from search_service.searcher import NoticeSearcher
    from search_service.store import IndexHome

    from .conftest import SMALL

    home = IndexHome(tmp_path_factory.mktemp("deleted") / "index")
    index_sources(home, [SMALL])
    assert delete_ids(home, ["mfa-312430"]) == []  # a press conference
    return NoticeSearcher(home, reload_interval=0)


@pytest.mark.parametrize("text", QUERIES)
def test_bulk_scores_are_whooshs_with_a_deleted_notice(with_deletion, text) -> None:
    searcher = with_deletion.snapshot().searcher
    q = compile_query(text, SynonymTable()).query
    expected = _whoosh(searcher, q)
    assert expected
    assert BulkScorer(searcher).scores(q) == expected
