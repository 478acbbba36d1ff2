"""The HTTP API over the 38 real notices of tests/data: exact answers computed from the records."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode

import pytest
from falcon.testing import TestClient

from search_service.app import create_app
from search_service.settings import Settings
from search_service.textnorm import is_han

from .served import containing

SAMPLE = "seed-changxingdao-2024-08-20"
SAMPLE_TITLE = "省委第九巡视组向长兴岛经济技术开发区党工委反馈巡视情况"
FACET_KEYS = ("department", "author", "year", "month")
HIT_KEYS = {"id", "title", "title_html", "snippet_html", "date", "department", "author",
            "url", "score"}
EM_TAG = re.compile(r"</?em>")


@pytest.fixture(scope="module")
def client(small_home) -> TestClient:
    return TestClient(create_app(Settings.from_env(index_dir=small_home.root,
                                                   reload_interval=0)))


def get(client: TestClient, path: str, params=None):
    """GET with params as a dict or a list of pairs (repeated names kept)."""
    query = urlencode(params or {}, doseq=True)
    return client.simulate_get(path, query_string=query)


def search(client: TestClient, params) -> dict:
    resp = get(client, "/search", params)
    assert resp.status_code == 200, resp.text
    return resp.json


def all_ids(client: TestClient, params) -> list[str]:
    """Every hit id of a search with at most 100 hits, in response order."""
    params = list(params.items()) if isinstance(params, dict) else list(params)
    body = search(client, params + [("size", 100)])
    assert body["total"] <= 100
    assert len(body["hits"]) == body["total"]
    return [hit["id"] for hit in body["hits"]]


def han_run(text: str, start: int, length: int) -> str:
    """The first run of `length` CJK ideographs in text at or after start."""
    for i in range(start, len(text) - length + 1):
        chunk = text[i:i + length]
        if all(is_han(c) for c in chunk):
            return chunk
    raise AssertionError(f"no run of {length} ideographs after {start}")


def newest_order(records: dict, ids=None) -> list[str]:
    ids = sorted(records if ids is None else ids)
    dated = [i for i in ids if records[i]["date"]]
    undated = [i for i in ids if not records[i]["date"]]
    # Python's sort is stable under reverse=True: equal dates keep id order.
    return sorted(dated, key=lambda i: records[i]["date"], reverse=True) + undated


def oldest_order(records: dict, ids=None) -> list[str]:
    ids = sorted(records if ids is None else ids)
    dated = [i for i in ids if records[i]["date"]]
    undated = [i for i in ids if not records[i]["date"]]
    return sorted(dated, key=lambda i: records[i]["date"]) + undated


def facet_list(counter: Counter) -> list[dict]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"value": v, "count": c} for v, c in items]


def expected_facets(records: dict, departments=(), authors=(), years=()) -> dict:
    """Disjunctive department/author facets and conjunctive year/month, from the records."""
    def date_ok(r):
        return not years or (r["date"] is not None and r["date"][:4] in years)

    def dept_ok(r):
        return not departments or r["department"] in departments

    def author_ok(r):
        return not authors or r["author"] in authors

    pool = [r for r in records.values() if date_ok(r)]
    dept = Counter(r["department"] for r in pool if author_ok(r) and r["department"])
    auth = Counter(r["author"] for r in pool if dept_ok(r) and r["author"])
    hits = [r for r in pool if dept_ok(r) and author_ok(r)]
    year = Counter(r["date"][:4] for r in hits if r["date"])
    month = Counter(r["date"][:7] for r in hits if r["date"])
    return {"department": facet_list(dept), "author": facet_list(auth),
            "year": facet_list(year), "month": facet_list(month)}


# --- /search: the contract's example query ---------------------------------------------


def test_search_example_query_shape_and_highlights(client, small_records) -> None:
    body = search(client, {"q": "巡视整改"})
    assert set(body) >= {"q", "page", "size", "sort", "total", "took_ms", "hits", "facets"}
    assert set(body["facets"]) >= set(FACET_KEYS)
    assert body["q"] == "巡视整改"
    assert body["page"] == 1 and body["size"] == 10
    assert body["sort"] == "relevance"
    assert isinstance(body["took_ms"], (int, float))
    assert body["total"] == len(containing(small_records, "巡视整改")) == 1
    [hit] = body["hits"]
    assert set(hit) >= HIT_KEYS
    record = small_records[SAMPLE]
    assert hit["id"] == SAMPLE
    assert record["title"] == SAMPLE_TITLE and "巡视整改" not in SAMPLE_TITLE
    assert hit["title"] == SAMPLE_TITLE
    assert hit["title_html"] == SAMPLE_TITLE
    assert "<em>巡视整改</em>" in hit["snippet_html"]
    assert set(re.findall(r"<[^>]*>", hit["snippet_html"])) <= {"<em>", "</em>"}
    for key in ("date", "department", "author", "url"):
        assert hit[key] == record[key]
    assert isinstance(hit["score"], (int, float)) and not isinstance(hit["score"], bool)
    assert body["facets"]["department"] == [{"value": "党群工作部", "count": 1}]
    assert body["facets"]["author"] == [{"value": "韩雨", "count": 1}]
    assert body["facets"]["year"] == [{"value": "2024", "count": 1}]
    assert body["facets"]["month"] == [{"value": "2024-08", "count": 1}]


def test_q_is_echoed_as_typed(client) -> None:
    typed = "  巡视整改　\"凤民 "
    assert search(client, {"q": typed})["q"] == typed


def test_title_html_marks_only_matched_text(client) -> None:
    [hit] = search(client, {"q": "长兴岛"})["hits"]
    assert hit["title_html"] == SAMPLE_TITLE.replace("长兴岛", "<em>长兴岛</em>")
    assert EM_TAG.sub("", hit["snippet_html"]).count("长兴岛") >= 1


# --- recall ------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["凤民", "整改工", "兴岛", "技术开发"])
def test_substrings_of_the_sample_find_it(client, small_records, q) -> None:
    assert q in small_records[SAMPLE]["body"] + small_records[SAMPLE]["title"]
    assert SAMPLE in all_ids(client, {"q": q})


# (record id, field, offset, length): substrings of real text at fixed offsets.
RECALL_PICKS = [
    ("mfa-312432", "body", 500, 2),
    ("mfa-795516", "body", 1200, 3),
    ("law-0042f6f14eec", "body", 300, 4),
    ("law-00b107199011", "body", 2000, 5),
    ("law-007a07fee014", "body", 100, 3),
    ("mfa-1078568", "title", 0, 2),
]


@pytest.mark.parametrize("pick", RECALL_PICKS, ids=lambda p: f"{p[0]}@{p[2]}+{p[3]}")
def test_recall_of_real_substrings(client, small_records, pick) -> None:
    notice_id, field, offset, length = pick
    q = han_run(small_records[notice_id][field], offset, length)
    expected = containing(small_records, q)
    assert notice_id in expected
    assert len(expected) <= 100
    assert set(all_ids(client, {"q": q})) == expected


def test_a_spokesperson_name_finds_what_they_said(client, small_records) -> None:
    expected = containing(small_records, "孔泉")
    by_author = {i for i, r in small_records.items() if r["author"] == "孔泉"}
    assert by_author and by_author <= expected
    assert set(all_ids(client, {"q": "孔泉"})) == expected


# --- empty q and date orders -------------------------------------------------------------


def test_empty_q_lists_every_notice_newest_first(client, small_records) -> None:
    body = search(client, {"size": 100})
    assert body["total"] == len(small_records) == 38
    assert body["sort"] == "newest"
    ids = [hit["id"] for hit in body["hits"]]
    assert ids == newest_order(small_records)
    newest = max(r["date"] for r in small_records.values() if r["date"])
    assert body["hits"][0]["date"] == newest
    undated = sum(1 for r in small_records.values() if not r["date"])
    assert undated == 3
    assert all(hit["date"] is None for hit in body["hits"][-undated:])
    assert all(hit["date"] is not None for hit in body["hits"][:-undated])
    assert all(hit["score"] is None for hit in body["hits"])


def test_sort_oldest_with_undated_last_and_ties_by_id(client, small_records) -> None:
    body = search(client, {"size": 100, "sort": "oldest"})
    assert body["sort"] == "oldest"
    ids = [hit["id"] for hit in body["hits"]]
    assert ids == oldest_order(small_records)
    # the corpus has a tie: two laws of 2019-04-23, which come in id order
    tied = [i for i in ids if small_records[i]["date"] == "2019-04-23"]
    assert tied == sorted(tied) and len(tied) == 2


def test_newest_sort_of_a_query(client, small_records) -> None:
    expected = newest_order(small_records, containing(small_records, "条例"))
    body = search(client, {"q": "条例", "sort": "newest", "size": 100})
    assert body["sort"] == "newest"
    assert [hit["id"] for hit in body["hits"]] == expected
    assert all(hit["score"] is None for hit in body["hits"])


def test_relevance_ties_break_by_id(client) -> None:
    body = search(client, {"q": "外交部", "size": 100})
    keys = [(-hit["score"], hit["id"]) for hit in body["hits"]]
    assert keys == sorted(keys)


# --- filters -----------------------------------------------------------------------------


def test_department_filter(client, small_records) -> None:
    expected = {i for i, r in small_records.items() if r["department"] == "外交部"}
    assert len(expected) == 16
    assert set(all_ids(client, {"department": "外交部"})) == expected


def test_repeated_author_values_are_ored(client, small_records) -> None:
    names = ("孔泉", "秦刚", "洪磊")
    expected = {i for i, r in small_records.items() if r["author"] in names}
    assert len(expected) == 6
    ids = all_ids(client, [("author", n) for n in names])
    assert set(ids) == expected
    assert ids == newest_order(small_records, expected)


def test_department_and_author_are_anded(client, small_records) -> None:
    assert all_ids(client, [("department", "国务院"), ("author", "孔泉")]) == []
    expected = {i for i, r in small_records.items() if r["author"] == "孔泉"}
    assert set(all_ids(client, [("department", "外交部"), ("author", "孔泉")])) == expected


def test_a_comma_is_part_of_a_filter_value(client, small_records) -> None:
    assert search(client, {"department": "外交部,国务院"})["total"] == 0
    assert search(client, {"author": "孔泉,秦刚"})["total"] == 0
    # a real department with an enumeration comma is one value
    dept = "国务院、中央军事委员会"
    expected = {i for i, r in small_records.items() if r["department"] == dept}
    assert len(expected) == 1
    assert set(all_ids(client, {"department": dept})) == expected


def test_year_and_month_filters(client, small_records) -> None:
    def by(pred):
        return {i for i, r in small_records.items() if r["date"] and pred(r["date"])}

    assert set(all_ids(client, {"year": "2005"})) == by(lambda d: d[:4] == "2005")
    assert set(all_ids(client, [("year", "2004"), ("year", "2019")])) == by(
        lambda d: d[:4] in ("2004", "2019"))
    assert set(all_ids(client, {"month": "2019-04"})) == by(lambda d: d[:7] == "2019-04")
    assert set(all_ids(client, [("month", "2019-04"), ("month", "2024-08")])) == by(
        lambda d: d[:7] in ("2019-04", "2024-08"))
    assert len(by(lambda d: d[:7] == "2019-04")) == 2
    assert all_ids(client, [("year", "2005"), ("month", "2019-04")]) == []


def test_date_range_is_inclusive_and_excludes_undated(client, small_records) -> None:
    lo, hi = "2005-01-06", "2019-04-23"  # both are dates of real notices
    expected = {i for i, r in small_records.items() if r["date"] and lo <= r["date"] <= hi}
    assert any(small_records[i]["date"] == lo for i in expected)
    assert any(small_records[i]["date"] == hi for i in expected)
    assert set(all_ids(client, {"date_from": lo, "date_to": hi})) == expected
    after = {i for i, r in small_records.items() if r["date"] and r["date"] >= "1900-01-01"}
    assert set(all_ids(client, {"date_from": "1900-01-01"})) == after
    assert len(after) == 35
    before = {i for i, r in small_records.items() if r["date"] and r["date"] <= hi}
    assert set(all_ids(client, {"date_to": hi})) == before
    same_day = all_ids(client, {"date_from": hi, "date_to": hi})
    assert same_day == sorted(i for i, r in small_records.items() if r["date"] == hi)


# --- facets ------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", [
    {},
    {"authors": ("孔泉",)},
    {"authors": ("孔泉", "秦刚")},
    {"departments": ("外交部",)},
    {"departments": ("国务院",), "years": ("2024",)},
    {"authors": ("刘建超",), "years": ("2005",)},
], ids=str)
def test_disjunctive_facets(client, small_records, filters) -> None:
    params = ([("department", d) for d in filters.get("departments", ())]
              + [("author", a) for a in filters.get("authors", ())]
              + [("year", y) for y in filters.get("years", ())]
              + [("facet_size", 500)])
    body = search(client, params)
    assert {k: body["facets"][k] for k in FACET_KEYS} == expected_facets(small_records, **filters)


def test_author_filter_keeps_other_spokespersons_in_the_author_facet(
        client, small_records) -> None:
    body = search(client, {"author": "孔泉"})
    authors = {f["value"]: f["count"] for f in body["facets"]["author"]}
    spokespersons = Counter(r["author"] for r in small_records.values() if r["author"])
    assert authors == dict(spokespersons)
    assert authors["孔泉"] == 2 and authors["秦刚"] == 2 and len(authors) >= 9
    assert body["facets"]["department"] == [{"value": "外交部", "count": 2}]
    assert body["total"] == 2


def test_facet_values_by_count_then_code_point(client) -> None:
    facets = search(client, {"facet_size": 500})["facets"]
    for name in FACET_KEYS:
        keys = [(-f["count"], f["value"]) for f in facets[name]]
        assert keys == sorted(keys), name
        assert all(f["count"] > 0 for f in facets[name])


def test_facet_size_truncates(client, small_records) -> None:
    full = search(client, {"facet_size": 500})["facets"]
    one = search(client, {"facet_size": 1})["facets"]
    for name in FACET_KEYS:
        assert one[name] == full[name][:1], name
    assert one["department"] == [{"value": "外交部", "count": 16}]
    three = search(client, {"facet_size": 3})["facets"]
    assert all(three[name] == full[name][:3] for name in FACET_KEYS)


def test_facets_of_a_query(client, small_records) -> None:
    matched = {i: small_records[i] for i in containing(small_records, "条例")}
    body = search(client, {"q": "条例", "facet_size": 500})
    assert {k: body["facets"][k] for k in FACET_KEYS} == expected_facets(matched)


# --- pagination --------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "外交部", "条例"])
def test_page_two_continues_page_one(client, q) -> None:
    ten = [h["id"] for h in search(client, {"q": q, "size": 10})["hits"]]
    first = [h["id"] for h in search(client, {"q": q, "page": 1, "size": 5})["hits"]]
    second = search(client, {"q": q, "page": 2, "size": 5})
    assert len(ten) == 10
    assert second["page"] == 2 and second["size"] == 5
    assert [h["id"] for h in second["hits"]] == ten[5:10]
    assert first == ten[:5]


def test_a_page_past_the_end_is_empty(client, small_records) -> None:
    body = search(client, {"page": 5, "size": 10})
    assert body["total"] == 38
    assert [h["id"] for h in body["hits"]] == []
    last = search(client, {"page": 4, "size": 10})
    assert [h["id"] for h in last["hits"]] == newest_order(small_records)[30:]


# --- query syntax through HTTP -----------------------------------------------------------


@pytest.mark.parametrize("q", ['"外交部发言人"', "“外交部发言人”", "＂外交部发言人＂"])
def test_quoted_phrase(client, small_records, q) -> None:
    assert set(all_ids(client, {"q": q})) == containing(small_records, "外交部发言人")


def test_exclusion_only_query_excludes_from_all(client, small_records) -> None:
    expected = set(small_records) - containing(small_records, "外交部")
    ids = set(all_ids(client, {"q": "-外交部"}))
    assert ids == expected
    assert not any(i.startswith("mfa-") for i in ids)
    assert SAMPLE in ids and len(ids) == 21


def test_exclusion_with_a_positive_part(client, small_records) -> None:
    expected = containing(small_records, "条例") - containing(small_records, "上海市")
    assert expected
    assert set(all_ids(client, {"q": "条例 -上海市"})) == expected


def test_a_hyphen_inside_a_part_is_text(client, small_records) -> None:
    expected = containing(small_records, "中国-东盟")
    assert expected == {"mfa-312464"}
    assert set(all_ids(client, {"q": "中国-东盟"})) == expected


def test_parts_must_all_match(client, small_records) -> None:
    expected = containing(small_records, "外交部") & containing(small_records, "台湾")
    assert expected
    assert set(all_ids(client, {"q": "外交部 台湾"})) == expected
    assert set(all_ids(client, {"q": "外交部\u3000台湾"})) == expected


def test_or_between_parts(client, small_records) -> None:
    expected = containing(small_records, "凤民") | containing(small_records, "孔泉")
    assert set(all_ids(client, {"q": "凤民 OR 孔泉"})) == expected
    assert SAMPLE in expected and len(expected) > 1


def test_or_with_a_group(client, small_records) -> None:
    expected = containing(small_records, "条例") & (
        containing(small_records, "上海市") | containing(small_records, "杭州市"))
    assert set(all_ids(client, {"q": "条例 (上海市 OR 杭州市)"})) == expected


def test_title_scope(client, small_records) -> None:
    expected = containing(small_records, "条例", fields=("title",))
    assert expected != containing(small_records, "条例")
    assert set(all_ids(client, {"q": "title:条例"})) == expected


def test_department_scope(client, small_records) -> None:
    expected = containing(small_records, "外交部", fields=("department",))
    assert len(expected) == 16
    assert set(all_ids(client, {"q": "department:外交部"})) == expected


def test_author_scope(client, small_records) -> None:
    expected = {i for i, r in small_records.items() if r["author"] == "孔泉"}
    assert set(all_ids(client, {"q": "author:孔泉"})) == expected


def test_other_name_colon_is_text(client, small_records) -> None:
    law = "law-0042f6f14eec"
    assert "检察官的职责：" in small_records[law]["body"]
    expected = containing(small_records, "检察官的职责：")
    assert law in expected
    assert set(all_ids(client, {"q": "检察官的职责:"})) == expected
    assert set(all_ids(client, {"q": "职责:检察官"})) == containing(small_records, "职责：检察官")


def test_pasted_clause_with_punctuation_finds_its_law(client, small_records) -> None:
    law = "law-0042f6f14eec"
    body = small_records[law]["body"]
    comma = body.index("，", 200)
    clause = body[comma - 6:comma + 7]
    assert "，" in clause and "\n" not in clause
    ids = all_ids(client, {"q": clause})
    assert law in ids
    assert set(ids) == containing(small_records, clause)


def test_full_width_comma_matches_an_ascii_comma(client, small_records) -> None:
    text = small_records[SAMPLE]["body"]
    phrase = "赵凤民指出,党的十九大以来"
    assert phrase in text and "，" not in text[:200]
    assert SAMPLE in all_ids(client, {"q": phrase.replace(",", "，")})
    assert SAMPLE in all_ids(client, {"q": phrase})


# --- /notices/{id} -----------------------------------------------------------------------


def test_a_notice_is_returned_whole(client, small_records) -> None:
    resp = client.simulate_get(f"/notices/{SAMPLE}")
    assert resp.status_code == 200
    record = small_records[SAMPLE]
    for key, value in record.items():
        assert resp.json[key] == value, key


@pytest.mark.parametrize("notice_id", ["mfa-312432", "law-4fbd4b8d5336", "report-ab6a242c70"])
def test_other_notices_are_returned_whole(client, small_records, notice_id) -> None:
    resp = client.simulate_get(f"/notices/{notice_id}")
    assert resp.status_code == 200
    assert {k: resp.json[k] for k in small_records[notice_id]} == small_records[notice_id]


@pytest.mark.parametrize("path", [
    "/notices/no-such-notice",
    "/notices/a%2Fb",  # an encoded slash
    "/notices/%E5%B7%A1%E8%A7%86",  # 巡视
    "/notices/%00",
    "/notices/%ED%A0%80",  # a lone surrogate
    "/notices/%FF%FE",  # not UTF-8
    "/notices/" + "x" * 2000,
    "/notices/no-such-notice/related",
])
def test_unknown_notice_is_a_json_404(client, path) -> None:
    resp = client.simulate_get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json["title"] and resp.json["description"]


# --- related -----------------------------------------------------------------------------


@pytest.mark.parametrize("notice_id", [SAMPLE, "mfa-312432", "law-0042f6f14eec"])
def test_related_never_contains_itself(client, small_records, notice_id) -> None:
    resp = get(client, f"/notices/{notice_id}/related", {"size": 3})
    assert resp.status_code == 200
    body = resp.json
    assert body["id"] == notice_id
    assert 0 < len(body["related"]) <= 3
    for item in body["related"]:
        assert item["id"] != notice_id
        assert item["id"] in small_records
        assert set(item) >= {"id", "title", "date", "department", "score", "reasons"}
        assert item["title"] == small_records[item["id"]]["title"]
        assert isinstance(item["reasons"]["shared_terms"], list)
        assert item["reasons"]["shared_terms"]
    scores = [item["score"] for item in body["related"]]
    assert scores == sorted(scores, reverse=True)


def test_related_press_conferences(client) -> None:
    body = get(client, "/notices/mfa-312432/related", {"size": 3}).json
    assert any(item["id"].startswith("mfa-") for item in body["related"])


# --- suggest -----------------------------------------------------------------------------


def test_suggest_completes_a_prefix(client) -> None:
    resp = get(client, "/suggest", {"q": "巡视"})
    assert resp.status_code == 200
    body = resp.json
    assert body["q"] == "巡视"
    suggestions = body["suggestions"]
    assert suggestions
    for s in suggestions:
        assert s["text"].startswith("巡视") and s["text"] != "巡视"
        assert isinstance(s["count"], int) and s["count"] > 0
    counts = [s["count"] for s in suggestions]
    assert counts == sorted(counts, reverse=True)


def test_suggest_size(client) -> None:
    body = get(client, "/suggest", {"q": "外交", "size": 2}).json
    assert 0 < len(body["suggestions"]) <= 2


@pytest.mark.parametrize("q", ["", " ", "\u3000"])
def test_suggest_blank_is_empty(client, q) -> None:
    resp = get(client, "/suggest", {"q": q})
    assert resp.status_code == 200
    assert resp.json["suggestions"] == []
    assert client.simulate_get("/suggest").json["suggestions"] == []


# --- health and the missing index --------------------------------------------------------


def test_health(client) -> None:
    resp = client.simulate_get("/health")
    assert resp.status_code == 200
    body = resp.json
    assert body["status"] == "ok"
    assert body["documents"] == 38
    assert isinstance(body["generation"], str) and body["generation"]


@pytest.mark.parametrize("path", ["/health", "/search", "/notices/x", "/notices/x/related",
                                  "/suggest?q=巡视"])
def test_no_index_is_503(tmp_path, path) -> None:
    app = create_app(Settings.from_env(index_dir=tmp_path / "index", reload_interval=0))
    route, _, query = path.partition("?")
    resp = TestClient(app).simulate_get(route, query_string=query or None)
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json["title"] and resp.json["description"]


# --- encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize("path,query,text", [
    ("/search", "q=巡视", "巡视"),
    (f"/notices/{SAMPLE}", "", "巡视"),
    ("/suggest", "q=巡视", "巡视"),
    ("/notices/mfa-312432/related", "size=3", "外交部"),
    ("/notices/no-such-id", "", ""),  # errors too
])
def test_json_is_utf8_with_chinese_unescaped(client, path, query, text) -> None:
    resp = client.simulate_get(path, query_string=query or None)
    assert resp.headers["content-type"].startswith("application/json")
    raw = resp.content
    raw.decode("utf-8")
    assert text.encode("utf-8") in raw
    assert b"\\u" not in raw
