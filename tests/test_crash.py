"""Crash and concurrency safety of indexing runs against a live gunicorn service.

The issue: "A second indexing run while one is running waits for a bounded time and
then fails with a clear message; it never corrupts. [...] kill an indexing run of a
slice of about 1,500 notices with SIGKILL at 20 random points of its run, rebuild and
upsert alike, while a gunicorn service answers queries: every request succeeds, every
answer comes from a complete generation, and the next run completes and cleans up what
the killed one left behind." and "A running service (every gunicorn worker) answers from
the new generation promptly after the switch, never from a half-written index, and never
fails a request during the switch."

One module-scoped index of the first 1,500 notices of the shared corpus is built with
the real CLI and served by a real gunicorn (2 workers, reload interval 0.2 s). While a
background thread keeps asking `/search` and `/health`, the tests

1. hold the index lock and check that a second run waits, then exits 3 cleanly;
2. SIGKILL 20 indexing runs (10 rebuilds, 10 upserts) at random points of their run;
3. rebuild 5 times between two slices of different sizes and measure how long each
   switch takes to reach every worker.

Run with `pytest -m crash tests/test_crash.py -s` to see the measurements (~16 minutes
on 2 cores, most of it the 20 killed runs themselves).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import served
from .conftest import REPO
from .served import Server

# Also marked `corpus`: it reads the shared corpus and runs ~16 minutes, so the quick
# selection `-m "not corpus and not e2e"` leaves it out; `-m crash` selects it.
pytestmark = [pytest.mark.crash, pytest.mark.corpus]

SLICE = 1_500
SMALL_SLICE = 1_000
#: The issue asks for 20; SEARCH_SERVICE_CRASH_KILLS lowers it for a quicker local run.
KILLS = int(os.environ.get("SEARCH_SERVICE_CRASH_KILLS", "20"))
SEED = 20240820
#: Appended to every title in the second variant of the slice: an upsert of it updates all.
SUFFIX = "（修订）"
#: Fixed queries of the background client; "" matches every notice (total == documents).
QUERIES = ("", "巡视整改", "外交部发言人", "安全生产")
RELOAD_INTERVAL = "0.2"
#: /health answers in a row, all from the new generation, taken as "every worker switched".
STREAK = 10


# --------------------------------------------------------------------------- helpers


def cli(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """Run `python -m search_service.cli ARGS` to the end and return the finished process."""
    return subprocess.run(served.cli_command(*args), cwd=REPO, env=served.env(**env),
                          capture_output=True,
                          text=True, timeout=timeout)


def last_json(out: str) -> dict:
    lines = out.strip().splitlines()
    assert lines, "nothing on stdout"
    return json.loads(lines[-1])


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def http_get(url: str, timeout: float = 10) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return exc.code, None


def current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def open_served(index_dir: Path):
    """Open the served generation with plain Whoosh, as a reader of the directory would."""
    from whoosh import index as whoosh_index

    name = current_name(index_dir)
    assert name, f"no CURRENT in {index_dir}: {sorted(os.listdir(index_dir))}"
    return name, whoosh_index.open_dir(str(index_dir / name))


def served_variant(index_dir: Path, first_id: str) -> str:
    """'b' when the served titles carry SUFFIX (the upsert variant was last indexed), else 'a'."""
    _name, ix = open_served(index_dir)
    with ix.searcher() as searcher:
        stored = searcher.document(id=first_id)
    assert stored is not None, first_id
    return "b" if stored["title"].endswith(SUFFIX) else "a"


def orphan_files(gen_dir: Path) -> list[str]:
    """Entries of a generation that its latest commit does not use (left by a killed writer)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(gen_dir))
    live = {seg.segment_id() for seg in ix._segments()}
    latest = ix.latest_generation()
    toc = re.compile(r"^_MAIN_(\d+)\.toc$")
    seg = re.compile(r"^(MAIN_[0-9a-z]+)\.")
    out = []
    for name in sorted(os.listdir(gen_dir)):
        if name == "MAIN_WRITELOCK":
            continue
        m_toc, m_seg = toc.match(name), seg.match(name)
        if m_toc and int(m_toc.group(1)) == latest:
            continue
        if m_seg and m_seg.group(1) in live:
            continue
        out.append(name)
    return out


