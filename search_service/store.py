"""The index's home on disk: generations, the pointer to the served one, the lock.

Layout under the index directory::

    CURRENT            name of the served generation (replaced atomically)
    ROLLED_BACK        "FROM TO" after a rollback, until the next switch
    .lock              fcntl lock held by the one indexing run
    gen-<stamp>/       a complete Whoosh index, one per rebuild

A rebuild writes a new generation beside the served one, fsyncs it (Whoosh
never does) and only then replaces CURRENT; a killed run leaves the served
generation untouched and its half-written directory is removed by the next run.
A killed upsert leaves segment files (and the multi-process writer's ``MAIN.tmp``)
inside the served generation that its last commit does not use; the next run removes
them before it writes (readers only ever open the files the last commit names).

A rollback points CURRENT at the newest generation older than the served one.
The generation rolled back from then takes the previous generation's place (workers
may still be reading it) until the next switch, when it is removed and never
becomes a rollback target again.
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

from .errors import IndexBusyError, NoIndexError, SearchServiceError
from .mapped import MappedStorage
from .schema import build_schema

POINTER = "CURRENT"
MARKER = "ROLLED_BACK"
LOCK = ".lock"
PREFIX = "gen-"
#: Generations kept besides the served one (for rollback and for readers still open).
KEEP_PREVIOUS = 1


class NoPreviousGenerationError(SearchServiceError):
    """There is no older kept generation to roll back to."""


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
            # Read through memory maps: whoosh's own reader copies every file it opens.
            return MappedStorage(str(path)).open_index()
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
        _fsync_tree(self.root / name)
        self._write_atomic(POINTER, name)

    def previous_name(self) -> str | None:
        """Return the newest generation older than the served one, or None."""
        current = self.current_name()
        if current is None:
            return None
        older = [g for g in self._generations() if g < current]
        return older[-1] if older else None

    def roll_back(self) -> tuple[str, str]:
        """Serve the previous generation again and return (from, to); the caller holds the lock."""
        current = self.current_name()
        if current is None:
            raise NoPreviousGenerationError(f"nothing to roll back: no index in {self.root}")
        previous = self.previous_name()
        if previous is None or not whoosh_index.exists_in(str(self.root / previous)):
            raise NoPreviousGenerationError(
                f"nothing to roll back to: no generation older than {current} in {self.root}")
        # The marker goes first: a crash before CURRENT moves leaves a stale marker,
        # which clean_up ignores, rather than a rolled-back-from generation it would remove.
        self._write_atomic(MARKER, f"{current} {previous}")
        self.switch_to(previous)
        return current, previous

    def discard(self, name: str) -> None:
        """Remove a generation that was never switched to."""
        shutil.rmtree(self.root / name, ignore_errors=True)

    def clean_up(self) -> list[str]:
        """Remove generations older than the kept ones and leftovers of killed runs."""
        current = self.current_name()
        rolled_from, rolled_to = self._marker()
        keep = {current} if current else set()
        slots = KEEP_PREVIOUS
        if rolled_from and current is not None and current == rolled_to:
            # Just rolled back: readers may still be on the generation rolled back
            # from, so it takes a previous generation's slot until the next switch.
            keep.add(rolled_from)
            slots -= 1
        else:
            # A switch since the rollback: the generation rolled back from (excluded
            # below) must not become the previous one, a rollback target, again.
            (self.root / MARKER).unlink(missing_ok=True)
        gens = self._generations()
        older = [g for g in gens if (current is None or g < current) and g != rolled_from]
        keep.update(older[max(0, len(older) - slots):] if slots > 0 else [])
        removed = []
        for name in gens:
            if name not in keep:
                shutil.rmtree(self.root / name, ignore_errors=True)
                removed.append(name)
        for pattern in (f".{POINTER}.*.tmp", f".{MARKER}.*.tmp"):
            for tmp in self.root.glob(pattern):
                tmp.unlink(missing_ok=True)
        if current is not None:
            self.remove_unused_files(current)
        return removed

    def remove_unused_files(self, name: str) -> None:
        """Remove the files no commit of a generation uses (a killed or cancelled writer's)."""
        path = self.root / name
        try:
            ix = whoosh_index.open_dir(str(path))
        except (OSError, whoosh_index.EmptyIndexError):
            return
        # Whoosh's own commit-time clean-up, run for the latest commit.
        whoosh_index.clean_files(ix.storage, ix.indexname, ix.latest_generation(),
                                 ix._segments())
        shutil.rmtree(path / f"{ix.indexname}.tmp", ignore_errors=True)

    def _generations(self) -> list[str]:
        return sorted(p.name for p in self.root.glob(f"{PREFIX}*") if p.is_dir())

    def _marker(self) -> tuple[str | None, str | None]:
        try:
            parts = (self.root / MARKER).read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return None, None
        return (parts[0], parts[1]) if len(parts) == 2 else (None, None)

    def _write_atomic(self, file_name: str, text: str) -> None:
        tmp = self.root / f".{file_name}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / file_name)
        _fsync_dir(self.root)

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
