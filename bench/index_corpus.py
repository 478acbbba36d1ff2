"""Time a full rebuild of the shared corpus; report the index size and peak memory.

Usage: python bench/index_corpus.py [--index-dir DIR] [--jieba-baseline] [--source JSONL]

--source indexes another JSONL file instead of the shared corpus (bench/make_scaled.py
writes the 67,000-notice one); the jieba baseline then segments that file.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS, dir_size, machine  # noqa: E402

from search_service import analysis  # noqa: E402
from search_service.indexer import index_sources  # noqa: E402
from search_service.settings import REPO_INDEX  # noqa: E402
from search_service.store import IndexHome  # noqa: E402


def jieba_baseline(source: Path) -> float:
    """Seconds for single-process jieba cut_for_search over every title and body."""
    import jieba

    started = 0.0
    seconds = 0.0
    with open(source, encoding="utf-8") as handle:
        for line in handle:  # read as it goes: the 67,000-notice file is 860 MB
            record = json.loads(line)
            started = time.perf_counter()
            for _ in jieba.cut_for_search(record["title"]):
                pass
            for _ in jieba.cut_for_search(record["body"]):
                pass
            seconds += time.perf_counter() - started
    return round(seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--jieba-baseline", action="store_true")
    parser.add_argument("--source", type=Path, default=CORPUS / "notices.jsonl")
    args = parser.parse_args()
    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="bench-index-"))
    analysis.load_dictionaries(REPO_INDEX)
    home = IndexHome(index_dir)
    started = time.perf_counter()
    summary = index_sources(home, [args.source], rebuild=True)
    seconds = time.perf_counter() - started
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    out = {
        "benchmark": "index_corpus", **machine(),
        "documents": summary.added, "rejected": summary.rejected,
        "rebuild_seconds": round(seconds, 1),
        "index_bytes": dir_size(home.current_path()),
        "peak_rss_mb_per_process": round(peak_kb / 1024),
        "index_dir": str(index_dir), "source": str(args.source),
    }
    if args.jieba_baseline:
        out["jieba_cut_for_search_seconds"] = jieba_baseline(args.source)
        out["rebuild_vs_jieba"] = round(seconds / out["jieba_cut_for_search_seconds"], 2)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
