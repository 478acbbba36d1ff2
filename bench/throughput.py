"""HTTP throughput of /search under concurrent load: ours against the naive Whoosh recipe and
SQLite FTS5, each served by gunicorn with the same sync workers on 127.0.0.1.

Usage: python bench/throughput.py [--size 1000|6673] [--seconds 20] [--connections 16]
           [--workers 2] [--workdir DIR [--reuse]] [--with-rebuild] [--peers ours,naive,fts5]
           [--source JSONL --ours-index DIR]

The slice is the first N notices of notices.jsonl in id order (as bench/relevance.py).
Indexes are built in --workdir (a temporary directory, removed at the end, without it):
ours with ``search-service index --rebuild``, the naive recipe (bench/naive.py) and FTS5
(bench/fts5.py), each timed. --reuse keeps the indexes of an earlier run on the same slice.
--source takes the records from another JSONL file (bench/make_scaled.py's 66,730) and
--ours-index serves ours from an index already built from them (bench/index_corpus.py),
so the scaled size is measured without building it again.

Load: C keep-alive connections (stdlib asyncio sockets; gunicorn's sync workers close
each one after a response, and the client reconnects, as a browser would) for S seconds,
plus the requests in flight at the end. Every request is a query used once per peer:
queries.tsv and runs of 2-6 Han characters at seeded random positions of the slice's
bodies, shuffled with the seed; every peer gets the same sequence. Before each
measurement each worker gets a few other queries (opening its index), then the
service idles --warmup seconds (ours builds its spelling corrector in the background).

Reported per peer: requests/s (answered 200), p50/p95/p99 latency, failures (non-200 or
connection errors), server CPU per request (gunicorn workers' utime+stime, less
sensitive to a shared machine than requests/s), the load average around the run, and
how many answers had no hit (runs of the slice's own text always occur in it). Each peer
also gets the ceiling of its /health route (ours reads index statistics there; the
peers answer a constant: Falcon under gunicorn). --with-rebuild runs
``search-service index --rebuild`` on the served index home while load runs against ours,
polls /health throughout and reports failures (must be 0) and the generation switch.

Prints one JSON object on stdout; progress on stderr. Every gunicorn (and the rebuild)
runs in its own process group, killed on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, free_port, machine, queries, summary  # noqa: E402
from _util import server_cpu_seconds as cpu_seconds  # noqa: E402
from relevance import load_records, run_queries  # noqa: E402

BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
CHILDREN: list[subprocess.Popen] = []


def log(message: str) -> None:
    print(f"[throughput {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


def spawn(cmd: list[str], logfile: Path) -> subprocess.Popen:
    """Start cmd in its own process group, output to logfile; killed by kill_all()."""
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    CHILDREN.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    try:  # workers orphaned by a dead master are in the same group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def kill_all(*_: object) -> None:
    for proc in list(CHILDREN):
        stop(proc)
    if _:  # called as a signal handler
        raise SystemExit(130)


# --------------------------------------------------------------------------- HTTP client


async def get(path: str, port: int, conn: list | None = None,
              timeout: float = 60) -> tuple[int, bytes]:
    """GET path over conn ([reader, writer] or [None, None]; reconnects as needed)."""
    conn = conn if conn is not None else [None, None]

    async def run() -> tuple[int, bytes]:
        if conn[1] is None:
            conn[0], conn[1] = await asyncio.open_connection(HOST, port)
        reader, writer = conn
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head.split(None, 2)[1])
        headers = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:  # no length: read to the end of the connection
            body = await reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").strip() == "close":
            close(conn)
        return status, body

    try:
        # asyncio.timeout, not wait_for: no task per request on the client's share of
        # the two cores the server also runs on.
        async with asyncio.timeout(timeout):
            return await run()
    except BaseException:
        close(conn)
        raise


def close(conn: list) -> None:
    if conn[1] is not None:
        conn[1].close()
    conn[0] = conn[1] = None


#: The top-level total of a /search answer: every peer writes q, then total, then hits.
_TOTAL = re.compile(rb'"total":\s*(\d+)')


def _total(body: bytes) -> int | None:
    """Return a /search answer's total without decoding the answer (client CPU is shared)."""
    found = _TOTAL.search(body)
    return int(found.group(1)) if found else None


