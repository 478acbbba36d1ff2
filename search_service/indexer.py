"""Indexing runs: upsert (and prune) the served generation, rebuild a new one, roll back."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from whoosh.writing import IndexWriter

from .codec import Codec
from .doctable import leaf_docs
from .enrich import Enricher
from .schema import build_schema, notice_from_stored, to_document
from .segwriter import ArrayMpWriter, ArraySegmentWriter
from .sources import Parsed, Rejected, Skipped, read_sources
from .store import IndexHome, _fsync_tree

#: Memory Whoosh may use for postings before it spills a run to disk (upserts).
WRITER_LIMIT_MB = 256
#: Memory each process of a full build may hold postings in before it writes them as a
#: segment and goes on with another: the corpus (~7.7M postings a process) fits in one.
BUILD_LIMIT_MB = 1536
#: Processes for a full build: Whoosh's multiprocess writer, one segment each, written
#: by segwriter.ArraySegmentWriter (1.6x faster than one process on 2 cores).
BUILD_PROCS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class Summary:
    """What an indexing run did; the CLI prints it and picks the exit status from it."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    deleted: int = 0
    seconds: float = 0.0
    generation: str | None = None
    switched: bool = False
    rejections: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Return the summary as the contract's JSON object."""
        out = asdict(self)
        del out["rejections"]
        return out


Progress = Callable[[Summary], None]
Reject = Callable[[str], None]


def index_sources(home: IndexHome, paths: Iterable[str], *, rebuild: bool = False,
                  prune: bool = False, lock_timeout: float = 30.0,
                  on_progress: Progress | None = None,
                  on_reject: Reject | None = None) -> Summary:
    """Index every notice in `paths`; see the contract's `index` command.

    With `prune`, an upsert also deletes every indexed notice whose id was not read
    from `paths` (which must then be the complete set of sources), unless something
    was rejected: a rejected record's id would be deleted with it. A rebuild holds
    exactly the sources already, so `prune` changes nothing there.

    Raises:
        FileNotFoundError: a path does not exist (nothing is indexed).
        IndexBusyError: another run holds the lock past `lock_timeout`.
    """
    started = time.monotonic()
    summary = Summary()
    items = read_sources(paths)
    enricher = Enricher.from_dir()
    with home.locked(lock_timeout):
        home.clean_up()
        if rebuild or home.current_name() is None:
            _build_generation(home, items, summary, on_progress, on_reject, strict=rebuild,
                              enricher=enricher)
        else:
            _upsert(home, items, summary, on_progress, on_reject, prune, enricher)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def delete_ids(home: IndexHome, ids: Iterable[str], *, lock_timeout: float = 30.0) -> list[str]:
    """Delete notices by id from the served generation; return the ids that were unknown."""
    unknown = []
    with home.locked(lock_timeout):
        ix = home.open()
        with ix.searcher() as searcher:
            present = {i: searcher.document_number(id=i) is not None for i in ids}
        writer = ix.writer(codec=Codec())
        for notice_id, found in present.items():
            if found:
                writer.delete_by_term("id", notice_id)
            else:
                unknown.append(notice_id)
        writer.commit()
        _fsync_tree(home.current_path())
    return unknown


def rollback(home: IndexHome, *, lock_timeout: float = 30.0) -> tuple[str, str]:
    """Serve the previous generation again; return the names (from, to).

    Raises:
        NoPreviousGenerationError: there is no older generation to go back to.
        IndexBusyError: another run holds the lock past `lock_timeout`.
    """
    with home.locked(lock_timeout):
        home.clean_up()
        moved = home.roll_back()
        home.clean_up()
    return moved


def _build_generation(home: IndexHome, items: Iterable[Parsed | Rejected | Skipped],
                      summary: Summary, on_progress: Progress | None,
                      on_reject: Reject | None, strict: bool, enricher: Enricher) -> None:
    name, writer = _new_generation(home)
    try:
        for notice in _notices(items, summary, on_progress, on_reject):
            writer.add_document(**to_document(notice, enricher.links(notice)))
            summary.added += 1
    except BaseException:
        writer.cancel()
        home.discard(name)
        raise
    if strict and summary.rejected:
        writer.cancel()
        home.discard(name)
        return
    _commit_and_switch(home, name, writer, summary)