def whoosh_lock_held(gen_dir: Path) -> bool:
    """True when some process holds Whoosh's fcntl write lock of a generation."""
    lock = gen_dir / "MAIN_WRITELOCK"
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_WRONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


@dataclass
class Leftovers:
    """What lies in the index directory besides the served generation and its files."""

    served: str
    generations: dict[str, float]  # other gen-* dirs -> MB
    pointer_tmps: list[str]
    orphans: list[str]  # unused entries inside the served generation
    orphan_mb: float = 0.0

    @classmethod
    def scan(cls, index_dir: Path) -> Leftovers:
        served = current_name(index_dir) or ""
        gens = {p.name: round(du_mb(p), 1) for p in sorted(index_dir.glob("gen-*"))
                if p.is_dir() and p.name != served}
        tmps = sorted(p.name for p in index_dir.glob(".CURRENT.*.tmp"))
        orphans = orphan_files(index_dir / served)
        mb = sum(du_mb(index_dir / served / o) if (index_dir / served / o).is_dir()
                 else (index_dir / served / o).stat().st_size / 1e6 for o in orphans)
        return cls(served, gens, tmps, orphans, round(mb, 1))

    def describe(self) -> str:
        parts = []
        if self.generations:
            parts.append("gen dirs " + ", ".join(f"{g[-12:]} ({mb} MB)"
                                                 for g, mb in self.generations.items()))
        if self.pointer_tmps:
            parts.append("pointer tmps " + ", ".join(self.pointer_tmps))
        if self.orphans:
            tmp_dirs = [o for o in self.orphans if o.endswith(".tmp")]
            parts.append(f"{len(self.orphans)} unused entries ({self.orphan_mb} MB"
                         f"{', incl. ' + ', '.join(tmp_dirs) if tmp_dirs else ''}) "
                         "in the served gen")
        return "; ".join(parts) or "nothing"


# --------------------------------------------------------------------------- background client


@dataclass
class Probe:
    t: float
    path: str
    status: int | None
    documents: int | None = None
    generation: str | None = None
    total: int | None = None
    error: str | None = None


