"""Document numbers, citations, versions and validity, near-duplicates, people: end to end.

The index holds the 38 real notices of tests/data/notices.jsonl and the 9 notices of
tests/data/links.jsonl, which were written for these tests (the corpus has few document
numbers and almost none in unusual spellings): three notices citing each other's numbers
in several spellings, two versions of a regulation and the regulation that repeals it,
a notice citing it by title, and a notice reposted by another department.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import pytest
from falcon.testing import TestClient

from search_service.app import create_app
from search_service.indexer import index_sources
from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.settings import Settings
from search_service.store import IndexHome

from .conftest import DATA, SMALL

LINKS = DATA / "links.jsonl"
GBF = "test-gbf-2017-47"
DZF = "test-dzf-2024-3"
LWXB = "test-lwxb-2024-12"
GREEN_2010, GREEN_2018 = "test-law-green-2010", "test-law-green-2018"
GARDEN = "test-law-garden-2020"
CITES_GREEN = "test-cites-green-2015"
REPOST_A, REPOST_B = "test-repost-a", "test-repost-b"
SEED = "seed-changxingdao-2024-08-20"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> IndexHome:
    home = IndexHome(tmp_path_factory.mktemp("links") / "index")
    summary = index_sources(home, [SMALL, LINKS])
    assert (summary.added, summary.rejected) == (47, 0)
    return home


@pytest.fixture(scope="module")
def searcher(home) -> NoticeSearcher:
    return NoticeSearcher(home, reload_interval=0)


def ids(result: dict) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


def test_own_document_numbers_are_normalised(searcher) -> None:
    assert searcher.notice(GBF)["doc_number"] == "国办发〔2017〕47号"
    assert searcher.notice(DZF)["doc_number"] == "大政发〔2024〕3号"
    assert searcher.notice(LWXB)["doc_number"] == "辽委巡办字〔2024〕12号"
    assert searcher.notice(GREEN_2010)["doc_number"] is None


def test_cites_resolve_numbers_in_any_spelling(searcher) -> None:
    cites = searcher.notice(LWXB)["cites"]
    numbers = [(c["written"], c["number"], c["id"]) for c in cites if "number" in c]
    assert numbers == [("国办发（2017）第047号", "国办发〔2017〕47号", GBF),
                       ("大政发【2024】3号", "大政发〔2024〕3号", DZF)]


def test_cites_by_title_and_number(searcher) -> None:
    cites = searcher.notice(DZF)["cites"]
    assert {"written": "国办发[2017]47号", "number": "国办发〔2017〕47号", "id": GBF} in cites
    titled = [c for c in cites if "title" in c]
    assert [c["id"] for c in titled] == [GBF]
    assert titled[0]["written"] == "《国务院办公厅关于进一步激发社会领域投资活力的意见》"


def test_cited_by_lists_every_citing_notice(searcher) -> None:
    cited_by = searcher.notice(GBF)["cited_by"]
    assert sorted(c["id"] for c in cited_by) == [DZF, LWXB]
    assert [c["id"] for c in searcher.notice(DZF)["cited_by"]] == [LWXB]
    assert searcher.notice(LWXB)["cited_by"] == []


def test_a_title_citation_resolves_to_the_version_in_force_at_its_date(searcher) -> None:
    cites = searcher.notice(CITES_GREEN)["cites"]
    assert [(c["written"], c["id"]) for c in cites] == [("《大连市城市绿化条例》", GREEN_2010)]


@pytest.mark.parametrize("q", ["国办发〔2017〕47号", "国办发[2017]47号", "国办发（2017）第047号",
                               "国办发【2017】47号", "国办发 (2017) 47 号"])
def test_a_document_number_query_finds_its_notice_first(searcher, q) -> None:
    result = searcher.search(SearchRequest(q=q))
    assert ids(result)[0] == GBF
    assert set(ids(result)) == {GBF, DZF, LWXB}


def test_the_doc_number_filter_takes_any_spelling(searcher) -> None:
    result = searcher.search(SearchRequest(doc_numbers=("国办发(2017)47号",)))
    assert ids(result) == [GBF]
    result = searcher.search(SearchRequest(doc_numbers=("大政发〔2024〕3号", "辽委巡办字[2024]12号")))
    assert sorted(ids(result)) == [DZF, LWXB]


def test_versions_and_validity(searcher) -> None:
    older, newer, garden = (searcher.notice(i) for i in (GREEN_2010, GREEN_2018, GARDEN))
    assert (older["validity"], older["validity_by"]["id"]) == ("superseded", GREEN_2018)
    assert (newer["validity"], newer["validity_by"]["id"]) == ("repealed", GARDEN)
    assert (garden["validity"], garden["validity_by"]) == ("current", None)
    history = [(v["id"], v["date"], v["validity"]) for v in newer["versions"]]
    assert history == [(GREEN_2018, "2018-06-01", "repealed"),
                       (GREEN_2010, "2010-05-01", "superseded")]
    assert garden["versions"] == []


def test_validity_is_a_filter_and_a_facet(searcher) -> None:
    result = searcher.search(SearchRequest(q="绿化", validity=("repealed", "superseded")))
    assert sorted(ids(result)) == [GREEN_2010, GREEN_2018]
    facet = {f["value"]: f["count"] for f in result["facets"]["validity"]}
    # Disjunctive: counted without its own filter, so the current ones show too: every
    # other notice containing 绿化 (the real laws among them have one version here).
    containing = [r for path in (SMALL, LINKS) for r in map(json.loads, open(path))
                  if "绿化" in "".join(r.get(f) or "" for f in ("title", "body", "department"))]
    assert facet == {"current": len(containing) - 2, "repealed": 1, "superseded": 1}
    assert len(containing) - 2 >= 2


def test_near_duplicates_are_listed_and_collapsed(searcher) -> None:
    assert [d["id"] for d in searcher.notice(REPOST_A)["near_duplicates"]] == [REPOST_B]
    assert [d["id"] for d in searcher.notice(REPOST_B)["near_duplicates"]] == [REPOST_A]
    assert searcher.notice(GREEN_2010)["near_duplicates"] == []
    plain = searcher.search(SearchRequest(q="汛期安全防范"))
    assert sorted(ids(plain)) == [REPOST_A, REPOST_B]
    collapsed = searcher.search(SearchRequest(q="汛期安全防范", collapse=True))
    assert ids(collapsed) == [REPOST_A]
    assert collapsed["hits"][0]["duplicates"] == 1 and collapsed["total"] == 1


def test_related_blends_citations_and_never_repeats(searcher) -> None:
    related = searcher.related(DZF)["related"]
    by_id = {r["id"]: r for r in related}
    assert DZF not in by_id
    assert by_id[GBF]["reasons"]["cites"] == ["国办发[2017]47号",
                                              "《国务院办公厅关于进一步激发社会领域投资活力的意见》"]
    assert by_id[LWXB]["reasons"]["cited_by"] is True
    assert related[0]["id"] in (GBF, LWXB)
    # The notice's own repost is listed under near_duplicates, not among related ones.
    assert REPOST_B not in {r["id"] for r in searcher.related(REPOST_A)["related"]}


def test_people_named_are_a_field_a_facet_and_a_filter(searcher) -> None:
    names = searcher.notice(SEED)["person"]
    assert {"赵凤民", "赵东", "陈建军"} <= set(names)
    result = searcher.search(SearchRequest(persons=("赵凤民",)))
    assert ids(result) == [SEED]
    facet = {f["value"] for f in searcher.search(SearchRequest(q="巡视"))["facets"]["person"]}
    assert "赵凤民" in facet


def test_http_filters_and_csv_carry_the_links(home) -> None:
    client = TestClient(create_app(Settings.from_env(index_dir=home.root, reload_interval=0)))
    resp = client.simulate_get("/search", query_string=urlencode(
        {"doc_number": "国办发[2017]47号", "format": "csv"}))
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))
    assert [(r["id"], r["doc_number"], r["validity"]) for r in rows] == \
        [(GBF, "国办发〔2017〕47号", "current")]
    assert client.simulate_get("/search", query_string="validity=old").status_code == 400
    assert client.simulate_get("/search", query_string="doc_number=abc").status_code == 400
    assert client.simulate_get("/search", query_string="collapse=maybe").status_code == 400
    body = client.simulate_get(f"/notices/{GBF}").json
    assert sorted(c["id"] for c in body["cited_by"]) == [DZF, LWXB]
    assert json.loads(json.dumps(body))["doc_number"] == "国办发〔2017〕47号"
