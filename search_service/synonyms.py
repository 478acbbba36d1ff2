"""Query-time synonyms: groups of equivalent terms read from ``index/synonyms.txt``.

A group line is ``词1, 词2[, 词3] # source or reason``: members are separated by
"," "，" or "、", and the comment after "#" is required. Lines starting with "#"
are comments. Members are normalised like queries (:func:`textnorm.normalise`,
then stripped), so full-width and upper-case spellings match. Groups are two-way.

Synonyms are applied when a query is compiled, never when indexing, so an edit
takes effect without reindexing: :class:`SynonymWatcher` rereads the file when
its modification time or size changes, and keeps serving the previous table when
an edit does not parse.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .textnorm import normalise

log = logging.getLogger(__name__)

#: What separates the members of a group: ASCII comma, full-width comma, 顿号.
SEPARATORS = re.compile("[,，、]")

_UNSEEN = (-1, -1)  # a file signature no real file has: forces the next reload


class SynonymError(ValueError):
    """A synonyms file that cannot be read, as ``SOURCE:LINE: reason``."""


@dataclass(frozen=True)
class SynonymTable:
    """Groups of equivalent, normalised terms in file order."""

    groups: tuple[tuple[str, ...], ...] = ()
    _groups_of: dict[str, tuple[int, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        """Index every member to the groups that contain it."""
        index: dict[str, list[int]] = {}
        for number, group in enumerate(self.groups):
            for member in group:
                index.setdefault(member, []).append(number)
        object.__setattr__(self, "_groups_of", {m: tuple(g) for m, g in index.items()})

    def alternatives(self, text: str) -> list[str]:
        """Return the other members of every group the whole part equals, in file order."""
        part = normalise(text).strip()
        seen = {part}
        out: list[str] = []
        for number in self._groups_of.get(part, ()):
            for member in self.groups[number]:
                if member not in seen:
                    seen.add(member)
                    out.append(member)
        return out

    @classmethod
    def parse(cls, text: str, source: str = "synonyms.txt") -> SynonymTable:
        """Parse a synonyms file's text, raising SynonymError naming the first bad line."""
        groups: list[tuple[str, ...]] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = normalise(raw).strip()
            if not line or line.startswith("#"):
                continue
            where = f"{source}:{number}"
            body, hashmark, reason = line.partition("#")
            if not hashmark or not reason.strip():
                raise SynonymError(f"{where}: a group needs a '# source or reason' comment")
            members = [m.strip() for m in SEPARATORS.split(body)]
            if any(not m for m in members):
                raise SynonymError(f"{where}: empty member (two separators in a row, "
                                   "or one at the start or end)")
            if len(members) < 2:
                raise SynonymError(f"{where}: a group needs at least two members")
            for member in members:
                if members.count(member) > 1:
                    raise SynonymError(f"{where}: {member!r} appears twice in the group")
                if len(member) == 1:
                    raise SynonymError(
                        f"{where}: {member!r} is a single character; it would match "
                        "inside unrelated words")
            groups.append(tuple(members))
        return cls(tuple(groups))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SynonymTable:
        """Read and parse a UTF-8 synonyms file; a missing file is an empty table."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            return cls()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise SynonymError(f"{path}:{line}: not UTF-8 text") from None
        return cls.parse(text, source=str(path))


def _signature(path: Path) -> tuple[int, int] | None:
    """Return the file's (mtime_ns, size), or None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class SynonymWatcher:
    """Serves the current synonym table, rereading the file when it changes; thread-safe."""

    def __init__(self, path: str | os.PathLike[str], interval: float = 1.0):
        """Watch path, checking for changes at most every interval seconds (0: every call)."""
        self.path = Path(path)
        self.interval = interval
        self._lock = threading.Lock()
        self._table = SynonymTable()
        self._signature: tuple[int, int] | None = _UNSEEN
        self._checked = time.monotonic()
        with self._lock:
            self._refresh()

    def table(self) -> SynonymTable:
        """Return the current table; never raises (a bad edit keeps the previous one)."""
        if time.monotonic() - self._checked < self.interval:
            return self._table
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.interval:
                self._checked = now
                self._refresh()
            return self._table

    def _refresh(self) -> None:
        """Reload the file if its signature changed; log and keep the old table on error."""
        try:
            before = _signature(self.path)
        except OSError as exc:
            log.warning("synonyms not checked, keeping the previous table: %s", exc)
            return
        if before == self._signature:
            return
        try:
            table = SynonymTable.load(self.path)
            after = _signature(self.path)
        except (SynonymError, OSError) as exc:
            # Remember the broken version so it is reported once, not on every check.
            self._signature = before
            log.warning("synonyms not reloaded, keeping the previous %d groups: %s",
                        len(self._table.groups), exc)
            return
        # Written while we read it: serve what we read, but read again next time.
        self._signature = before if after == before else _UNSEEN
        self._table = table
        log.info("loaded %d synonym groups from %s", len(table.groups), self.path)
