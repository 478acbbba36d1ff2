"""The index's home on disk: generations, the pointer to the served one, the lock.

Layout under the index directory::

    CURRENT            name of the served generation (replaced atomically)
    .lock              fcntl lock held by the one indexing run
    gen-<stamp>/       a complete Whoosh index, one per rebuild

A rebuild writes a new generation beside the served one, fsyncs it (Whoosh
never does) and only then replaces CURRENT; a killed run leaves the served
generation untouched and its half-written directory is removed by the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from .errors import IndexBusyError, NoIndexError
from .schema import build_schema

POINTER = "CURRENT"
LOCK = ".lock"
PREFIX = "gen-"
#: Generations kept besides the served one (for rollback and for readers still open).
KEEP_PREVIOUS = 1


class IndexHome:
    """One index directory and the generations inside it."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def current_name(self) -> str | None:
        """Return the served generation's name, or None when nothing was built yet."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current_path(self) -> Path:
        """Return the served generation's directory; raise NoIndexError when there is none."""
        name = self.current_name()
        if name is None or not (self.root / name).is_dir():
            raise NoIndexError(f"no index has been built in {self.root}")
        return self.root / name

    def open(self) -> whoosh_index.Index:
        """Open the served generation."""
        path = self.current_path()
        try:
            return whoosh_index.open_dir(str(path))
        except whoosh_index.EmptyIndexError as exc:
            raise NoIndexError(f"the index in {path} is empty or unreadable") from exc

    def create_generation(self) -> tuple[str, whoosh_index.Index]:
        """Create an empty index in a new generation directory, not yet served."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{PREFIX}{stamp}-{os.getpid()}"
        path = self.root / name
        path.mkdir()
        return name, whoosh_index.create_in(str(path), build_schema())

    def switch_to(self, name: str) -> None:
        """Make a complete generation the served one, durably and atomically."""
        path = self.root / name
        _fsync_tree(path)
        tmp = self.root / f".{POINTER}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)

    def discard(self, name: str) -> None:
        """Remove a generation that was never switched to."""
        shutil.rmtree(self.root / name, ignore_errors=True)

    def clean_up(self) -> list[str]:
        """Remove generations older than the kept ones and leftovers of killed runs."""
        current = self.current_name()
        gens = sorted(p.name for p in self.root.glob(f"{PREFIX}*") if p.is_dir())
        older = [g for g in gens if current is None or g < current]
        keep = set(older[-KEEP_PREVIOUS:]) if KEEP_PREVIOUS else set()
        removed = []
        for name in gens:
            if name != current and name not in keep:
                shutil.rmtree(self.root / name, ignore_errors=True)
                removed.append(name)
        for tmp in self.root.glob(f".{POINTER}.*.tmp"):
            tmp.unlink(missing_ok=True)
        return removed

    @contextlib.contextmanager
    def locked(self, timeout: float) -> Iterator[None]:
        """Hold the indexing lock, waiting at most `timeout` seconds for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another indexing run holds {self.root / LOCK}; "
                            f"gave up after {timeout:g} s") from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(path)
