"""CSV export: every hit of a query, in order, UTF-8 with a BOM, over HTTP and the CLI."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from falcon.testing import TestClient

from search_service.app import create_app
from search_service.export import COLUMNS
from search_service.settings import Settings

from .conftest import REPO


@pytest.fixture(scope="module")
def client(small_home) -> TestClient:
    return TestClient(create_app(Settings.from_env(index_dir=small_home.root,
                                                   reload_interval=0)))


def _csv(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_holds_every_hit_in_the_order_of_the_json(client, small_records) -> None:
    params = {"q": "发展", "sort": "newest"}
    body = client.simulate_get("/search", query_string=urlencode({**params, "size": 100})).json
    resp = client.simulate_get("/search", query_string=urlencode({**params, "format": "csv"}))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert "search.csv" in resp.headers["content-disposition"]
    rows = _csv(resp.content)
    assert body["total"] > 10  # more than one page: the export is not paged
    assert [r["id"] for r in rows] == [h["id"] for h in body["hits"]]
    for row in rows:
        record = small_records[row["id"]]
        assert list(row) == list(COLUMNS)
        assert row["title"] == record["title"]
        assert row["date"] == (record.get("date") or "")
        assert row["department"] == (record.get("department") or "")
        assert row["score"] == ""  # a date sort has no score


def test_csv_of_the_sample_notice_keeps_its_chinese_fields(client, small_records) -> None:
    resp = client.simulate_get("/search", query_string=urlencode(
        {"q": "省委第九巡视组向长兴岛经济技术开发区党工委反馈巡视情况", "format": "csv"}))
    rows = _csv(resp.content)
    first = rows[0]
    assert first["id"] == "seed-changxingdao-2024-08-20"
    assert (first["date"], first["department"], first["author"]) == \
        ("2024-08-20", "党群工作部", "韩雨")
    assert float(first["score"]) > 0


def test_csv_rejects_what_json_rejects(client) -> None:
    resp = client.simulate_get("/search", query_string=urlencode(
        {"q": "巡" * 201, "format": "csv"}))
    assert resp.status_code == 400
    assert "200" in resp.json["description"]
    resp = client.simulate_get("/search", query_string="q=x&format=xml")
    assert resp.status_code == 400
    assert "csv" in resp.json["description"]


def test_cli_search_csv_matches_http(client, small_home) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "search_service.cli", "search", "--csv",
         "--index-dir", str(small_home.root), "--sort", "oldest", "巡视"],
        cwd=REPO, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    http = client.simulate_get("/search", query_string=urlencode(
        {"q": "巡视", "sort": "oldest", "format": "csv"}))
    assert done.stdout == http.content
