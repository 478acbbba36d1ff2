"""Per-generation columns in plain Python lists: filters, facets and date orders.

Reading Whoosh's columns once when a searcher opens makes every facet count
and date sort at query time a loop over integers, with no stored-field reads.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    newest: list[int]
    oldest: list[int]
    position: dict[str, int]

    @classmethod
    def load(cls, reader: IndexReader) -> DocTable:
        """Read the columns of a reader."""
        size = reader.doc_count_all()
        ids: list[str | None] = [None] * size
        departments: list[str | None] = [None] * size
        authors: list[str | None] = [None] * size
        dates: list[str | None] = [None] * size
        keys = [NO_DATE] * size
        id_col = reader.column_reader("id")
        dept_col = reader.column_reader("department_facet")
        author_col = reader.column_reader("author_facet")
        date_col = reader.column_reader("date")
        key_col = reader.column_reader("date_key")
        live = list(reader.all_doc_ids())
        for n in live:
            ids[n] = id_col[n]
            departments[n] = dept_col[n] or None
            authors[n] = author_col[n] or None
            dates[n] = date_col[n] or None
            keys[n] = key_col[n] if dates[n] else NO_DATE
        by_id = sorted(live, key=lambda n: ids[n] or "")
        dated = [n for n in by_id if keys[n] != NO_DATE]
        undated = [n for n in by_id if keys[n] == NO_DATE]
        newest = sorted(dated, key=lambda n: -keys[n]) + undated
        oldest = sorted(dated, key=lambda n: keys[n]) + undated
        position = {ids[n] or "": n for n in live}
        return cls(ids, departments, authors, dates, live, newest, oldest, position)

    def __len__(self) -> int:
        return len(self.live)