@dataclass
class Client:
    """A thread that keeps asking /search (fixed queries) and /health, recording everything."""

    base: str
    records: list[Probe] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Client:
        self._thread = threading.Thread(target=self._run, daemon=True, name="crash-client")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            if i % 2 == 0:
                self.records.append(probe_health(self.base))
            else:
                q = QUERIES[(i // 2) % len(QUERIES)]
                self.records.append(probe_search(self.base, q))
            i += 1
            time.sleep(0.02)

    def failures(self) -> list[Probe]:
        return [r for r in self.records if r.error or r.status != 200]


def probe_health(base: str) -> Probe:
    t = time.monotonic()
    try:
        status, body = http_get(base + "/health")
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then asserted on
        return Probe(t, "/health", None, error=f"{type(exc).__name__}: {exc}")
    body = body or {}
    return Probe(t, "/health", status, body.get("documents"), body.get("generation"))


def probe_search(base: str, q: str) -> Probe:
    t = time.monotonic()
    path = "/search?" + urllib.parse.urlencode({"q": q, "size": 3})
    try:
        status, body = http_get(base + path)
    except Exception as exc:  # noqa: BLE001
        return Probe(t, path, None, error=f"{type(exc).__name__}: {exc}")
    return Probe(t, path, status, total=(body or {}).get("total"))


# --------------------------------------------------------------------------- fixtures


@dataclass
class Slices:
    a: Path  # the first 1,500 records
    b: Path  # the same with SUFFIX on every title
    small: Path  # the first 1,000 records
    records: list[dict]
    tmp: Path

    def path(self, variant: str) -> Path:
        return self.a if variant == "a" else self.b

    def head(self, variant: str, n: int = 10) -> Path:
        """The first n records of a variant, as served: an upsert of it changes nothing."""
        recs = self.records[:n]
        if variant == "b":
            recs = [{**r, "title": r["title"] + SUFFIX} for r in recs]
        return write_jsonl(self.tmp / f"head-{variant}-{n}.jsonl", recs)


@pytest.fixture(scope="module")
def slices(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Slices:
    tmp = tmp_path_factory.mktemp("crash-slices")
    records = []
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        for line in handle:
            records.append(json.loads(line))
            if len(records) == SLICE:
                break
    assert len(records) == SLICE
    assert not any(r["title"].endswith(SUFFIX) for r in records)
    return Slices(
        a=write_jsonl(tmp / "slice-a.jsonl", records),
        b=write_jsonl(tmp / "slice-b.jsonl",
                      [{**r, "title": r["title"] + SUFFIX} for r in records]),
        small=write_jsonl(tmp / "slice-small.jsonl", records[:SMALL_SLICE]),
        records=records, tmp=tmp)


@pytest.fixture(scope="module")
def index_dir(slices: Slices, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete index of the slice, built by the real `index --rebuild`."""
    directory = tmp_path_factory.mktemp("crash") / "index"
    done = cli("index", "--rebuild", "--json", "--index-dir", str(directory), str(slices.a))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = last_json(done.stdout)
    assert (summary["added"], summary["rejected"], summary["switched"]) == (SLICE, 0, True)
    return directory


@pytest.fixture(scope="module")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real gunicorn (2 sync workers, reload interval 0.2 s) serving index_dir."""
    log_path = tmp_path_factory.mktemp("crash-log") / "server.log"
    with served.gunicorn(index_dir, log_path, reload_interval=RELOAD_INTERVAL) as running:
        yield running


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    """The background client, running for the length of one test."""
    c = Client(server.base).start()
    try:
        yield c
    finally:
        c.stop()


# --------------------------------------------------------------------------- shared checks


def assert_served_complete(index_dir: Path, documents: int = SLICE) -> str:
    """The served generation opens with plain Whoosh and holds every document."""
    name, ix = open_served(index_dir)
    assert ix.doc_count() == documents, (name, ix.doc_count())
    # The real `search-service stats --json`, in-process (a subprocess costs ~4 s of jieba
    # loading, 20 times over; the dictionaries are already loaded in this session).
    from search_service.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["stats", "--json", "--index-dir", str(index_dir)])
    assert rc == 0, err.getvalue()
    stats = last_json(out.getvalue())
    assert stats["documents"] == documents, stats
    assert stats["generation"].startswith(name + "."), (stats, name)
    return name


def assert_client_clean(c: Client, server: Server, allowed: set[int]) -> None:
    """Every request succeeded, and every answer came from a complete generation."""
    assert c.records, "the background client made no requests"
    failures = c.failures()
    assert not failures, (f"{len(failures)} of {len(c.records)} requests failed, e.g. "
                          f"{failures[:5]}\nserver log:\n{server.log()}")
    health = [r for r in c.records if r.path == "/health"]
    bad = [r for r in health if r.documents not in allowed]
    assert not bad, f"/health reported an incomplete generation: {bad[:5]}"
    everything = [r for r in c.records if r.path.startswith("/search?q=&")]
    bad = [r for r in everything if r.total not in allowed]
    assert not bad, f"an empty query did not return every notice: {bad[:5]}"


def wait_all_workers(base: str, generation_prefix: str, timeout: float,
                     since: float) -> tuple[float | None, float | None, list[str]]:
    """Poll /health until STREAK answers in a row come from the generation.

    Return (first new answer, first answer of the final streak) as seconds after `since`
    (None when the streak was not reached within timeout) and the generations seen.
    """
    deadline = time.monotonic() + timeout
    first = streak_start = None
    streak = 0
    seen = []
    while time.monotonic() < deadline:
        t = time.monotonic()
        status, body = http_get(base + "/health")
        assert status == 200, (status, body)
        seen.append(body["generation"])
        if body["generation"].startswith(generation_prefix + "."):
            first = t if first is None else first
            if streak == 0:
                streak_start = t
            streak += 1
            if streak >= STREAK:
                return first - since, streak_start - since, seen
        else:
            streak = 0
        time.sleep(0.05)
    return (None if first is None else first - since), None, seen


# --------------------------------------------------------------------------- 1. the lock


def test_second_run_waits_for_the_lock_then_exits_3(index_dir: Path, server: Server,
                                                    slices: Slices, client: Client) -> None:
    served = current_name(index_dir)
    gen_dir = index_dir / served
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in gen_dir.iterdir()}
    with open(index_dir / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            for extra in ((), ("--rebuild",)):
                started = time.monotonic()
                done = cli("index", *extra, "--json", "--index-dir", str(index_dir),
                           str(slices.b), SEARCH_SERVICE_LOCK_TIMEOUT="1", timeout=120)
                waited = time.monotonic() - started
                assert done.returncode == 3, (extra, done.returncode, done.stderr[-3000:])
                assert ".lock" in done.stderr and "another indexing run" in done.stderr, \
                    done.stderr
                assert "Traceback" not in done.stderr, done.stderr
                assert waited >= 1.0, f"exited after {waited:.2f} s without waiting"
                assert waited < 30, f"waited {waited:.1f} s: the wait is not bounded"
                print(f"\nlock held: `index {' '.join(extra)}` exited 3 after {waited:.1f} s: "
                      f"{done.stderr.strip().splitlines()[-1]}")
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    # Untouched: same served generation, same files, no new generation directory.
    assert current_name(index_dir) == served
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in gen_dir.iterdir()}
    assert after == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [served]
    assert_served_complete(index_dir)
    assert served_variant(index_dir, slices.records[0]["id"]) == "a"
    # Released: the next run takes the lock at once.
    done = cli("index", "--json", "--index-dir", str(index_dir), str(slices.head("a")),
               SEARCH_SERVICE_LOCK_TIMEOUT="1", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert last_json(done.stdout)["unchanged"] == 10
    client.stop()
    assert_client_clean(client, server, {SLICE})


# --------------------------------------------------------------------------- 2. kills


def _start(index_dir: Path, source: Path, rebuild: bool, log: Path) -> subprocess.Popen:
    args = ["index", "--json", "--index-dir", str(index_dir), str(source)]
    if rebuild:
        args.insert(1, "--rebuild")
    with open(log, "wb") as out:
        return subprocess.Popen(served.cli_command(*args), cwd=REPO, env=served.env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _timed_run(index_dir: Path, source: Path, rebuild: bool, log: Path) -> tuple[float, dict]:
    started = time.monotonic()
    proc = _start(index_dir, source, rebuild, log)
    rc = proc.wait(timeout=900)
    seconds = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    assert rc == 0, text[-3000:]
    return seconds, last_json(text)


def test_sigkill_at_20_random_points_never_corrupts(index_dir: Path, server: Server,
                                                     slices: Slices, client: Client,
                                                     tmp_path: Path) -> None:
    first_id = slices.records[0]["id"]
    generations_switched = []

    # One full run of each kind, timed: the kill points are fractions of these.
    rebuild_s, summary = _timed_run(index_dir, slices.a, True, tmp_path / "measure-rebuild.log")
    assert (summary["added"], summary["switched"]) == (SLICE, True)
    generations_switched.append(summary["generation"])
    assert served_variant(index_dir, first_id) == "a"
    upsert_s, summary = _timed_run(index_dir, slices.b, False, tmp_path / "measure-upsert.log")
    assert (summary["updated"], summary["added"]) == (SLICE, 0), summary
    print(f"\nfull runs of {SLICE} notices while serving: rebuild {rebuild_s:.1f} s, "
          f"upsert {upsert_s:.1f} s")
    full = {True: rebuild_s, False: upsert_s}

    rng = random.Random(SEED)
    rows = []
    previous = Leftovers.scan(index_dir)
    kills = attempts = 0
    while kills < KILLS:
        attempts += 1
        assert attempts <= KILLS + 10, "too many runs finished before their kill point"
        rebuild = kills % 2 == 0
        if rebuild:
            source = slices.a
        else:
            # The variant the served index does not hold, so that the upsert has work.
            variant = "b" if served_variant(index_dir, first_id) == "a" else "a"
            source = slices.path(variant)
        fraction = rng.uniform(0.05, 0.95)
        at = fraction * full[rebuild]
        before = current_name(index_dir)
        log = tmp_path / f"kill-{attempts:02d}.log"
        started = time.monotonic()
        proc = _start(index_dir, source, rebuild, log)
        try:
            proc.wait(timeout=at)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        finished_first = proc.returncode is not None
        rc = proc.wait(timeout=60)
        elapsed = time.monotonic() - started
        # Let any orphaned child of the multiprocess writer die with its group.
        time.sleep(0.2)

        served = assert_served_complete(index_dir)
        left = Leftovers.scan(index_dir)
        gone = [g for g in previous.generations if g not in left.generations
                and g != served]
        held = [g for g in [served, *left.generations] if whoosh_lock_held(index_dir / g)]
        assert not held, f"a Whoosh write lock is still held after the kill: {held}"
        progress = [ln for ln in log.read_text(errors="replace").splitlines()
                    if ln.startswith("indexing:")]
        kind = "rebuild" if rebuild else "upsert "
        if finished_first:
            # This run was quicker than the timed one: it is no kill. Count it as a
            # completed run, time later kill points by it, and draw again.
            assert rc == 0, log.read_text(errors="replace")[-3000:]
            full[rebuild] = min(full[rebuild], elapsed)
            rows.append(f"   {kind} finished in {elapsed:.1f} s before its kill point "
                        f"{at:.1f} s (rc 0): not counted; left: {left.describe()}")
        else:
            kills += 1
            rows.append(
                f"{kills:2d} {kind} kill at {at:5.1f} s ({fraction:4.0%}) rc={rc}; "
                f"progress: {progress[-1][10:] if progress else 'none'}; "
                f"served {'switched' if served != before else 'same gen'}; "
                f"left: {left.describe()}; previous leftovers removed: {len(gone)} dirs")
        if served != before:
            generations_switched.append(served)
        previous = left

    print("\nkills:\n" + "\n".join(rows))
    before_final = Leftovers.scan(index_dir)
    print(f"left behind by the kills before the final runs: {before_final.describe()}")

    # The next runs complete and clean up what the killed ones left behind. The upsert
    # first: it commits into the served generation, where the killed upserts left files.
    variant = "b" if served_variant(index_dir, first_id) == "a" else "a"
    seconds, summary = _timed_run(index_dir, slices.path(variant), False,
                                  tmp_path / "final-upsert.log")
    assert (summary["updated"], summary["added"]) == (SLICE, 0), summary
    after_upsert = Leftovers.scan(index_dir)
    print(f"final upsert ({seconds:.1f} s) left: {after_upsert.describe()}")
    assert not after_upsert.orphans, after_upsert.orphans
    assert not after_upsert.pointer_tmps

    switch = rebuild_watching(index_dir, slices.path(variant), server.base,
                              tmp_path / "final-rebuild.log", timeout=5.0)
    assert (switch.summary["added"], switch.summary["switched"]) == (SLICE, True)
    final_gen = switch.generation
    assert switch.streak is not None, \
        f"workers did not all report {final_gen} within 5 s: {switch.seen[-20:]}"
    print(f"final rebuild: every worker on {final_gen} {switch.streak:.2f} s after the "
          f"switch (run exited {switch.exited:.2f} s after it)")

    after = Leftovers.scan(index_dir)
    print(f"after the final upsert and rebuild: {after.describe()}")
    assert after.served == final_gen
    gens = sorted(p.name for p in index_dir.glob("gen-*") if p.is_dir())
    assert len(gens) <= 2 and final_gen in gens, gens  # served + KEEP_PREVIOUS = 1
    for name in after.generations:
        assert name < final_gen, f"a killed run's newer generation survived: {name}"
        assert not orphan_files(index_dir / name), (name, orphan_files(index_dir / name))
    assert not after.pointer_tmps
    assert not after.orphans, after.orphans
    assert not [g for g in gens if whoosh_lock_held(index_dir / g)]
    assert_served_complete(index_dir)
    # A third run takes both locks at once.
    done = cli("index", "--json", "--index-dir", str(index_dir), str(slices.head(variant)),
               SEARCH_SERVICE_LOCK_TIMEOUT="1", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert last_json(done.stdout)["unchanged"] == 10

    client.stop()
    assert_client_clean(client, server, {SLICE})
    health = [r for r in client.records if r.path == "/health"]
    generations = {r.generation for r in health}
    names = {g.rsplit(".", 1)[0] for g in generations}
    print(f"background client: {len(client.records)} requests, all 200; "
          f"{len(generations)} generations seen over /health")
    assert len(generations) >= 2
    # Completed rebuilds were switched to: the timed one and the final one were served.
    assert generations_switched[0] in names and final_gen in names, (names, final_gen)


# --------------------------------------------------------------------------- 3. switches


@dataclass
class Switch:
    """A rebuild watched from the moment CURRENT was replaced."""

    old: str
    generation: str
    summary: dict
    switched_at: float
    exited: float  # seconds after the switch
    first: float | None  # first /health answer from the new generation, s after the switch
    streak: float | None  # first of STREAK answers in a row from it
    seen: list[str]


def rebuild_watching(index_dir: Path, source: Path, base: str, log: Path,
                     timeout: float) -> Switch:
    """Rebuild; as soon as CURRENT changes, poll /health until every worker serves it."""
    before = current_name(index_dir)
    proc = _start(index_dir, source, True, log)
    switched_at = None
    while switched_at is None:
        exited = proc.poll() is not None
        if current_name(index_dir) != before:
            switched_at = time.monotonic()
        elif exited:
            break
        else:
            time.sleep(0.01)
    new = current_name(index_dir)
    first = streak = None
    seen: list[str] = []
    if switched_at is not None:
        first, streak, seen = wait_all_workers(base, new, timeout, switched_at)
    rc = proc.wait(timeout=900)
    exited_at = time.monotonic()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert rc == 0, text[-3000:]
    assert switched_at is not None, f"CURRENT never changed:\n{text[-3000:]}"
    summary = last_json(text)
    assert summary["generation"] == new, (summary, new)
    return Switch(before, new, summary, switched_at, exited_at - switched_at, first, streak,
                  seen)


def test_every_worker_switches_promptly_and_never_fails(index_dir: Path, server: Server,
                                                         slices: Slices, client: Client,
                                                         tmp_path: Path) -> None:
    expected = {current_name(index_dir): SLICE}
    switches = []
    for i in range(5):
        source, count = (slices.small, SMALL_SLICE) if i % 2 == 0 else (slices.a, SLICE)
        sw = rebuild_watching(index_dir, source, server.base, tmp_path / f"switch-{i}.log",
                              timeout=10.0)
        assert (sw.summary["added"], sw.summary["switched"]) == (count, True), sw.summary
        assert sw.streak is not None, \
            f"not every worker served {sw.generation} within 10 s: {sw.seen[-20:]}"
        expected[sw.generation] = count
        switches.append(sw)
        time.sleep(1.0)  # let the background client see this generation for a while

    client.stop()
    assert_client_clean(client, server, {SLICE, SMALL_SLICE})
    health = [r for r in client.records if r.path == "/health"]
    for r in health:  # every answer matches the size of the generation it names
        name = r.generation.rsplit(".", 1)[0]
        assert name in expected and r.documents == expected[name], (r, expected)

    print(f"\nswitch delays after CURRENT was replaced (reload interval {RELOAD_INTERVAL} s, "
          "2 sync workers, background client running):")
    for n, sw in enumerate(switches, 1):
        # The last answer from the old generation to a request sent after the switch.
        old = [r.t - sw.switched_at for r in health if r.t >= sw.switched_at
               and r.generation.rsplit(".", 1)[0] == sw.old]
        last_old = f"{max(old):.2f} s" if old else "none"
        print(f"  switch {n} to {sw.summary['added']} notices: first new answer "
              f"{sw.first:.2f} s, {STREAK} new answers in a row from {sw.streak:.2f} s, "
              f"last old answer to the background client {last_old}; "
              f"run exited {sw.exited:.2f} s after the switch")
        assert not old or max(old) < 10.0
    print(f"  background client: {len(client.records)} requests, all 200")
