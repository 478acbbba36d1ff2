"""Latency of /search with facets and highlights over queries.tsv, in process and over HTTP.

Usage: python bench/search_latency.py --index-dir DIR   (an index built by index_corpus.py)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine, queries, start_server, summary, wait_until_idle  # noqa: E402

from search_service import analysis  # noqa: E402
from search_service.searcher import NoticeSearcher, SearchRequest  # noqa: E402
from search_service.settings import REPO_INDEX  # noqa: E402
from search_service.store import IndexHome  # noqa: E402


def in_process(searcher: NoticeSearcher, qs: list[str]) -> dict[str, object]:
    """Each query once on a searcher not yet opened (its opening is timed too)."""
    started = time.perf_counter()
    searcher.snapshot()
    open_ms = (time.perf_counter() - started) * 1000
    times = []
    for q in qs:
        started = time.perf_counter()
        searcher.search(SearchRequest(q=q, size=10))
        times.append((time.perf_counter() - started) * 1000)
    return {"open_ms": round(open_ms, 1), **summary(times)}


def suggest_prefixes(qs: list[str]) -> list[str]:
    """Keystroke prefixes: the first 1-3 characters of each query, and pinyin initials."""
    from pypinyin import Style, lazy_pinyin

    prefixes = []
    for q in qs:
        word = q.split()[0]
        prefixes.extend(word[:n] for n in (1, 2, 3) if len(word) >= n)
        prefixes.append("".join(lazy_pinyin(word[:4], style=Style.FIRST_LETTER)))
    return prefixes


def suggest_in_process(index_dir: Path, qs: list[str]) -> dict[str, object]:
    searcher = NoticeSearcher(IndexHome(index_dir), reload_interval=60)
    started = time.perf_counter()
    searcher.snapshot().corrector()  # built once per generation (in the background in serve)
    build_ms = (time.perf_counter() - started) * 1000
    times = []
    for prefix in suggest_prefixes(qs):
        started = time.perf_counter()
        searcher.suggest(prefix, 10)
        times.append((time.perf_counter() - started) * 1000)
    return {"corrector_build_ms": round(build_ms), **summary(times)}


def over_http(index_dir: Path, qs: list[str]) -> dict[str, object]:
    """Sequential requests, once both workers have opened the index and built their
    spelling correctors (each in a background thread): until the workers are idle."""
    proc, url = start_server(index_dir)
    try:
        # Let both workers open the index: side by side, so that neither worker can take
        # every request (sequential ones often all go to one, and the other then opens
        # the index and builds its corrector during the measurement).
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda q: urllib.request.urlopen(
                f"{url}/search?q={urllib.parse.quote(q)}").read(), qs[:8]))
        idle = wait_until_idle(proc.pid)
        times = []
        for q in qs:
            started = time.perf_counter()
            with urllib.request.urlopen(f"{url}/search?q={urllib.parse.quote(q)}") as resp:
                resp.read()
            times.append((time.perf_counter() - started) * 1000)
        return {"idle_before_s": round(idle, 1), **summary(times)}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    args = parser.parse_args()
    analysis.load_dictionaries(REPO_INDEX)
    qs = queries()
    # Over HTTP first: at 66,730 notices a searcher holds ~8 GB (whoosh3 copies each
    # file it opens into memory), and this process's own beside two workers' pushed the
    # index out of the page cache (p50 1.3 s over HTTP, against 25 ms without it).
    out: dict[str, object] = {"benchmark": "search_latency", **machine(), "queries": len(qs),
                              "http_sequential": over_http(args.index_dir, qs)}
    searcher = NoticeSearcher(IndexHome(args.index_dir), reload_interval=60)
    out["in_process"] = in_process(searcher, qs)
    # Counted on the searcher just measured: opening another takes 13 s and ~8 GB at 66,730.
    out["documents"] = len(searcher.snapshot().table)
    del searcher
    out["suggest_in_process"] = suggest_in_process(args.index_dir, qs)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
