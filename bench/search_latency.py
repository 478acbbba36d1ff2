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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine, queries, start_server, summary  # noqa: E402

from search_service import analysis  # noqa: E402
from search_service.searcher import NoticeSearcher, SearchRequest  # noqa: E402
from search_service.settings import REPO_INDEX  # noqa: E402
from search_service.store import IndexHome  # noqa: E402


def in_process(index_dir: Path, qs: list[str]) -> dict[str, object]:
    searcher = NoticeSearcher(IndexHome(index_dir), reload_interval=60)
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


def over_http(index_dir: Path, qs: list[str], idle: float) -> dict[str, object]:
    """Sequential requests, once both workers have opened the index and built their
    spelling correctors (in a background thread each: `idle` seconds are left for it)."""
    proc, url = start_server(index_dir)
    try:
        for q in qs[:5]:  # let both workers open the index
            urllib.request.urlopen(f"{url}/search?q={urllib.parse.quote(q)}").read()
        time.sleep(idle)
        times = []
        for q in qs:
            started = time.perf_counter()
            with urllib.request.urlopen(f"{url}/search?q={urllib.parse.quote(q)}") as resp:
                resp.read()
            times.append((time.perf_counter() - started) * 1000)
        return summary(times)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    args = parser.parse_args()
    analysis.load_dictionaries(REPO_INDEX)
    qs = queries()
    out = {"benchmark": "search_latency", **machine(), "queries": len(qs),
           "documents": NoticeSearcher(IndexHome(args.index_dir)).stats()["documents"],
           "in_process": in_process(args.index_dir, qs),
           "suggest_in_process": suggest_in_process(args.index_dir, qs)}
    # Two workers build their correctors side by side on two cores, beside the load.
    idle = 2 + 1.5 * out["suggest_in_process"]["corrector_build_ms"] / 1000
    out["http_sequential"] = {"idle_before_s": round(idle, 1), **over_http(args.index_dir, qs, idle)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
