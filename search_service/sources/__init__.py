"""Reading notices from source files and directories, format chosen by file extension."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from search_service.errors import SourceError
from search_service.notice import Notice
from search_service.sources.html import parse_html
from search_service.sources.records import Result, read_csv, read_json, read_jsonl
from search_service.sources.scrape import parse_scrape

__all__ = ["Parsed", "Rejected", "Skipped", "read_sources", "EXTENSIONS"]


@dataclass
class Parsed:
    """A notice read from a source; origin is "PATH" or "PATH:LINE"."""

    notice: Notice
    origin: str


@dataclass
class Rejected:
    """A file or record that could not be read as a notice."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass
class Skipped:
    """A file of another extension found inside a directory."""

    path: str


_PAGES: dict[str, Callable[[str, str], Notice]] = {
    ".txt": parse_scrape, ".html": parse_html, ".htm": parse_html,
}
_RECORDS: dict[str, Callable[[str], Iterator[Result]]] = {
    ".jsonl": read_jsonl, ".json": read_json, ".csv": read_csv,
}
#: Every extension read, lower case.
EXTENSIONS = frozenset(_PAGES) | frozenset(_RECORDS)


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _walk(directory: str) -> Iterator[str]:
    """Yield the files under directory in path order, hidden files and folders left out."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.extend(os.path.join(root, name) for name in files if not name.startswith("."))
    # Sorting by components keeps a folder's files together (a/b/x before a-b/x).
    yield from sorted(found, key=lambda path: Path(path).parts)


def _reason(error: OSError) -> str:
    return f"cannot read file: {error.strerror or error}"


def _read_page(path: str) -> Iterator[Parsed | Rejected]:
    """Yield the one result of a page file (.txt, .html, .htm)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8-sig")
    except OSError as error:
        yield Rejected(path, _reason(error))
        return
    except UnicodeDecodeError as error:
        yield Rejected(path, f"not valid UTF-8 (byte offset {error.start})")
        return
    notice_id = os.path.splitext(os.path.basename(path))[0]
    try:
        yield Parsed(_PAGES[_extension(path)](text, notice_id), path)
    except SourceError as error:
        yield Rejected(path, error.reason)


def _read_records(path: str) -> Iterator[Parsed | Rejected]:
    """Yield one result per record of a .jsonl, .json or .csv file."""
    try:
        for line, result in _RECORDS[_extension(path)](path):
            origin = path if line is None else f"{path}:{line}"
            if isinstance(result, Notice):
                yield Parsed(result, origin)
            else:
                yield Rejected(origin, result.reason)
    except OSError as error:
        yield Rejected(path, _reason(error))


def _read_file(path: str, in_directory: bool) -> Iterator[Parsed | Rejected | Skipped]:
    """Yield the results of one file, by its extension."""
    extension = _extension(path)
    if extension in _PAGES:
        yield from _read_page(path)
    elif extension in _RECORDS:
        yield from _read_records(path)
    elif in_directory:
        yield Skipped(path)
    else:
        yield Rejected(path, f"unsupported file type {extension or '(no extension)'}")


def read_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Parsed | Rejected | Skipped]:
    """Yield every notice, rejection and skipped file of the given files and directories.

    Raises FileNotFoundError, before yielding anything, when a path does not exist.
    """
    names = [os.fspath(path) for path in paths]
    for name in names:
        if not os.path.exists(name):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return _read_all(names)


def _read_all(names: list[str]) -> Iterator[Parsed | Rejected | Skipped]:
    """Yield the results of every path, the first notice of each id only."""
    first_seen: dict[str, str] = {}
    for name in names:
        if os.path.isdir(name):
            files: Iterable[tuple[str, bool]] = ((path, True) for path in _walk(name))
        else:
            files = [(name, False)]
        for path, in_directory in files:
            for result in _read_file(path, in_directory):
                if isinstance(result, Parsed):
                    notice_id = result.notice.id
                    if notice_id in first_seen:
                        yield Rejected(result.origin, f"duplicate id '{notice_id}' "
                                                      f"(first seen at {first_seen[notice_id]})")
                        continue
                    first_seen[notice_id] = result.origin
                yield result
