"""The naive recipe a user would write, as a peer for the benchmarks.

jieba's bundled ``ChineseAnalyzer`` on every text field of a default Whoosh schema,
built by one writer process, queried with Whoosh's default ``MultifieldParser`` (AND
grouping) with only the wildcard plugin removed. Nothing here is tuned on purpose.

jieba's analyzer uses jieba's global dictionary: build and query this index before
loading the project's user dictionary in the same process, or the peer is no longer
the naive recipe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jieba
import jieba.analyse  # noqa: F401  (ChineseAnalyzer lives here; importing loads the IDF)
from jieba.analyse import ChineseAnalyzer
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser, WildcardPlugin

NAIVE_FIELDS = ["title", "body", "department", "author"]


def naive_schema() -> Schema:
    """Return the default schema of the naive recipe."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=ChineseAnalyzer(), stored=True),
        body=TEXT(analyzer=ChineseAnalyzer()),
        department=TEXT(analyzer=ChineseAnalyzer()),
        author=TEXT(analyzer=ChineseAnalyzer()),
    )


def build_naive(records: Iterable[dict[str, Any]], directory: str | Path) -> index.Index:
    """Build the naive index of records (dicts with the corpus fields) in directory, one process."""
    jieba.setLogLevel(logging.WARNING)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(directory), naive_schema())
    writer = ix.writer()
    for record in records:
        doc = {"id": record["id"], "title": record.get("title") or "",
               "body": record.get("body") or ""}
        for name in ("department", "author"):
            if record.get(name):
                doc[name] = record[name]
        writer.add_document(**doc)
    writer.commit()
    return ix


def open_naive(directory: str | Path) -> index.Index:
    """Open a naive index built by build_naive."""
    return index.open_dir(str(directory))


def _state(ix: index.Index) -> tuple[Any, MultifieldParser]:
    """Return (searcher, parser) cached on the index object."""
    state = getattr(ix, "_naive_state", None)
    if state is None:
        parser = MultifieldParser(NAIVE_FIELDS, ix.schema)
        parser.remove_plugin_class(WildcardPlugin)
        state = (ix.searcher(), parser)
        ix._naive_state = state  # type: ignore[attr-defined]
    return state


def naive_search(ix: index.Index, q: str, limit: int | None = 10) -> list[str]:
    """Return the ids of the hits of q in rank order (limit None: every match).

    A query the parser cannot turn into a search (or that Whoosh fails on) has no hits.
    """
    searcher, parser = _state(ix)
    try:
        query = parser.parse(q)
        results = searcher.search(query, limit=limit)
        return [hit["id"] for hit in results]
    except Exception:  # noqa: BLE001  (a naive service would show "no results")
        return []


def close_naive(ix: index.Index) -> None:
    """Close the cached searcher of an index, if any."""
    state = getattr(ix, "_naive_state", None)
    if state is not None:
        state[0].close()
        ix._naive_state = None  # type: ignore[attr-defined]
