"""Time a full rebuild of the shared corpus; report the index size and peak memory.

Usage: python bench/index_corpus.py [--index-dir DIR] [--jieba-baseline] [--every N]
                                    [--source JSONL]

``--source`` indexes another JSONL file instead of the shared corpus (bench/make_scaled.py
writes the 66,730-notice one); the jieba baseline then segments that file.

``--every N`` indexes every Nth notice only (a slice, for quicker comparisons); the
jieba baseline then runs over the same slice, in the same run, so that the ratio holds
however loaded the machine is. CPU seconds include the writer's child processes.
"""

from __future__ import annotations

import argparse
import json
import os
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


def cpu_seconds(*who: int) -> float:
    """Return the user + system CPU seconds of this process and its waited-for children."""
    total = 0.0
    for one in who or (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(one)
        total += usage.ru_utime + usage.ru_stime
    return total


def jieba_baseline(source: Path) -> float:
    """Seconds for single-process jieba cut_for_search over every title and body."""
    import jieba

    seconds = 0.0
    with open(source, encoding="utf-8") as handle:
        for line in handle:  # one record at a time: the scaled file is 860 MB
            record = json.loads(line)
            started = time.perf_counter()
            for _ in jieba.cut_for_search(record["title"]):
                pass
            for _ in jieba.cut_for_search(record["body"]):
                pass
            seconds += time.perf_counter() - started
    return round(seconds, 1)


def write_slice(source: Path, every: int, directory: Path) -> Path:
    """Write every Nth line of source to a file in directory; return its path."""
    path = directory / f"notices-every{every}.jsonl"
    with open(source, encoding="utf-8") as src, \
            open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i % every == 0:
                out.write(line)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--jieba-baseline", action="store_true")
    parser.add_argument("--every", type=int, default=1, help="index every Nth notice only")
    parser.add_argument("--source", type=Path, default=CORPUS / "notices.jsonl")
    args = parser.parse_args()
    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="bench-index-"))
    source = args.source
    if args.every > 1:
        source = write_slice(source, args.every, Path(tempfile.mkdtemp(prefix="bench-slice-")))
    analysis.load_dictionaries(REPO_INDEX)
    home = IndexHome(index_dir)
    cpu_before, parent_before = cpu_seconds(), cpu_seconds(resource.RUSAGE_SELF)
    started = time.perf_counter()
    summary = index_sources(home, [source], rebuild=True)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    parent_cpu = cpu_seconds(resource.RUSAGE_SELF) - parent_before
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    out = {
        "benchmark": "index_corpus", **machine(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "every": args.every,
        "documents": summary.added, "rejected": summary.rejected,
        "rebuild_seconds": round(seconds, 1),
        "rebuild_cpu_seconds": round(cpu, 1),
        "rebuild_parent_cpu_seconds": round(parent_cpu, 1),
        "index_bytes": dir_size(home.current_path()),
        "peak_rss_mb_per_process": round(peak_kb / 1024),
        "index_dir": str(index_dir), "source": str(args.source),
    }
    if args.jieba_baseline:
        jieba_cpu = cpu_seconds()
        out["jieba_cut_for_search_seconds"] = jieba_baseline(source)
        out["jieba_cpu_seconds"] = round(cpu_seconds() - jieba_cpu, 1)
        out["rebuild_vs_jieba"] = round(seconds / out["jieba_cut_for_search_seconds"], 2)
        out["rebuild_vs_jieba_cpu"] = round(cpu / out["jieba_cpu_seconds"], 2)
        out["load_average_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
