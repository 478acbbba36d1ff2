"""BulkScorer gives exactly the scores of Whoosh's own walk (searcher.search).

For queries of several parts: of that walk with AndMaybeMatcher.skip_to fixed (see
bulkscore.py), which these tests patch in.
"""

from __future__ import annotations

import pytest
from whoosh.matching import binary, mcore

from search_service import bulkscore
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
#: Queries of several parts (an And): Whoosh moves their AndMaybe matchers with skip_to.
SEVERAL = ["巡视 整改", "外交部 发言人 记者", "(巡视 OR 督查) 整改", "外交部 发言人 -巡视",
           "人民政府 管理", "法律责任 处罚", "行政复议 申请",
           "国家安全 机关"]  # where the unfixed walk drops a bonus


def _whoosh(searcher, q) -> dict[int, float]:
    return {docnum: score for score, docnum in searcher.search(q, limit=None).top_n}


def _skip_to_where_a_landed(self, id):
    """AndMaybeMatcher.skip_to, with the optional side moved to where the required side is."""
    if not self.a.is_active():
        raise mcore.ReadTooFar
    ra = self.a.skip_to(id)
    rb = False
    if self.a.is_active() and self.b.is_active():
        rb = self.b.skip_to(self.a.id())
    return ra or rb


@pytest.mark.parametrize("within", [0, 10**9], ids=["wanted-blocks", "every-posting"])
@pytest.mark.parametrize("arrays", [0, 10**9], ids=["arrays", "per-document"])
@pytest.mark.parametrize("text", QUERIES)
def test_bulk_scores_are_bit_identical(small_searcher, monkeypatch, text, arrays,
                                       within) -> None:
    # BM25 over arrays or one document at a time, and a term scored within others'
    # matches by reading only the blocks that hold them or every posting: each way is
    # forced for every query.
    monkeypatch.setattr(bulkscore, "ARRAY_SCORES", arrays)
    monkeypatch.setattr(bulkscore, "WITHIN_MOST", within)
    searcher = small_searcher.snapshot().searcher
    q = compile_query(text, SynonymTable()).query
    assert BulkScorer.handles(q)
    expected = _whoosh(searcher, q)
    assert expected  # a query that finds nothing would prove nothing
    assert BulkScorer(searcher).scores(q) == expected


@pytest.mark.parametrize("within", [0, 10**9], ids=["wanted-blocks", "every-posting"])
@pytest.mark.parametrize("arrays", [0, 10**9], ids=["arrays", "per-document"])
@pytest.mark.parametrize("text", SEVERAL)
def test_several_parts_score_as_the_fixed_walk(small_searcher, monkeypatch, text,
                                               arrays, within) -> None:
    monkeypatch.setattr(bulkscore, "ARRAY_SCORES", arrays)
    monkeypatch.setattr(bulkscore, "WITHIN_MOST", within)
    searcher = small_searcher.snapshot().searcher
    q = compile_query(text, SynonymTable()).query
    assert BulkScorer.handles(q)
    monkeypatch.setattr(binary.AndMaybeMatcher, "skip_to", _skip_to_where_a_landed)
    expected = _whoosh(searcher, q)
    assert expected
    assert BulkScorer(searcher).scores(q) == expected


def test_whooshs_own_walk_drops_optional_scores(small_searcher) -> None:
    """Why the fix: unpatched, the walk gives some notices less than both their parts earn."""
    searcher = small_searcher.snapshot().searcher
    dropped = 0
    for text in SEVERAL:
        q = compile_query(text, SynonymTable()).query
        walked, bulk = _whoosh(searcher, q), BulkScorer(searcher).scores(q)
        assert walked.keys() == bulk.keys()  # the same notices match
        assert all(walked[d] <= bulk[d] + 1e-9 for d in walked)  # never more
        dropped += sum(walked[d] < bulk[d] - 1e-9 for d in walked)
    assert dropped > 0


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