class Load:
    """Counts of one load run."""

    def __init__(self, paths: list[str], stop_at: float, runs: frozenset = frozenset()):
        self.paths, self.next, self.stop_at, self.runs = paths, 0, stop_at, runs
        self.ok_ms: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        #: (answered, with no hit) for runs of the slice's own text, and for queries.tsv.
        self.answered = {"runs": [0, 0], "queries_tsv": [0, 0]}

    def take(self) -> str | None:
        if time.monotonic() >= self.stop_at:
            return None
        path = self.paths[self.next % len(self.paths)]
        self.next += 1
        return path

    async def connection(self, port: int, parse: bool) -> None:
        conn: list = [None, None]
        while (path := self.take()) is not None:
            started = time.perf_counter()
            try:
                status, body = await get(path, port, conn)
            except (TimeoutError, OSError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError, ValueError, IndexError) as exc:
                self.errors[type(exc).__name__] += 1
                continue
            self.statuses[status] += 1
            if status == 200:
                self.ok_ms.append((time.perf_counter() - started) * 1000)
                if parse:
                    counts = self.answered["runs" if path in self.runs else "queries_tsv"]
                    counts[0] += 1
                    counts[1] += _total(body) == 0
        close(conn)


async def load(port: int, paths: list[str], seconds: float, connections: int,
               master: int, runs: frozenset | None = None) -> dict[str, Any]:
    """Run C connections for `seconds` (plus the requests in flight); return the figures.

    With `runs` (the paths of runs of the slice's text), responses are parsed and hit-less
    answers counted; without, nothing is parsed (the /health ceiling).
    """
    cpu0, client0, load0 = cpu_seconds(master), time.process_time(), os.getloadavg()[0]
    started = time.monotonic()
    parse = runs is not None
    run = Load(paths, started + seconds, runs or frozenset())
    await asyncio.gather(*(run.connection(port, parse) for _ in range(connections)))
    return report(run, time.monotonic() - started, cpu_seconds(master) - cpu0,
                  time.process_time() - client0, load0)


def report(run: Load, elapsed: float, server_cpu: float, client_cpu: float,
           load0: float) -> dict[str, Any]:
    ok = len(run.ok_ms)
    failed = sum(run.errors.values()) + sum(c for s, c in run.statuses.items() if s != 200)
    out: dict[str, Any] = {
        "requests": ok + failed, "ok": ok, "failed": failed,
        "requests_per_s": round(ok / elapsed, 2), "elapsed_s": round(elapsed, 2),
        **({k: v for k, v in summary(run.ok_ms).items() if k != "n"} if ok else {}),
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "errors": dict(run.errors),
        "distinct_queries": min(run.next, len(run.paths)),
        "reused_queries": max(0, run.next - len(run.paths)),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / ok, 2) if ok else None,
        "client_cpu_ms_per_request": round(client_cpu * 1000 / ok, 3) if ok else None,
        "loadavg_1m_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }
    if any(n for n, _ in run.answered.values()):
        out["zero_hits"] = {kind: {"answered": n, "zero_hit": z}
                            for kind, (n, z) in run.answered.items()}
    else:  # one constant path: nothing to count
        del out["distinct_queries"], out["reused_queries"]
    return out


# --------------------------------------------------------------------------- servers


def serve(peer: str, work: Path, workers: int) -> tuple[subprocess.Popen, int]:
    """Start gunicorn for a peer on a free port; wait until /health answers 200."""
    port = free_port()
    bind = f"{HOST}:{port}"
    if peer == "ours":
        cmd = [sys.executable, "-m", "search_service.cli", "serve", "--index-dir",
               str(work / "ours"), "--bind", bind, "--workers", str(workers)]
    else:
        index = work / ("naive" if peer == "naive" else "fts5.sqlite")
        cmd = [sys.executable, str(BENCH / "peer_app.py"), "--kind", peer, "--index",
               str(index), "--records", str(work / "slice.jsonl"), "--bind", bind,
               "--workers", str(workers)]
    proc = spawn(cmd, work / f"{peer}.log")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if asyncio.run(get("/health", port, timeout=5))[0] == 200:
                return proc, port
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"{peer} never answered /health on {bind}; see {work / f'{peer}.log'}")


async def warm_up(port: int, paths: list[str], workers: int, idle: float) -> None:
    """Send each worker a few queries (opening its index), then let the service idle."""
    for batch in range(3):
        chunk = paths[batch * 2 * workers:(batch + 1) * 2 * workers]
        await asyncio.gather(*(get(p, port, timeout=120) for p in chunk), return_exceptions=True)
    await asyncio.sleep(idle)


def log_errors(path: Path, offset: int) -> dict[str, Any]:
    """Return the count and first lines of tracebacks/errors a server logged after offset."""
    text = path.read_bytes()[offset:].decode("utf-8", "replace").splitlines()
    bad = [line for line in text if "Traceback" in line or "ERROR" in line
           or "WORKER TIMEOUT" in line or "Error" in line.split(":", 1)[0]]
    return {"count": len(bad), "first": bad[:5]}


async def health(port: int) -> str | None:
    try:
        status, body = await get("/health", port, timeout=10)
        return json.loads(body).get("generation") if status == 200 else f"HTTP {status}"
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        return f"error {type(exc).__name__}"


