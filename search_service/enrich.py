"""What indexing learns from one notice's own text: numbers, citations, people, fingerprint.

The result is stored per notice in the ``links`` column as JSON; :mod:`links` resolves
it against the rest of the index when a generation is opened.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import analysis, docnum, neardup, versions
from .notice import Notice
from .persons import PersonExtractor


class Enricher:
    """Extracts the links of a notice; built once per indexing run (loads the name lists)."""

    def __init__(self, persons: PersonExtractor):
        self.persons = persons

    @classmethod
    def from_dir(cls, dict_dir: str | Path | None = None) -> Enricher:
        """Use the staff-editable lists in dict_dir (default: the loaded dictionaries' dir)."""
        directory = Path(dict_dir) if dict_dir else analysis.dictionary_dir()
        return cls(PersonExtractor.from_dir(directory))

    def links(self, notice: Notice) -> dict[str, object]:
        """Return the links of a notice (only the keys that have values)."""
        title, body = notice.title, notice.body
        out: dict[str, object] = {}
        own = docnum.own_number(title, body, notice.extra)
        if own:
            out["doc_number"] = own
        cites: list[dict[str, object]] = []
        seen: set[str] = set()
        for found in docnum.find_numbers(body):
            if found.normalised != own and found.normalised not in seen:
                seen.add(found.normalised)
                cites.append({"written": found.written, "number": found.normalised})
        own_key = versions.title_key(title)
        for cited in docnum.cited_titles(body):
            key = versions.title_key(cited)
            if key and key != own_key and key not in seen:
                seen.add(key)
                cites.append({"written": f"《{cited}》", "title": key})
        if cites:
            out["cites"] = cites
        repealed = versions.repeals(body)
        if repealed:
            out["repeals"] = repealed
        names = self.persons.extract(title, body)
        if names:
            out["person"] = names
        if own_key:
            out["title_key"] = own_key
        if versions.version_key(title):
            out["version_key"] = own_key
        sketch = neardup.sketch(body)
        if sketch is not None:
            out["sketch"] = neardup.encode(sketch)
        return out

    def column(self, notice: Notice) -> bytes:
        """Return the links of a notice as the column's bytes."""
        return json.dumps(self.links(notice), ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
