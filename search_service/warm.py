"""Read a generation's files into the page cache before it is served.

Segments are read through memory maps (``mapped.py``), so a search over an index not
in memory waits for each page it touches, one fault at a time, scattered across the
file: at 66,730 notices the first 200 queries after the page cache was dropped ran at
p95 208-392 ms against 119-141 once the same pages were in memory
(``bench/RESULTS.md``). Reading the files through once, in order, brings the whole
index in at the disk's sequential speed (4.4 GB in 1.5-2 s on the bench machine).

Only as much is read as the budget allows, a share of the memory the kernel reports
available, so that an index larger than memory is not read only to be evicted again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

#: Bytes a read (or a sendfile) asks for at a time.
CHUNK = 1 << 24


def available_memory() -> int | None:
    """Return the bytes the kernel could give a process now without swapping, if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def warm_directory(directory: Path, share: float) -> int:
    """Read a generation's files into the page cache, up to `share` of available memory.

    Returns the bytes read. A file that disappears meanwhile (a clean-up removed an
    older generation's) is skipped: warming only ever makes searches faster.
    """
    if share <= 0:
        return 0
    memory = available_memory()
    if memory is None:
        return 0
    started = time.monotonic()
    try:
        paths = sorted(p for p in directory.iterdir() if p.is_file())
    except OSError:
        return 0
    done = warm_files(paths, int(memory * share))
    log.info("read %.0f MB of %s into memory in %.1f s",
             done / 1e6, directory.name, time.monotonic() - started)
    return done


def warm_files(paths: Iterable[Path], budget: int) -> int:
    """Read files in order until `budget` bytes have been read; return the bytes read."""
    done = 0
    for path in paths:
        if done >= budget:
            break
        try:
            done += _read(path, budget - done)
        except OSError:
            continue
    return done


def _read(path: Path, limit: int) -> int:
    """Read up to `limit` bytes of a file from its start; return how many were read."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = min(os.fstat(fd).st_size, limit)
        try:
            return _send_to_null(fd, size)
        except OSError:  # no sendfile to /dev/null here (not Linux): copy instead
            return _copy_out(fd, size)
    finally:
        os.close(fd)


def _send_to_null(fd: int, size: int) -> int:
    """Page the file in without copying it into this process: 0.1 s of CPU for 4.4 GB
    (reading it into a buffer costs 0.5 s of CPU even when it is already cached)."""
    sendfile = getattr(os, "sendfile", None)
    if sendfile is None:
        raise OSError("no sendfile")
    done = 0
    with open(os.devnull, "wb") as null:
        while done < size:
            sent = sendfile(null.fileno(), fd, done, min(CHUNK, size - done))
            if sent == 0:
                break
            done += sent
    return done


def _copy_out(fd: int, size: int) -> int:
    buffer = bytearray(CHUNK)
    done = 0
    os.lseek(fd, 0, os.SEEK_SET)
    while done < size:
        read = os.readv(fd, [memoryview(buffer)[:min(CHUNK, size - done)]])
        if read == 0:
            break
        done += read
    return done