def _upsert(home: IndexHome, items: Iterable[Parsed | Rejected | Skipped], summary: Summary,
            on_progress: Progress | None, on_reject: Reject | None, prune: bool,
            enricher: Enricher) -> None:
    ix = home.open()
    if set(ix.schema.names()) != set(build_schema().names()):
        _migrate(home, ix, items, summary, on_progress, on_reject, prune, enricher)
        return
    with ix.reader() as reader:
        known = dict(_column_pairs(reader, "id", "content_hash"))
    seen: set[str] = set()
    writer: IndexWriter = ix.writer(limitmb=WRITER_LIMIT_MB, codec=Codec())
    try:
        for notice in _notices(items, summary, on_progress, on_reject):
            seen.add(notice.id)
            previous = known.get(notice.id)
            if previous == notice.content_hash():
                summary.unchanged += 1
                continue
            writer.update_document(**to_document(notice, enricher.links(notice)))
            if previous is None:
                summary.added += 1
            else:
                summary.updated += 1
        if prune and not summary.rejected:
            for notice_id in sorted(known.keys() - seen):
                writer.delete_by_term("id", notice_id)
                summary.deleted += 1
    except BaseException:
        _cancel(home, writer)
        raise
    if summary.added or summary.updated or summary.deleted:
        writer.commit()
        _fsync_tree(home.current_path())
    else:
        _cancel(home, writer)
    summary.generation = home.current_name()


def _migrate(home: IndexHome, old, items: Iterable[Parsed | Rejected | Skipped],
             summary: Summary, on_progress: Progress | None, on_reject: Reject | None,
             prune: bool, enricher: Enricher) -> None:
    """Upsert into a generation built with an older schema: write a new generation.

    The sources go in first; then every notice of the old generation that they did not
    replace, rebuilt from its stored fields, so nothing indexed before is lost. The new
    generation is switched to like a rebuild's.
    """
    with old.reader() as reader:
        known = dict(_column_pairs(reader, "id", "content_hash"))
    seen: set[str] = set()
    name, writer = _new_generation(home)
    try:
        for notice in _notices(items, summary, on_progress, on_reject):
            writer.add_document(**to_document(notice, enricher.links(notice)))
            previous = known.get(notice.id)
            if previous is None:
                summary.added += 1
            elif previous == notice.content_hash():
                summary.unchanged += 1
            else:
                summary.updated += 1
            seen.add(notice.id)
        with old.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                if stored["id"] in seen:
                    continue
                if prune and not summary.rejected:
                    summary.deleted += 1
                    continue
                old_notice = notice_from_stored(stored)
                writer.add_document(**to_document(old_notice, enricher.links(old_notice)))
    except BaseException:
        writer.cancel()
        home.discard(name)
        raise
    _commit_and_switch(home, name, writer, summary)


def _new_generation(home: IndexHome) -> tuple[str, IndexWriter]:
    """Create an empty generation and its writer (Whoosh's multi-process one on >1 core)."""
    name, ix = home.create_generation()
    if BUILD_PROCS > 1:
        return name, ArrayMpWriter(ix, procs=BUILD_PROCS, limitmb=BUILD_LIMIT_MB)
    return name, ArraySegmentWriter(ix, limitmb=BUILD_LIMIT_MB)


def _commit_and_switch(home: IndexHome, name: str, writer: IndexWriter,
                       summary: Summary) -> None:
    """Commit a new generation, serve it, and remove what is no longer kept."""
    writer.commit()
    home.switch_to(name)
    home.clean_up()
    summary.generation = name
    summary.switched = True


def _cancel(home: IndexHome, writer: IndexWriter) -> None:
    """Cancel a writer and remove the segment files it had begun (Whoosh leaves them)."""
    writer.cancel()
    home.remove_unused_files(home.current_name())


def _notices(items: Iterable[Parsed | Rejected | Skipped], summary: Summary,
             on_progress: Progress | None, on_reject: Reject | None):
    last = time.monotonic()
    for item in items:
        if isinstance(item, Skipped):
            summary.skipped += 1
            continue
        summary.read += 1
        if isinstance(item, Rejected):
            summary.rejected += 1
            line = f"{item.origin}: {item.reason}"
            summary.rejections.append(line)
            if on_reject:
                on_reject(line)
            continue
        yield item.notice
        if on_progress and time.monotonic() - last >= 1.0:
            last = time.monotonic()
            on_progress(summary)


def _column_pairs(reader, key_field: str, value_field: str):
    for columns, _offset, docnum in leaf_docs(reader):
        yield columns[key_field][docnum], columns[value_field][docnum]