async def during_rebuild(port: int, paths: list[str], runs: frozenset,
                         args: argparse.Namespace, work: Path, master: int) -> dict[str, Any]:
    """Load ours while `search-service index --rebuild` runs on its index home."""
    before = await health(port)
    cpu0, client0, load0 = cpu_seconds(master), time.process_time(), os.getloadavg()[0]
    started = time.monotonic()
    run = Load(paths, started + args.rebuild_timeout, runs)
    seen: list[dict[str, Any]] = [{"t": 0.0, "generation": before}]

    async def control() -> tuple[int | None, float]:
        await asyncio.sleep(2)
        t0 = time.monotonic()
        proc = spawn([sys.executable, "-m", "search_service.cli", "index", "--rebuild", "--json",
                      "--index-dir", str(work / "ours"), str(work / "slice.jsonl")],
                     work / "rebuild.log")
        while proc.poll() is None and time.monotonic() < run.stop_at:
            await asyncio.sleep(0.5)
        code, seconds = proc.poll(), time.monotonic() - t0
        stop(proc)
        run.stop_at = min(run.stop_at, time.monotonic() + args.after_rebuild)
        return code, seconds

    async def monitor() -> None:
        while time.monotonic() < run.stop_at:
            generation = await health(port)
            if generation != seen[-1]["generation"]:
                seen.append({"t": round(time.monotonic() - started, 1), "generation": generation})
            await asyncio.sleep(0.5)

    results = await asyncio.gather(control(), monitor(),
                                   *(run.connection(port, True) for _ in range(args.connections)))
    code, seconds = results[0]
    out = report(run, time.monotonic() - started, cpu_seconds(master) - cpu0,
                 time.process_time() - client0, load0)
    after = [await health(port) for _ in range(4 * args.workers)]
    return {**out, "rebuild_exit": code, "rebuild_seconds": round(seconds, 1),
            "generation_before": before, "generation_after": sorted(set(after)),
            "switched": code == 0 and before not in after and len(set(after)) == 1,
            "generations_seen_during_load": seen}


# --------------------------------------------------------------------------- indexes


