"""What notices say about each other, resolved over one generation of the index.

At index time each notice gets a ``links`` column (see :mod:`enrich`): its own document
number, the numbers and 《titles》 it cites as written, the titles it declares repealed,
the people it names, its version key and its body's MinHash sketch. None of that needs the
rest of the index. What does (which notice a citation points at, who cites a notice,
which version is in force, which notices are reposts of one text) is computed here when
a generation is opened, so it is always consistent with what is served, and an upsert
of one notice never has to rewrite the notices that cite it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import neardup
from .doctable import DocTable

#: Validity of a notice: in force, replaced by a newer version, or repealed.
CURRENT, SUPERSEDED, REPEALED = "current", "superseded", "repealed"
VALIDITY = (CURRENT, SUPERSEDED, REPEALED)


@dataclass
class Links:
    """Per document number of one reader: citations, versions, validity, near-duplicates."""

    doc_numbers: list[str | None]
    persons: list[tuple[str, ...]]
    cites: list[list[dict[str, object]]]
    cited_by: dict[int, list[int]]
    by_number: dict[str, list[int]]
    versions: dict[str, list[int]]
    by_title: dict[str, list[int]]
    version_key: list[str | None]
    validity: list[str | None]
    validity_by: list[int | None]
    group_of: dict[int, int] = field(default_factory=dict)
    groups: list[list[int]] = field(default_factory=list)

    @classmethod
    def build(cls, table: DocTable) -> Links:
        """Resolve the table's links column (JSON per document number)."""
        size = len(table.ids)
        records: list[dict] = [{} for _ in range(size)]
        for n in table.live:
            value = table.links[n]
            if value:
                records[n] = json.loads(value)
        doc_numbers = [records[n].get("doc_number") for n in range(size)]
        persons = [tuple(records[n].get("person") or ()) for n in range(size)]
        version_key = [records[n].get("version_key") for n in range(size)]
        by_number: dict[str, list[int]] = defaultdict(list)
        versions: dict[str, list[int]] = defaultdict(list)
        by_title: dict[str, list[int]] = defaultdict(list)
        for n in table.live:
            if doc_numbers[n]:
                by_number[doc_numbers[n]].append(n)
            if version_key[n]:
                versions[version_key[n]].append(n)
            if records[n].get("title_key"):
                by_title[records[n]["title_key"]].append(n)
        for group in (*versions.values(), *by_title.values()):
            group.sort(key=lambda n: _date_order(table, n))
        links = cls(doc_numbers, persons, [[] for _ in range(size)], defaultdict(list),
                    dict(by_number), dict(versions), dict(by_title), version_key,
                    [None] * size, [None] * size)
        links._resolve_citations(table, records)
        links._resolve_validity(table, records)
        links._group_near_duplicates(table, records)
        return links

    # ----------------------------------------------------------------- citations

    def _resolve_citations(self, table: DocTable, records: list[dict]) -> None:
        for n in table.live:
            resolved = []
            for cite in records[n].get("cites") or ():
                target = None
                if cite.get("number"):
                    target = _first_other(self.by_number.get(cite["number"], ()), n)
                elif cite.get("title"):
                    target = self._in_force(table, cite["title"], table.dates[n], n)
                resolved.append({**cite, "id": table.ids[target] if target is not None
                                 else None})
                if target is not None and n not in self.cited_by[target]:
                    self.cited_by[target].append(n)
            self.cites[n] = resolved
        self.cited_by = dict(self.cited_by)

    def _in_force(self, table: DocTable, key: str, date: str | None, citing: int) -> int | None:
        """The version of a title in force at a date: the newest not after it, else the oldest."""
        group = [m for m in self.by_title.get(key, ()) if m != citing]
        if not group:
            return None
        if date:
            before = [m for m in group if table.dates[m] and table.dates[m] <= date]
            if before:
                return before[-1]
        return group[0]

    # ----------------------------------------------------------------- validity

    def _resolve_validity(self, table: DocTable, records: list[dict]) -> None:
        for n in table.live:
            self.validity[n] = CURRENT
        for group in self.versions.values():
            dated = [m for m in group if table.dates[m]]
            for older, newer in zip(dated, dated[1:]):
                self.validity[older], self.validity_by[older] = SUPERSEDED, newer
        for n in table.live:
            date = table.dates[n]
            for key in records[n].get("repeals") or ():
                for m in self.versions.get(key, ()):
                    if m == n or self.version_key[m] == self.version_key[n]:
                        continue  # a new version of the same title supersedes instead
                    if date and table.dates[m] and table.dates[m] >= date:
                        continue  # enacted again after the repeal
                    if self.validity[m] == CURRENT:
                        self.validity[m], self.validity_by[m] = REPEALED, n

    def history(self, table: DocTable, n: int) -> list[dict[str, object]]:
        """All versions of a notice's title, newest first (the notice itself included)."""
        key = self.version_key[n]
        group = self.versions.get(key, ()) if key else ()
        if len(group) < 2:
            return []
        return [{"id": table.ids[m], "date": table.dates[m], "validity": self.validity[m]}
                for m in reversed(group)]

    # ----------------------------------------------------------------- near-duplicates

    def _group_near_duplicates(self, table: DocTable, records: list[dict]) -> None:
        for members in neardup.groups_of((n, records[n].get("sketch", "")) for n in table.live):
            members = sorted(members, key=lambda m: _date_order(table, m))
            index = len(self.groups)
            self.groups.append(members)
            for m in members:
                self.group_of[m] = index

    def duplicates(self, n: int) -> list[int]:
        """The other members of a notice's near-duplicate group, earliest first."""
        index = self.group_of.get(n)
        return [] if index is None else [m for m in self.groups[index] if m != n]

    def collapse(self, ordered: Iterable[int]) -> tuple[list[int], dict[int, int]]:
        """Keep the first hit of each near-duplicate group; return it and the others' count.

        The kept hit is the group's earliest notice among the hits, wherever in the
        order the group first appears.
        """
        hits = list(ordered)
        present: dict[int, list[int]] = defaultdict(list)
        for n in hits:
            index = self.group_of.get(n)
            if index is not None:
                present[index].append(n)
        keep: dict[int, int] = {}
        for index, members in present.items():
            order = {m: i for i, m in enumerate(self.groups[index])}
            keep[index] = min(members, key=lambda m: order[m])
        out, others, placed = [], {}, set()
        for n in hits:
            index = self.group_of.get(n)
            if index is None:
                out.append(n)
            elif index not in placed:
                placed.add(index)
                first = keep[index]
                out.append(first)
                others[first] = len(present[index]) - 1
        return out, others


def _first_other(candidates: Iterable[int], n: int) -> int | None:
    for m in candidates:
        if m != n:
            return m
    return None


def _date_order(table: DocTable, n: int) -> tuple[int, str, str]:
    date = table.dates[n]
    return (0 if date else 1, date or "", table.ids[n] or "")
