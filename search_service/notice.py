"""The notice record that every source format is parsed into."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

#: The contract's fields, in the order they are shown.
FIELDS = ("id", "title", "date", "department", "author", "url", "body")


@dataclass
class Notice:
    """One published notice; a field its source does not carry is None."""

    id: str
    title: str
    date: str | None = None
    department: str | None = None
    author: str | None = None
    url: str | None = None
    body: str = ""
    #: More fields a source carried (点击 clicks, 索引号, 文号 ...), kept as given.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the notice as the JSON object the contract describes."""
        out: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    def content_hash(self) -> str:
        """Return a digest of everything indexed, so unchanged notices can be skipped."""
        digest = hashlib.sha1()
        for name in FIELDS:
            digest.update(repr(getattr(self, name)).encode("utf-8"))
            digest.update(b"\x00")
        digest.update(repr(sorted(self.extra.items())).encode("utf-8"))
        return digest.hexdigest()


def derived_id(url: str | None, title: str, date: str | None, department: str | None) -> str:
    """Return a stable id for a record that carries none: from its url, else its metadata."""
    if url:
        return "url-" + hashlib.sha1(url.strip().encode("utf-8")).hexdigest()[:16]
    key = "\x00".join([title or "", date or "", department or ""])
    return "rec-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
