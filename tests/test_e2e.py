"""End to end: the real CLI in subprocesses and a real gunicorn on a free port.

One session-scoped index of the 351 raw page files is built with
`search-service index`, then served by `search-service serve` with two workers.
The tests talk HTTP with urllib only, and reindex, delete and rebuild the same
index directory while the service runs. The rebuild test runs last and puts the
full raw set back when it is done.
"""

from __future__ import annotations

import fcntl
import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_service.textnorm import is_han

from . import served
from .conftest import REPO

pytestmark = pytest.mark.e2e

RAW_COUNT = 351
HTML_COUNT = 50
SAMPLE_ID = "seed-changxingdao-2024-08-20"
#: The title of the notice the upsert test adds; found nowhere in the corpus.
UNIQUE_WORD = "测试唯一词汇甲乙丙"
UNIQUE_ID = "e2e-unique-notice"


# --------------------------------------------------------------------------- helpers


def cli(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run `python -m search_service.cli ARGS` and return the finished process."""
    return subprocess.run([sys.executable, "-m", "search_service.cli", *args], cwd=REPO,
                          env=served.env(**env), capture_output=True, text=True, timeout=timeout)


def last_json(out: str) -> dict:
    """Parse the last line of stdout as JSON."""
    lines = out.strip().splitlines()
    assert lines, "nothing on stdout"
    return json.loads(lines[-1])


def get(base: str, path: str, **params: object) -> tuple[int, dict | str, str]:
    """GET base+path?params; return (status, parsed JSON or text, content type)."""
    url = base + path
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            status, ctype, raw = resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        status, ctype, raw = exc.code, exc.headers.get("Content-Type", ""), exc.read()
    text = raw.decode("utf-8")
    if ctype.startswith("application/json"):
        return status, json.loads(text), ctype
    return status, text, ctype


def get_ok(base: str, path: str, **params: object) -> dict:
    status, body, _ = get(base, path, **params)
    assert status == 200, (path, params, status, body)
    assert isinstance(body, dict)
    return body


def wait_for(predicate, timeout: float, interval: float = 0.1):
    """Poll predicate() until it returns something truthy; return it, or the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def every_worker(predicate, timeout: float, agreeing: int = 10) -> bool:
    """Poll until `agreeing` requests in a row satisfy predicate (every worker answers so).

    A worker notices a change on its first request after its reload interval and opens
    the new generation in the background, so one worker can switch a moment before the
    other: the bound is on how long until all of them have, not on which goes first.
    """
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < agreeing:
        if predicate():
            streak += 1
            continue
        streak = 0
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def all_hit_ids(base: str, q: str) -> tuple[int, list[str]]:
    """Return total and every hit id of a query, paging with size=100."""
    first = get_ok(base, "/search", q=q, size=100)
    total, ids = first["total"], [h["id"] for h in first["hits"]]
    page = 2
    while len(ids) < total:
        body = get_ok(base, "/search", q=q, size=100, page=page)
        if not body["hits"]:
            break
        ids.extend(h["id"] for h in body["hits"])
        page += 1
    return total, ids


def scrape_text(title: str, date: str, author: str, department: str,
                paragraphs: list[str]) -> str:
    """A page in the page-scrape layout of SOURCES.md (NBSP NBSP space separators)."""
    sep = "\u00a0\u00a0 "
    head = [
        "政府信息公开",
        title,
        f"时间:{date}{sep}作者:{author}{sep}来源:{department}{sep}点击:",
        "字号:\u00a0\u00a0\u00a0\u00a0 \u00a0打印本页",
    ]
    return "\n".join(head) + "\n" + "".join(f"\n  {p}\n" for p in paragraphs).rstrip("\n")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def raw_records(corpus_dir: Path, raw_dir: Path) -> dict[str, dict]:
    """The notices.jsonl records of the 351 raw page files, by id."""
    ids = {p.stem for p in raw_dir.iterdir() if p.suffix in (".txt", ".html")}
    assert len(ids) == RAW_COUNT
    records = {}
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in ids:
                records[record["id"]] = record
    assert len(records) == RAW_COUNT
    return records


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """An index of all raw files, built by the real `index` command."""
    directory = tmp_path_factory.mktemp("e2e") / "index"
    done = cli("index", "--index-dir", str(directory), "--json", str(raw_dir))
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert (summary["added"], summary["rejected"], summary["skipped"]) == (RAW_COUNT, 0, 0)
    assert summary["read"] == RAW_COUNT
    # stdout is the summary alone; progress and rejections go to stderr.
    assert len(done.stdout.strip().splitlines()) == 1, done.stdout
    assert "indexing:" not in done.stdout
    return directory


@pytest.fixture(scope="session")
def running(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Server]:
    """A real gunicorn (2 workers) serving index_dir."""
    log_path = tmp_path_factory.mktemp("e2e-log") / "server.log"
    with served.gunicorn(index_dir, log_path, reload_interval="0.5") as server:
        yield server


@pytest.fixture(scope="session")
def server(running: served.Server) -> str:
    """The base URL of the running gunicorn."""
    return running.base


# --------------------------------------------------------------------------- 1. basics


def test_health_counts_every_raw_file(server: str) -> None:
    body = get_ok(server, "/health")
    assert body["status"] == "ok"
    assert body["documents"] == RAW_COUNT
    assert isinstance(body["generation"], str) and body["generation"]


def test_each_worker_opens_the_index_before_taking_requests(running: served.Server) -> None:
    # serve.open_index: opening inside the first request counted against gunicorn's
    # timeout. Each worker logs the generation it opened, with its notices.
    get_ok(running.base, "/health")

    def both_opened() -> list[tuple[str, str, str]] | None:
        found = re.findall(r"worker (\d+) opened generation (\S+) \((\d+) notices\)",
                           running.log_path.read_text(encoding="utf-8", errors="replace"))
        return found if len(found) >= 2 else None

    opened = wait_for(both_opened, timeout=30)
    assert opened, running.log()
    assert len({pid for pid, _, _ in opened}) == 2  # both workers, once each
    assert {count for _, _, count in opened} == {str(RAW_COUNT)}


def test_sample_is_first_hit_for_its_topic(server: str) -> None:
    body = get_ok(server, "/search", q="巡视整改")
    assert body["q"] == "巡视整改"
    assert body["sort"] == "relevance"
    assert body["total"] >= 1
    first = body["hits"][0]
    assert first["id"] == SAMPLE_ID
    assert "<em>巡视整改</em>" in first["snippet_html"]
    assert (first["date"], first["department"], first["author"], first["url"]) == (
        "2024-08-20", "党群工作部", "韩雨", None)


def test_notice_route_returns_every_field(server: str, raw_records: dict) -> None:
    body = get_ok(server, f"/notices/{SAMPLE_ID}")
    assert body["id"] == SAMPLE_ID
    assert body["author"] == "韩雨"
    assert body["department"] == "党群工作部"
    assert body["date"] == "2024-08-20"
    assert body["url"] is None
    record = raw_records[SAMPLE_ID]
    assert body["title"] == record["title"]
    assert body["body"] == record["body"]


def test_percent_encoded_chinese_query(server: str) -> None:
    url = server + "/search?q=" + urllib.parse.quote("赵凤民") + "&size=5"
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
        raw = resp.read().decode("utf-8")
    assert "赵凤民" in raw  # UTF-8, not \u-escaped
    body = json.loads(raw)
    assert body["q"] == "赵凤民"
    assert SAMPLE_ID in [h["id"] for h in body["hits"]]


def test_root_serves_html(server: str) -> None:
    status, body, ctype = get(server, "/")
    assert status == 200
    assert ctype.startswith("text/html")
    assert "<html" in body.lower()


def test_openapi_is_json(server: str) -> None:
    status, body, ctype = get(server, "/openapi.json")
    assert status == 200 and ctype.startswith("application/json")
    assert isinstance(body, dict)
    assert str(body.get("openapi", "")).startswith("3")
    assert "/search" in body["paths"]


def test_unknown_route_is_404_with_description(server: str) -> None:
    status, body, ctype = get(server, "/no/such/route")
    assert status == 404 and ctype.startswith("application/json")
    assert body["title"] and body["description"]
    status, body, _ = get(server, "/notices/no-such-notice")
    assert status == 404 and body["description"]


def test_overlong_query_is_400(server: str) -> None:
    status, body, _ = get(server, "/search", q="巡" * 201)
    assert status == 400
    assert body["title"] and body["description"]
    assert get(server, "/search", q="巡" * 200)[0] == 200


# --------------------------------------------------------------------------- 2. recall


def _recall_queries(records: dict[str, dict], count: int = 20) -> list[str]:
    rng = random.Random(20240820)
    ids = sorted(records)
    queries: list[str] = []
    while len(queries) < count:
        body = records[rng.choice(ids)]["body"]
        length = rng.randint(2, 5)
        if len(body) < length:
            continue
        start = rng.randrange(len(body) - length + 1)
        run = body[start:start + length]
        if all(is_han(ch) for ch in run) and run not in queries:
            queries.append(run)
    return queries





def test_recall_of_random_runs_over_the_raw_set(server: str, raw_records: dict) -> None:
    problems = []
    for run in _recall_queries(raw_records):
        expected = served.containing(raw_records, run)
        total, ids = all_hit_ids(server, run)
        missing = expected - set(ids)
        if missing or total != len(expected) or len(ids) != total:
            problems.append(f"{run}: expected {len(expected)}, total {total}, "
                            f"missing {sorted(missing)[:5]}, "
                            f"extra {sorted(set(ids) - expected)[:5]}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- 3. upsert


def test_upsert_and_delete_while_serving(server: str, index_dir: Path, tmp_path: Path) -> None:
    assert get_ok(server, "/search", q=UNIQUE_WORD)["total"] == 0
    source = tmp_path / f"{UNIQUE_ID}.txt"
    source.write_text(scrape_text(UNIQUE_WORD, "2025-01-02", "测试员", "测试处",
                                  ["这是端到端测试添加的一条通知。", "第二段正文。"]),
                      encoding="utf-8")
    done = cli("index", "--index-dir", str(index_dir), "--json", str(source))
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert (summary["added"], summary["updated"], summary["rejected"]) == (1, 0, 0)

    try:
        def found() -> bool:
            body = get_ok(server, "/search", q=UNIQUE_WORD)
            return body["total"] == 1 and body["hits"][0]["id"] == UNIQUE_ID

        assert every_worker(found, timeout=5), "the upserted notice is not found by every worker"
        notice = get_ok(server, f"/notices/{UNIQUE_ID}")
        assert (notice["title"], notice["date"], notice["author"], notice["department"]) == (
            UNIQUE_WORD, "2025-01-02", "测试员", "测试处")
        assert every_worker(lambda: get_ok(server, "/health")["documents"] == RAW_COUNT + 1, 5)
    finally:
        # Deleted even when an assertion failed: later tests count the raw set.
        done = cli("delete", "--index-dir", str(index_dir), UNIQUE_ID)
    assert done.returncode == 0, done.stderr

    def gone() -> bool:
        return get_ok(server, "/search", q=UNIQUE_WORD)["total"] == 0

    assert every_worker(gone, timeout=5), "the deleted notice is still found by a worker"
    assert every_worker(lambda: get_ok(server, "/health")["documents"] == RAW_COUNT, 5)

    done = cli("delete", "--index-dir", str(index_dir), UNIQUE_ID)
    assert done.returncode == 1
    assert UNIQUE_ID in done.stderr


# --------------------------------------------------------------------------- 5. rejected rebuild


@pytest.fixture()
def html_copy(raw_dir: Path, tmp_path: Path) -> Path:
    """A directory holding copies of the 50 raw .html files."""
    target = tmp_path / "html"
    target.mkdir()
    for page in sorted(raw_dir.glob("*.html")):
        shutil.copy(page, target / page.name)
    assert len(list(target.iterdir())) == HTML_COUNT
    return target


def test_rejected_rebuild_keeps_the_old_generation(server: str, index_dir: Path,
                                                   html_copy: Path) -> None:
    from search_service.store import IndexHome

    home = IndexHome(index_dir)
    on_disk = f"{home.current_name()}.{home.open().latest_generation()}"

    def settled() -> dict | None:
        # Every worker on the latest commit (the upserts above made one): a worker opens
        # a new one in the background, answering from the one it has until then.
        answers = [get_ok(server, "/health") for _ in range(6)]
        latest = all(a["generation"] == on_disk for a in answers)
        return answers[0] if latest and answers[0]["documents"] == RAW_COUNT else None

    before = wait_for(settled, 10)
    assert before, "the service is not serving the full raw set"
    broken = html_copy / "zz-broken.json"
    broken.write_text('{"title": "半截', encoding="utf-8")
    done = cli("index", "--index-dir", str(index_dir), "--rebuild", "--json", str(html_copy))
    assert done.returncode == 1, (done.stdout, done.stderr)
    summary = last_json(done.stdout)
    assert summary["rejected"] == 1
    assert summary["added"] == HTML_COUNT  # read, but never switched to
    reject_lines = [line for line in done.stderr.splitlines() if str(broken) in line]
    assert reject_lines, done.stderr
    assert reject_lines[0].startswith(str(broken)) and ": " in reject_lines[0]
    assert str(broken) not in done.stdout

    # Give the workers more than one reload interval to (wrongly) switch.
    time.sleep(1.5)
    for _ in range(6):
        after = get_ok(server, "/health")
        assert after["documents"] == RAW_COUNT
        assert after["generation"] == before["generation"]
    assert get_ok(server, "/search", q="巡视整改")["hits"][0]["id"] == SAMPLE_ID


# --------------------------------------------------------------------------- 6. CLI on the index


def test_cli_search_matches_http(server: str, index_dir: Path) -> None:
    done = cli("search", "--index-dir", str(index_dir), "--json", "巡视整改")
    assert done.returncode == 0, done.stderr
    from_cli = last_json(done.stdout)
    from_http = get_ok(server, "/search", q="巡视整改")
    assert from_cli["total"] == from_http["total"]
    assert [h["id"] for h in from_cli["hits"]] == [h["id"] for h in from_http["hits"]]
    assert from_cli["hits"][0]["id"] == SAMPLE_ID


def test_cli_stats(server: str, index_dir: Path, raw_records: dict) -> None:
    done = cli("stats", "--index-dir", str(index_dir), "--json")
    assert done.returncode == 0, done.stderr
    stats = last_json(done.stdout)
    records = raw_records.values()
    dates = [r["date"] for r in records if r["date"]]
    assert stats["documents"] == RAW_COUNT
    assert isinstance(stats["generation"], str) and stats["generation"]
    assert stats["departments"] == len({r["department"] for r in records} - {None})
    assert stats["authors"] == len({r["author"] for r in records} - {None})
    assert (stats["date_min"], stats["date_max"]) == (min(dates), max(dates))
    assert stats["generation"] == get_ok(server, "/health")["generation"]


def test_index_gives_up_on_a_held_lock(server: str, index_dir: Path, raw_dir: Path) -> None:
    with open(index_dir / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            done = cli("index", "--index-dir", str(index_dir), "--json",
                       str(raw_dir / f"{SAMPLE_ID}.txt"), SEARCH_SERVICE_LOCK_TIMEOUT="1")
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "lock" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert get_ok(server, "/health")["documents"] == RAW_COUNT


# --------------------------------------------------------------------------- 4. rebuild (last)


class Hammer(threading.Thread):
    """Sends /search?q=外交部 and /health in a loop until stopped; records every answer."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.documents: list[int] = []
        self.requests = 0

    def run(self) -> None:
        while not self.stop.is_set():
            for path, params in (("/search", {"q": "外交部"}), ("/health", {})):
                self.requests += 1
                try:
                    status, body, _ = get(self.base, path, **params)
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    self.failures.append(f"{path}: {exc!r}")
                    continue
                if status != 200:
                    self.failures.append(f"{path}: {status} {body}")
                elif path == "/health":
                    self.documents.append(body["documents"])


def _rebuild_under_load(server: str, index_dir: Path, source: Path,
                        expected: int) -> tuple[dict, dict, Hammer]:
    before = get_ok(server, "/health")
    hammer = Hammer(server)
    hammer.start()
    try:
        time.sleep(0.5)
        done = cli("index", "--index-dir", str(index_dir), "--rebuild", "--json", str(source))
        assert done.returncode == 0, done.stderr
        summary = last_json(done.stdout)
        assert (summary["added"], summary["rejected"]) == (expected, 0)

        def switched():
            health = get_ok(server, "/health")
            return health["documents"] == expected and health
        after = wait_for(switched, timeout=5)
        assert after, f"/health did not report {expected} documents after the rebuild"
        time.sleep(1.0)  # keep hammering across the reload of both workers
    finally:
        hammer.stop.set()
        hammer.join(timeout=30)
    return before, after, hammer


def test_rebuild_while_serving(server: str, index_dir: Path, raw_dir: Path,
                               html_copy: Path) -> None:
    before, after, hammer = _rebuild_under_load(server, index_dir, html_copy, HTML_COUNT)
    assert not hammer.failures, hammer.failures[:10]
    assert hammer.requests > 4
    assert set(hammer.documents) <= {RAW_COUNT, HTML_COUNT}, sorted(set(hammer.documents))
    assert before["documents"] == RAW_COUNT
    assert after["generation"] != before["generation"]
    for _ in range(6):
        assert get_ok(server, "/health")["documents"] == HTML_COUNT
    status, _, _ = get(server, f"/notices/{SAMPLE_ID}")
    assert status == 404  # the sample is a .txt file: not in the html-only index

    # Rebuild back to the full raw set, under the same load.
    before, after, hammer = _rebuild_under_load(server, index_dir, raw_dir, RAW_COUNT)
    assert not hammer.failures, hammer.failures[:10]
    assert set(hammer.documents) <= {RAW_COUNT, HTML_COUNT}, sorted(set(hammer.documents))
    assert after["generation"] != before["generation"]
    assert get_ok(server, "/search", q="巡视整改")["hits"][0]["id"] == SAMPLE_ID
