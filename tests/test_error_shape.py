"""One JSON error shape for every 4xx, and no client input that yields a 5xx."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest
from falcon.testing import TestClient

from search_service.app import create_app
from search_service.settings import Settings

SAMPLE = "seed-changxingdao-2024-08-20"
CJK_200 = ("巡视整改" * 50)[:200]


@pytest.fixture(scope="module")
def client(small_home) -> TestClient:
    return TestClient(create_app(Settings.from_env(index_dir=small_home.root,
                                                   reload_interval=0)))


def is_json(resp) -> bool:
    return resp.headers.get("content-type", "").startswith("application/json")


# (method, path, raw query string, expected status)
CASES = [
    # q is at most 200 characters
    ("GET", "/search", "q=" + quote(CJK_200 + "巡"), 400),
    ("GET", "/search", "q=" + "a" * 201, 400),
    # page from 1, an integer
    ("GET", "/search", "page=0", 400),
    ("GET", "/search", "page=-1", 400),
    ("GET", "/search", "page=abc", 400),
    ("GET", "/search", "page=1.5", 400),
    # size 1-100
    ("GET", "/search", "size=0", 400),
    ("GET", "/search", "size=101", 400),
    ("GET", "/search", "size=x", 400),
    # page x size at most 10,000
    ("GET", "/search", "page=1001&size=10", 400),
    ("GET", "/search", "page=101&size=100", 400),
    ("GET", "/search", "page=10001", 400),
    # facet_size 1-500
    ("GET", "/search", "facet_size=0", 400),
    ("GET", "/search", "facet_size=501", 400),
    # sort is one of three words
    ("GET", "/search", "sort=bogus", 400),
    ("GET", "/search", "sort=Newest", 400),
    # year is YYYY, month YYYY-MM
    ("GET", "/search", "year=24", 400),
    ("GET", "/search", "year=2024&year=abcd", 400),
    ("GET", "/search", "month=2024-13", 400),
    ("GET", "/search", "month=2024-00", 400),
    ("GET", "/search", "month=2024", 400),
    # dates are real YYYY-MM-DD dates
    ("GET", "/search", "date_from=2024-02-30", 400),
    ("GET", "/search", "date_to=2024-13-01", 400),
    ("GET", "/search", "date_from=20240101", 400),
    ("GET", "/search", "date_to=%E4%BB%8A%E5%A4%A9", 400),
    # an empty range
    ("GET", "/search", "date_from=2024-08-21&date_to=2024-08-20", 400),
    # an unknown route: Falcon's 404 gets a description
    ("GET", "/nope", "", 404),
    ("GET", "/search/extra", "", 404),
    ("GET", "/notices", "", 404),
    ("GET", "/notices/a/b/c", "", 404),
    # an unknown notice
    ("GET", "/notices/no-such-notice", "", 404),
    ("GET", "/notices/no-such-notice/related", "", 404),
    # methods that no route supports: Falcon's 405 gets a description
    ("POST", "/search", "", 405),
    ("PUT", "/search", "q=x", 405),
    ("DELETE", "/notices/x", "", 405),
    ("POST", f"/notices/{SAMPLE}", "", 405),
    ("DELETE", f"/notices/{SAMPLE}/related", "", 405),
    ("POST", "/suggest", "", 405),
    ("POST", "/health", "", 405),
    # related size 1-50
    ("GET", f"/notices/{SAMPLE}/related", "size=0", 400),
    ("GET", f"/notices/{SAMPLE}/related", "size=abc", 400),
    ("GET", "/notices/x/related", "size=0", 400),
    # suggest: q at most 50 characters, size at least 1
    ("GET", "/suggest", "q=" + quote("巡" * 51), 400),
    ("GET", "/suggest", "size=0", 400),
    ("GET", "/suggest", "q=%E5%B7%A1&size=-3", 400),
]


@pytest.mark.parametrize("method,path,query,status", CASES,
                         ids=[f"{m} {p}?{q[:40]}" for m, p, q, _ in CASES])
def test_every_error_has_the_json_shape(client, method, path, query, status) -> None:
    resp = client.simulate_request(method, path, query_string=query or None)
    assert resp.status_code == status, resp.text
    assert is_json(resp)
    body = resp.json
    assert isinstance(body, dict)
    assert isinstance(body.get("title"), str) and body["title"].strip()
    assert isinstance(body.get("description"), str) and body["description"].strip()


# The limits themselves are accepted.
@pytest.mark.parametrize("path,query", [
    ("/search", "q=" + quote(CJK_200)),
    ("/search", "q=" + "a" * 200),
    ("/search", "page=1000&size=10"),
    ("/search", "page=100&size=100"),
    ("/search", "page=10000&size=1"),
    ("/search", "size=1&facet_size=1"),
    ("/search", "size=100&facet_size=500"),
    ("/search", "date_from=2024-08-20&date_to=2024-08-20"),
    ("/search", "year=2024&month=2024-12"),
    ("/suggest", "q=" + quote("巡" * 50)),
    (f"/notices/{SAMPLE}/related", "size=50"),
])
def test_limits_are_allowed(client, path, query) -> None:
    resp = client.simulate_get(path, query_string=query)
    assert resp.status_code == 200, resp.text
    assert is_json(resp)


def test_no_index_is_a_503_with_the_shape(tmp_path) -> None:
    client = TestClient(create_app(Settings.from_env(index_dir=tmp_path / "none",
                                                     reload_interval=0)))
    for path in ("/health", "/search"):
        resp = client.simulate_get(path)
        assert resp.status_code == 503
        assert is_json(resp)
        assert resp.json["title"] and resp.json["description"]


# --- hostile input -----------------------------------------------------------------------

# The queries that took Whoosh's default parser tens of seconds or crashed it.
PITFALL_QUERIES = ["*", "??", "*改", "(" * 200, "a OR " * 40, ")" * 200, '"' * 200,
                   "-" * 200, "OR", "OR OR", "NOT", "AND", "title:", "title:()", '-""',
                   "。", "，", "\\", "\x00", "~", "^2", "巡视~2", "巡视^3", "[a TO z]",
                   "{a TO z}", "date:2024", "title:*", "body:?", "(" * 30 + "巡视" + ")" * 30,
                   "“巡视", "＂巡视", "（巡视", "【巡视】", "〔2024〕1号", "巡视 " * 40,
                   "巡视 OR " * 25, "-(-(-(-巡视)))", "title:(body:(author:韩雨))"]


@pytest.mark.parametrize("q", PITFALL_QUERIES, ids=range(len(PITFALL_QUERIES)))
def test_hostile_queries_are_answered(client, q) -> None:
    for path in ("/search", "/suggest"):
        resp = client.simulate_get(path, query_string="q=" + quote(q, safe=""))
        assert resp.status_code in (200, 400), (path, resp.status_code, resp.text)
        assert is_json(resp)
        if resp.status_code == 400:
            assert resp.json["title"] and resp.json["description"]


PARAMS = {
    "/search": ["q", "department", "author", "year", "month", "date_from", "date_to", "sort",
                "page", "size", "facet_size"],
    "/notices/{id}": [],
    "/notices/{id}/related": ["size"],
    "/suggest": ["q", "size"],
    "/health": [],
    "/openapi.json": [],
    "/": [],
}
PIECES = ['"', "“", "”", "＂", "（", "）", "(", ")", "【", "】", "〔", "〕", "*", "?", "~",
          "^", ":", "：", "-", " OR ", " AND ", " NOT ", "OR", "\\", "\x00", " ", "\u3000",
          "title:", "body:", "department:", "author:", "foo:", "&", "=", "+", "%", "#", "/",
          "巡视", "整改", "外交部", "孔泉", "2024-08-20", "2024", "2024-08", "，", "。", "、",
          "０", "ａ", "\ufeff", "\u200b", "😀", "\U00020000", "<em>", "</script>", "'", ";"]
RAW = ["%ED%A0%80", "%ED%BF%BF", "%FF%FE", "%C0%AF", "%E5%B7", "%", "%G1", "%2", "%00",
       "%0A", "%0D", "+", "%2B", "%26", "%3D"]
NUMBERS = ["0", "-1", "1", "2", "10", "50", "100", "101", "500", "501", "10000", "10001",
           "99999999999999999999", "1.5", "1e3", " 2", "0x10", "", "٣", "２"]
DATES = ["2024-08-20", "2024-02-30", "2024-13-01", "0000-00-00", "9999-12-31", "2024-8-2",
         "20240820", "", "2024", "2024-08", "1-1-1"]


def random_text(rng: random.Random, limit: int) -> str:
    """A percent-encoded value built from hostile pieces, random code points and raw escapes."""
    out = []
    for _ in range(rng.randint(0, limit)):
        roll = rng.random()
        if roll < 0.45:
            out.append(quote(rng.choice(PIECES), safe=""))
        elif roll < 0.65:
            out.append(quote(chr(rng.randint(0x4E00, 0x9FFF)), safe=""))
        elif roll < 0.8:
            code = rng.randint(1, 0x10FFFF)
            if 0xD800 <= code <= 0xDFFF:
                code = 0xFFFD
            out.append(quote(chr(code), safe=""))
        else:
            out.append(rng.choice(RAW))
    return "".join(out)


def random_value(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "x" * rng.choice([201, 1000, 5000])
    if roll < 0.1:
        return quote("巡视" * rng.randint(20, 120), safe="")
    if name in ("page", "size", "facet_size") and roll < 0.7:
        return quote(rng.choice(NUMBERS), safe="")
    if name in ("date_from", "date_to", "year", "month") and roll < 0.7:
        return quote(rng.choice(DATES), safe="")
    if name == "sort" and roll < 0.6:
        return rng.choice(["relevance", "newest", "oldest", "", "RELEVANCE", "random"])
    return random_text(rng, 12)


def hostile_requests(count: int = 300, seed: int = 20240820) -> list[tuple[str, str]]:
    """(path, raw query string) pairs; every route is covered, each with all its params."""
    rng = random.Random(seed)
    routes = list(PARAMS)
    ids = [SAMPLE, "mfa-312432", "x", ""]
    requests = []
    for i in range(count):
        route = routes[i % len(routes)]
        names = list(PARAMS[route]) or ["q"]
        # every parameter name, some repeated, plus an unknown one
        chosen = names + rng.sample(names, k=min(len(names), rng.randint(0, 3))) + ["zz"]
        pairs = [f"{quote(n)}={random_value(rng, n)}" for n in chosen if rng.random() < 0.8]
        if rng.random() < 0.2:
            pairs.append(random_text(rng, 6))  # a pair without "="
        query = "&".join(pairs)
        if "{id}" in route:
            notice = rng.choice(ids) if rng.random() < 0.5 else random_text(rng, 8)
            path = route.replace("{id}", notice.replace("%2F", "/") or "%20")
        else:
            path = route
        requests.append((path, query))
    return requests


def test_hostile_requests_never_give_a_5xx(client) -> None:
    requests = hostile_requests()
    assert len(requests) == 300
    failures = []
    for path, query in requests:
        for target in {path, "/search"}:
            resp = client.simulate_get(target, query_string=query or None)
            if resp.status_code >= 500:
                failures.append((resp.status_code, target, query, resp.text[:200]))
            elif resp.status_code >= 400:
                if not (is_json(resp) and resp.json.get("title") and resp.json.get("description")):
                    failures.append((resp.status_code, target, query, resp.text[:200]))
    assert not failures, failures[:10]


def test_hostile_paths_never_give_a_5xx(client) -> None:
    rng = random.Random(7)
    failures = []
    for _ in range(100):
        path = "/" + "/".join(random_text(rng, 6) for _ in range(rng.randint(1, 4)))
        for method in ("GET", "POST", "DELETE"):
            resp = client.simulate_request(method, path)
            if resp.status_code >= 500 or resp.status_code >= 400 and not is_json(resp):
                failures.append((method, path, resp.status_code, resp.text[:200]))
    assert not failures, failures[:10]


def test_hostile_search_boxes_never_give_a_5xx(client) -> None:
    """Random queries alone (no bad numbers to stop them early) through the parser."""
    rng = random.Random(31)
    failures = []
    for i in range(300):
        q = random_text(rng, 40)
        sort = ["", "&sort=newest", "&sort=oldest", "&sort=relevance"][i % 4]
        for path in ("/search", "/suggest"):
            resp = client.simulate_get(path, query_string=f"q={q}{sort}")
            if resp.status_code not in (200, 400) or not is_json(resp):
                failures.append((path, q, resp.status_code, resp.text[:200]))
    assert not failures, failures[:10]