def build(records: list[dict[str, Any]], work: Path, peers: list[str],
          reuse: bool, ours_index: Path | None = None) -> dict[str, Any]:
    """Build the peers' indexes in work (or reuse them); return the build record."""
    if ours_index is not None:
        link = work / "ours"
        if link.is_symlink() or link.exists():
            link.unlink() if link.is_symlink() else shutil.rmtree(link)
        link.symlink_to(ours_index.resolve(), target_is_directory=True)
    digest = hashlib.sha1("\n".join(r["id"] for r in records).encode()).hexdigest()[:12]
    record_file = work / "build.json"
    done = json.loads(record_file.read_text()) if reuse and record_file.exists() else {}
    if done.get("slice") != digest:
        done = {}
    done["slice"] = digest
    slice_file = work / "slice.jsonl"
    with open(slice_file, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    # The naive and FTS5 builds use jieba's plain dictionary in this process; ours runs
    # in its own process with the project's dictionaries.
    for peer in peers:
        if peer == "ours" and ours_index is not None:
            done[peer] = None  # built beforehand, not timed here
            continue
        if peer in done:
            log(f"{peer}: reusing the index built in {done[peer]} s")
            continue
        log(f"{peer}: building over {len(records)} notices")
        started = time.perf_counter()
        if peer == "naive":
            from naive import build_naive

            shutil.rmtree(work / "naive", ignore_errors=True)
            build_naive(records, work / "naive").close()
        elif peer == "fts5":
            from fts5 import build_fts5

            build_fts5(records, work / "fts5.sqlite")
        else:
            shutil.rmtree(work / "ours", ignore_errors=True)
            proc = spawn([sys.executable, "-m", "search_service.cli", "index", "--rebuild",
                          "--json", "--index-dir", str(work / "ours"), str(slice_file)],
                         work / "ours-build.log")
            if proc.wait() != 0:
                raise SystemExit(f"our build failed; see {work / 'ours-build.log'}")
            CHILDREN.remove(proc)
        done[peer] = round(time.perf_counter() - started, 1)
        log(f"{peer}: built in {done[peer]} s")
        record_file.write_text(json.dumps(done))
    return done


def query_paths(records: list[dict[str, Any]], seed: int,
                count: int) -> tuple[list[str], frozenset, list[str]]:
    """Return the measured /search paths (distinct, seeded), those of runs, and warm-up ones."""
    rng = random.Random(seed)
    runs = run_queries(records, rng, count + 100)
    pool = list(dict.fromkeys(queries() + runs[:count]))
    rng.shuffle(pool)

    def path(q: str) -> str:
        return "/search?q=" + urllib.parse.quote(q, safe="")

    return ([path(q) for q in pool], frozenset(path(q) for q in runs[:count]),
            [path(q) for q in runs[count:] if q not in pool])


# --------------------------------------------------------------------------- main


def measure(peer: str, work: Path, args: argparse.Namespace, paths: list[str],
            runs: frozenset, warm: list[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    proc, port = serve(peer, work, args.workers)
    logfile = work / f"{peer}.log"
    try:
        asyncio.run(warm_up(port, warm, args.workers, args.warmup))
        offset = logfile.stat().st_size
        log(f"{peer}: {args.connections} connections for {args.seconds} s")
        figures = asyncio.run(load(port, paths, args.seconds, args.connections, proc.pid, runs))
        log(f"{peer}: {figures['requests_per_s']} req/s, p50 {figures.get('p50_ms')} ms, "
            f"{figures['failed']} failed")
        if args.health_seconds > 0:
            log(f"{peer}: /health ceiling")
            figures["health_ceiling"] = asyncio.run(load(
                port, ["/health"], args.health_seconds, args.connections, proc.pid))
        figures["server_log_errors"] = log_errors(logfile, offset)
        rebuild = None
        if peer == "ours" and args.with_rebuild:
            log("ours: load during `search-service index --rebuild`")
            offset = logfile.stat().st_size
            rebuild = asyncio.run(during_rebuild(port, paths, runs, args, work, proc.pid))
            rebuild["server_log_errors"] = log_errors(logfile, offset)
            log(f"ours during rebuild: {rebuild['requests_per_s']} req/s, "
                f"{rebuild['failed']} failed, switched {rebuild['switched']}")
        return figures, rebuild
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="notices in the slice")
    parser.add_argument("--seconds", type=float, default=20, help="load per peer")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, all peers")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--peers", default="ours,naive,fts5")
    parser.add_argument("--workdir", type=Path, help="keep indexes and logs here")
    parser.add_argument("--reuse", action="store_true", help="reuse the indexes in --workdir")
    parser.add_argument("--warmup", type=float, help="idle seconds after the first queries "
                        "(default 3 + size/250)")
    parser.add_argument("--health-seconds", type=float,
                        help="/health load per peer, 0 for none (default: min(S, 10)); ours "
                        "reads index statistics there, the peers answer a constant")
    parser.add_argument("--with-rebuild", action="store_true")
    parser.add_argument("--after-rebuild", type=float, default=5,
                        help="seconds of load after the rebuild ends")
    parser.add_argument("--rebuild-timeout", type=float, default=1800)
    parser.add_argument("--queries", type=int, default=30000, help="distinct runs drawn")
    parser.add_argument("--source", type=Path, help="records from this JSONL file")
    parser.add_argument("--ours-index", type=Path, help="serve ours from this built index")
    args = parser.parse_args()
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if not set(peers) <= {"ours", "naive", "fts5"} or (args.with_rebuild and "ours" not in peers):
        parser.error("--peers takes ours, naive, fts5 (ours is needed for --with-rebuild)")
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")
    if args.ours_index and args.with_rebuild:
        parser.error("--with-rebuild would rebuild the index given by --ours-index")
    args.warmup = 3 + args.size / 250 if args.warmup is None else args.warmup
    if args.health_seconds is None:
        args.health_seconds = min(args.seconds, 10)
    signal.signal(signal.SIGTERM, kill_all)
    signal.signal(signal.SIGHUP, kill_all)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        records = load_records(args.size, args.source)
        paths, runs, warm = query_paths(records, args.seed, args.queries)
        builds = build(records, work, peers, args.reuse, args.ours_index)
        results: dict[str, Any] = {}
        rebuild = None
        for peer in peers:
            results[peer], during = measure(peer, work, args, paths, runs, warm)
            results[peer]["build_seconds"] = builds[peer]
            rebuild = rebuild or during
    finally:
        kill_all()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    def ratio(other: str) -> float | None:
        if "ours" in results and results.get(other, {}).get("requests_per_s"):
            return round(results["ours"]["requests_per_s"] / results[other]["requests_per_s"], 2)
        return None

    out = {"benchmark": "throughput", **machine(), "size": len(records),
           "connections": args.connections, "seconds": args.seconds, "workers": args.workers,
           "warmup_s": args.warmup, "seed": args.seed, "query_pool": len(paths),
           "build_seconds": {p: builds[p] for p in peers}, "peers": results,
           "ours_during_rebuild": rebuild,
           "ratio_ours_over_naive": ratio("naive"), "ratio_ours_over_fts5": ratio("fts5"),
           "workdir": str(work) if args.workdir else None,
           "total_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
