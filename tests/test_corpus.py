"""The contract's recall guarantee over the whole shared corpus (6,673 notices).

Slow (indexing the corpus takes minutes): marked `corpus`, run alone with
`scripts/test -m corpus`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from search_service.indexer import index_sources
from search_service.query import compile_query
from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.store import IndexHome

pytestmark = pytest.mark.corpus

TEXT_KEYS = ("title", "body", "department", "author")


@pytest.fixture(scope="module")
def corpus_records(corpus_dir: Path) -> list[dict]:
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def corpus_searcher(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    home = IndexHome(tmp_path_factory.mktemp("corpus") / "index")
    summary = index_sources(home, [corpus_dir / "notices.jsonl"], rebuild=True)
    assert (summary.added, summary.rejected, summary.switched) == (6673, 0, True)
    return NoticeSearcher(home, reload_interval=60)


def _queries(corpus_dir: Path) -> list[tuple[str, str, int]]:
    with open(corpus_dir / "queries.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["query"], r["kind"], int(r["substring_hits"])) for r in rows]


def _containing(records: list[dict], query: str) -> set[str]:
    parts = query.replace("\u3000", " ").split()
    return {
        r["id"] for r in records
        if all(any(part in (r[key] or "") for key in TEXT_KEYS) for part in parts)
    }


def test_every_query_finds_every_notice_containing_it(corpus_dir, corpus_records,
                                                      corpus_searcher) -> None:
    queries = _queries(corpus_dir)
    assert len(queries) == 200
    snap = corpus_searcher.snapshot()
    ids = snap.table.ids
    missed = {}
    for query, _kind, substring_hits in queries:
        expected = _containing(corpus_records, query)
        # The file's count is the same containment, computed independently.
        assert len(expected) == substring_hits, query
        compiled = compile_query(query)
        hits = {ids[n] for n in snap.searcher.docs_for_query(compiled.query)}
        if not expected <= hits:
            missed[query] = sorted(expected - hits)[:5]
    assert missed == {}


def test_totals_match_the_matching_sets(corpus_dir, corpus_searcher) -> None:
    # /search's total is the size of the matched set the recall test checked.
    snap = corpus_searcher.snapshot()
    for query, kind, _hits in _queries(corpus_dir)[::10]:
        matched = sum(1 for _ in snap.searcher.docs_for_query(compile_query(query).query))
        result = corpus_searcher.search(SearchRequest(q=query, size=10))
        assert result["total"] == matched, (query, kind)
        for hit in result["hits"]:
            # A match shows as a mark in the title or snippet, unless the part
            # matched only the department or author, which are shown as they are.
            marked = "<em>" in hit["title_html"] + hit["snippet_html"]
            in_meta = any(part in f"{hit['department']} {hit['author']}"
                          for part in query.split())
            assert marked or in_meta, (query, hit["id"])


def test_hits_contain_every_part(corpus_dir, corpus_records, corpus_searcher) -> None:
    # Precision: with no synonyms yet, every hit contains each part (after the
    # documented width/case/space folding), so hits equal the containing set
    # computed on normalised text.
    from search_service.textnorm import normalise

    normalised = [{k: normalise(r[k] or "") for k in TEXT_KEYS} | {"id": r["id"]}
                  for r in corpus_records]
    snap = corpus_searcher.snapshot()
    ids = snap.table.ids
    for query, _kind, _hits in _queries(corpus_dir):
        expected = _containing(normalised, normalise(query))
        hits = {ids[n] for n in snap.searcher.docs_for_query(compile_query(query).query)}
        assert hits == expected, query
