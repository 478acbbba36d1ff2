"""Per-generation columns in plain Python lists: filters, facets and date orders.

Reading Whoosh's columns once when a searcher opens makes every facet count
and date sort at query time a loop over integers, with no stored-field reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh.reading import IndexReader

from .schema import NO_DATE


@dataclass
class DocTable:
    """Metadata of every document number of one reader (None for deleted ones)."""

    ids: list[str | None]
    departments: list[str | None]
    authors: list[str | None]
    dates: list[str | None]
    live: list[int]
    links: list[bytes]
    newest: list[int]
    oldest: list[int]
    position: dict[str, int]
    #: Each document's year (YYYY) and month (YYYY-MM), for the date facets.
    years: list[str | None] = field(init=False)
    months: list[str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.years = [date[:4] if date else None for date in self.dates]
        self.months = [date[:7] if date else None for date in self.dates]

    @classmethod
    def load(cls, reader: IndexReader) -> DocTable:
        """Read the columns of a reader."""
        size = reader.doc_count_all()
        ids: list[str | None] = [None] * size
        departments: list[str | None] = [None] * size
        authors: list[str | None] = [None] * size
        dates: list[str | None] = [None] * size
        keys = [NO_DATE] * size
        links: list[bytes] = [b""] * size
        live: list[int] = []
        for leaf, offset, docnum in leaf_docs(reader):
            n = offset + docnum
            live.append(n)
            ids[n] = leaf["id"][docnum]
            departments[n] = leaf["department_facet"][docnum] or None
            authors[n] = leaf["author_facet"][docnum] or None
            dates[n] = leaf["date"][docnum] or None
            keys[n] = leaf["date_key"][docnum] if dates[n] else NO_DATE
            links[n] = leaf["links"][docnum]
        by_id = sorted(live, key=lambda n: ids[n] or "")
        dated = [n for n in by_id if keys[n] != NO_DATE]
        undated = [n for n in by_id if keys[n] == NO_DATE]
        newest = sorted(dated, key=lambda n: -keys[n]) + undated
        oldest = sorted(dated, key=lambda n: keys[n]) + undated
        position = {ids[n] or "": n for n in live}
        return cls(ids, departments, authors, dates, live, links, newest, oldest, position)

    def __len__(self) -> int:
        return len(self.live)


COLUMNS = ("id", "department_facet", "author_facet", "date", "date_key", "content_hash",
           "links")


class _Empty:
    """The column of a field a generation does not have."""

    def __getitem__(self, docnum: int) -> bytes:
        return b""


def leaf_docs(reader: IndexReader) -> Iterator[tuple[dict[str, Any], int, int]]:
    """Yield (column readers of a segment, its docnum offset, live docnum in it).

    Columns are read per segment: whoosh3's MultiColumnReader mis-maps document
    numbers when an index has several segments (an IndexError after a
    multi-process build).
    """
    for leaf, offset in reader.leaf_readers():
        # A generation written before a column existed has none: read it as empty.
        columns = {name: leaf.column_reader(name) if leaf.has_column(name) else _Empty()
                   for name in COLUMNS}
        for docnum in leaf.all_doc_ids():
            yield columns, offset, docnum
