"""warm.py reads a generation's files, within a budget, before a worker serves it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.settings import Settings
from search_service.warm import (
    _copy_out,
    _send_to_null,
    available_memory,
    warm_directory,
    warm_files,
)


def _files(home) -> list[Path]:
    return sorted(p for p in home.current_path().iterdir() if p.is_file() and p.stat().st_size)


def _wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_every_file_is_read_when_the_budget_allows(small_home) -> None:
    files = _files(small_home)
    total = sum(p.stat().st_size for p in files)
    assert total > 100_000  # the 38 notices' segments, not just the table of contents
    assert warm_files(files, budget=10 * total) == total


def test_reading_stops_at_the_budget_inside_a_file(small_home) -> None:
    files = _files(small_home)
    first = files[0].stat().st_size
    # All of the first file and 1,000 bytes of the second, then nothing.
    assert warm_files(files, budget=first + 1_000) == first + 1_000
    assert warm_files(files, budget=0) == 0


def test_a_file_removed_meanwhile_is_skipped(small_home, tmp_path: Path) -> None:
    files = _files(small_home)
    total = sum(p.stat().st_size for p in files)
    gone = tmp_path / "removed-by-clean-up.seg"
    assert warm_files([gone, *files], budget=10 * total) == total


def test_the_copying_fallback_reads_what_sendfile_reads(small_home) -> None:
    for path in _files(small_home):
        size = path.stat().st_size
        fd = os.open(path, os.O_RDONLY)
        try:
            assert _send_to_null(fd, size) == size
            assert _copy_out(fd, size) == size
            assert _copy_out(fd, size // 2) == size // 2
        finally:
            os.close(fd)


def test_a_share_of_available_memory_bounds_the_reading(small_home) -> None:
    memory = available_memory()
    assert memory is not None and memory > 0  # Linux: MemAvailable
    total = sum(p.stat().st_size for p in _files(small_home))
    assert warm_directory(small_home.current_path(), 0.5) == total
    assert warm_directory(small_home.current_path(), 0) == 0
    # A share too small for even the first file reads only what it allows.
    share = 1_000 / memory
    assert warm_directory(small_home.current_path(), share) in range(900, 1_100)


def test_a_searcher_reads_the_generation_in_before_opening_it(small_home) -> None:
    total = sum(p.stat().st_size for p in _files(small_home))
    searcher = NoticeSearcher(small_home, reload_interval=0, warm=0.5)
    searcher.snapshot()
    assert searcher.warmed == total
    default = NoticeSearcher(small_home, reload_interval=0)
    default.snapshot()
    assert default.warmed == 0  # the library's default: nothing read


def test_a_serving_searcher_reads_it_in_beside_the_first_request(small_home) -> None:
    total = sum(p.stat().st_size for p in _files(small_home))
    searcher = NoticeSearcher(small_home, reload_interval=0, background=True, warm=0.5)
    assert searcher.search(SearchRequest(q="巡视整改"))["total"] > 0
    _wait_until(lambda: searcher.warmed == total)
    assert searcher.warmed == total


def test_searches_answer_alike_with_and_without_reading_in(small_home) -> None:
    cold = NoticeSearcher(small_home, reload_interval=0)
    warm = NoticeSearcher(small_home, reload_interval=0, warm=0.5)
    warm.snapshot()
    assert warm.warmed > 0
    for q in ("巡视整改", "法律 责任", "外交部"):
        a, b = cold.search(SearchRequest(q=q)), warm.search(SearchRequest(q=q))
        a.pop("took_ms"), b.pop("took_ms")
        assert a == b and a["total"] > 0


def test_the_server_reads_half_of_available_memory_unless_told() -> None:
    assert Settings.from_env({}).warm == 0.5
    assert Settings.from_env({"SEARCH_SERVICE_WARM": "0"}).warm == 0.0


def test_a_rebuilt_generation_is_read_in_before_it_is_served(tmp_path: Path) -> None:
    from search_service.indexer import index_sources
    from search_service.store import IndexHome

    from .conftest import SMALL

    home = IndexHome(tmp_path / "index")
    index_sources(home, [SMALL])
    searcher = NoticeSearcher(home, reload_interval=0, background=True, warm=0.5)
    first = searcher.snapshot()
    old = sum(p.stat().st_size for p in _files(home))
    _wait_until(lambda: searcher.warmed == old)  # the first is read in beside requests
    part = tmp_path / "part.jsonl"  # fewer notices: files of another size
    part.write_text("".join(SMALL.read_text(encoding="utf-8").splitlines(True)[:10]),
                    encoding="utf-8")
    index_sources(home, [part], rebuild=True)
    new = sum(p.stat().st_size for p in _files(home))
    _wait_until(lambda: searcher.snapshot() is not first)
    # Read in by the thread that opened it, before it replaced the old one.
    assert new < old
    assert searcher.snapshot() is not first and searcher.warmed == new
