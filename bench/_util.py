"""Shared helpers for the benchmark scripts (each prints one JSON object)."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SEARCH_SERVICE_CORPUS", REPO.parent / "shared" / "corpus"))


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of values (milliseconds in, milliseconds out)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 2)


def summary(values: list[float]) -> dict[str, float]:
    """Return p50/p95/p99/max of a list of milliseconds."""
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99), "max_ms": round(max(values), 2)}


def queries(corpus: Path = CORPUS) -> list[str]:
    """Return the 200 queries of queries.tsv."""
    with open(corpus / "queries.tsv", encoding="utf-8", newline="") as handle:
        return [row["query"] for row in csv.DictReader(handle, delimiter="\t")]


def dir_size(path: Path) -> int:
    """Return the bytes of all files under path."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(index_dir: Path, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """Start `search-service serve` under gunicorn and wait for /health."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "search_service.cli", "serve", "--index-dir", str(index_dir),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server never answered /health")


def server_cpu_seconds(master: int) -> float:
    """Return utime+stime of a gunicorn master and its direct children (workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == master or int(stat[1]) == master:
            total += (int(stat[11]) + int(stat[12])) / tick
    return total


def wait_until_idle(master: int, quiet: float = 0.05, window: float = 2.0,
                    timeout: float = 600.0) -> float:
    """Wait until a gunicorn master and its workers use under `quiet` of a core over
    `window` seconds (opening the index, building correctors); return the seconds waited."""
    started = time.monotonic()
    before = server_cpu_seconds(master)
    while time.monotonic() - started < timeout:
        time.sleep(window)
        now = server_cpu_seconds(master)
        if now - before < quiet * window:
            break
        before = now
    return time.monotonic() - started


def machine() -> dict[str, object]:
    """Return what the figures depend on."""
    return {"cores": os.cpu_count(), "python": sys.version.split()[0],
            "date": time.strftime("%Y-%m-%d")}
