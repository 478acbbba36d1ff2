"""Run (position-set intersection) matches exactly what Whoosh's Phrase matches."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from search_service import runquery
from search_service.analysis import ngram_terms
from search_service.runquery import Run


def _runs(records: dict[str, dict]) -> list[str]:
    # Runs of 2-8 characters at fixed offsets of every body, plus repeats and misses.
    runs = ["哈哈哈", "的的", "不存在的词语组合", "外交部发言人", "依法追究刑事责任"]
    for record in records.values():
        body = record["body"]
        for offset, length in ((len(body) // 3, 2), (len(body) // 2, 5), (len(body) // 4, 8)):
            runs.append(body[offset:offset + length])
    return runs


def test_run_matches_the_same_documents_as_phrase(small_searcher, small_records) -> None:
    searcher = small_searcher.snapshot().searcher
    checked = 0
    for text in _runs(small_records):
        terms = ngram_terms(text)
        if len(terms) < 2:
            continue
        for field in ("title", "body"):
            phrase = set(searcher.docs_for_query(wq.Phrase(field, terms)))
            run = set(searcher.docs_for_query(Run(field, terms)))
            assert run == phrase, (field, text)
            checked += 1
    assert checked > 150


@pytest.mark.parametrize("bulk", [0, 10**9], ids=["arrays", "per-candidate"])
def test_run_counts_are_the_starts_of_consecutive_positions(small_searcher, small_records,
                                                           monkeypatch, bulk) -> None:
    # Run.counts against Whoosh's own decoding of each word's positions: a document's
    # count is how many of its positions start the whole run. Many candidates are
    # intersected as arrays of keys, few one at a time (values of one position on a
    # shortcut, larger ones as sets); each way is forced here for every run.
    monkeypatch.setattr(runquery, "BULK", bulk)
    searcher = small_searcher.snapshot().searcher
    counted: list[int] = []
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        for text in _runs(small_records):
            terms = ngram_terms(text)
            if len(terms) < 2:
                continue
            for field in ("title", "body"):
                expected = {}
                if all((field, t) in reader for t in terms):
                    positions = [dict(reader.postings(field, t).items_as("positions"))
                                 for t in terms]
                    for d in set(positions[0]).intersection(*positions[1:]):
                        starts = set(positions[0][d]).intersection(
                            *({p - i for p in ps[d]} for i, ps in enumerate(positions)))
                        if starts:
                            expected[d] = len(starts)
                assert Run(field, terms).counts(sub)[1] == expected, (field, text)
                counted.extend(expected.values())
    # 153 matching documents in the sample: 96 with one run, 57 with more.
    assert counted.count(1) > 50 and sum(c > 1 for c in counted) > 30


def test_run_scores_by_run_frequency(small_searcher) -> None:
    # The sample has 巡视整改 in its body 11 times; BM25 on that count ranks it first.
    searcher = small_searcher.snapshot().searcher
    results = searcher.search(Run("body", ngram_terms("巡视")), limit=None)
    assert results[0]["id"] == "seed-changxingdao-2024-08-20"
    assert results.scored_length() == len(set(searcher.docs_for_query(
        wq.Phrase("body", ngram_terms("巡视")))))


def test_run_inside_boolean_queries(small_searcher) -> None:
    searcher = small_searcher.snapshot().searcher
    both = wq.And([Run("body", ngram_terms("巡视整改")), Run("body", ngram_terms("赵凤民"))])
    assert [searcher.stored_fields(n)["id"] for n in searcher.docs_for_query(both)] == [
        "seed-changxingdao-2024-08-20"]
    excluded = wq.AndNot(wq.Every(), Run("department", ngram_terms("外交部")))
    ids = {searcher.stored_fields(n)["id"] for n in searcher.docs_for_query(excluded)}
    assert ids and not any(i.startswith("mfa-") for i in ids)


def test_runs_and_searches_skip_deleted_notices(tmp_path, small_records) -> None:
    # A segment with deletions hands out postings wrapped in a FilterMatcher: a run still
    # matches what Phrase matches there, and a search answers without the deleted notice
    # (this was a 500 after every upsert that replaced or deleted a notice).
    from search_service.indexer import delete_ids, index_sources
    from search_service.searcher import NoticeSearcher, SearchRequest
    from search_service.store import IndexHome

    from .conftest import SMALL

    home = IndexHome(tmp_path / "index")
    index_sources(home, [SMALL])
    gone = "seed-changxingdao-2024-08-20"
    assert delete_ids(home, [gone]) == []
    service = NoticeSearcher(home, reload_interval=0)
    searcher = service.snapshot().searcher
    for text in _runs(small_records) + ["巡视整改", "外交部发言人"]:
        terms = ngram_terms(text)
        if len(terms) < 2:
            continue
        phrase = set(searcher.docs_for_query(wq.Phrase("body", terms)))
        assert set(searcher.docs_for_query(Run("body", terms))) == phrase, text
    ids = {h["id"] for h in service.search(SearchRequest(q="巡视整改", size=100))["hits"]}
    assert gone not in ids
    assert service.search(SearchRequest(q="外交部发言人", size=100))["total"] > 0


def _split_index(directory, records: list, split: int):
    """The records indexed as two segments, the first `split` of them in the first."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.writing import SegmentWriter

    from search_service.codec import Codec
    from search_service.enrich import Enricher
    from search_service.schema import build_schema, to_document

    enricher = Enricher.from_dir()
    directory.mkdir()
    ix = FileStorage(str(directory)).create_index(build_schema())
    for part in (records[:split], records[split:]):
        writer = SegmentWriter(ix, codec=Codec())
        for notice in part:
            writer.add_document(**to_document(notice, enricher.links(notice)))
        writer.commit(merge=False)
    return ix


def test_run_scores_do_not_depend_on_how_the_index_is_segmented(tmp_path) -> None:
    # A run is scored with the idf of its rarest word in the whole index. Taking each
    # segment's rarest instead made a rebuild's scores depend on how its processes had
    # split the notices (44 of 643 answers of bench/search_identity.py moved).
    from search_service.sources import Parsed, read_sources

    from .conftest import SAMPLES

    notices = [r.notice for r in read_sources([SAMPLES / "notices.jsonl"])
               if isinstance(r, Parsed)]
    runs = [text for text in _runs({n.id: vars(n) for n in notices}) if len(text) > 2]
    scores = []
    for split in (60, len(notices) - 60):
        ix = _split_index(tmp_path / str(split), notices, split)
        with ix.searcher() as searcher:
            assert len(searcher.leaf_searchers()) == 2
            scores.append({(field, text): {(hit["id"], hit.score) for hit in searcher.search(
                Run(field, ngram_terms(text)), limit=None)}
                for text in runs for field in ("title", "body")})
    assert scores[0] == scores[1]
    assert sum(map(len, scores[0].values())) > 300
