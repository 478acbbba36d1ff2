"""SQLite FTS5 over jieba-segmented text, as a peer for the benchmarks (stdlib sqlite3).

Each of title, body, department and author is segmented once with jieba (its own
dictionary, as a user would) and stored in an FTS5 table (``unicode61`` tokenizer) as the
words of ``cut_for_search``: precise-mode tokens joined by U+200B, each longer word preceded
by its dictionary 2- and 3-grams (jieba's search mode, built the way jieba builds it) set
between U+2061 and U+2062. All three are separators to unicode61, so the index holds
exactly the search-mode words, while ``highlight()`` and ``snippet()`` output can be turned
back into the text as written: drop the bracketed grams (a match on a gram highlights its
word) and the U+200B. The original metadata sits in a plain table under the same rowid.

A query is segmented with ``jieba.cut`` and becomes an AND of quoted words (every word
must match; quoting makes any input safe). A search does what the service's ``/search``
does, minus its extras: the total, the top 10 by bm25 (title weighted ×3) with the title
highlighted and a snippet of the body, and department facet counts (GROUP BY over every
match).

Usage as a script (a quick check): python bench/fts5.py DB "查询"
"""

from __future__ import annotations

import html
import json
import logging
import re
import sqlite3
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jieba

FIELDS = ("title", "body", "department", "author")
#: Markers around matches inside highlight()/snippet(); replaced by <em> after escaping.
OPEN, CLOSE = "\x02", "\x03"
#: Joins the precise tokens; brackets the search-mode grams (all separators to unicode61).
SEP, GRAM, MARG = "\u200b", "\u2061", "\u2062"
_INVISIBLE = str.maketrans("", "", SEP + GRAM + MARG + OPEN + CLOSE)
SNIPPET_TOKENS = 64  # FTS5's maximum; the grams count as tokens
FACET_SIZE = 50
#: bm25 with the title weighted ×3, set as the table's rank function.
RANK = "bm25(3.0, 1.0, 1.0, 1.0)"


def segment(text: str | None) -> str:
    """Return text as stored: precise tokens joined by SEP, grams bracketed before each word."""
    if not text:
        return ""
    freq = jieba.dt.FREQ
    pieces = []
    for w in jieba.cut(text.translate(_INVISIBLE)):
        grams = []
        if len(w) > 2:
            grams.extend(w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2]))
        if len(w) > 3:
            grams.extend(w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3]))
        pieces.append("".join(f"{GRAM}{g}{MARG}" for g in grams) + w)
    return SEP.join(pieces)


def displayed(marked: str) -> str:
    """Return stored text (highlight/snippet output, perhaps cut mid-gram) as written."""
    first = re.search(f"[{GRAM}{MARG}]", marked)
    hidden = bool(first and first.group() == MARG)  # a snippet that starts inside a gram
    out = []
    for ch in marked:
        if ch == GRAM:
            hidden = True
        elif ch == MARG:
            hidden = False
        elif not hidden or ch in (OPEN, CLOSE, "…"):
            out.append(ch)
    text = re.sub(f"(?:{OPEN}{CLOSE})+(?={OPEN})", "", "".join(out))
    # A matched gram (its markers now empty) highlights the word that follows it.
    text = re.sub(f"(?:{OPEN}{CLOSE})+([^{SEP}{OPEN}{CLOSE}]+)", f"{OPEN}\\1{CLOSE}", text)
    text = text.replace(OPEN + CLOSE, "").replace(SEP, "")
    if text.count(OPEN) != text.count(CLOSE):
        text = text.replace(OPEN, "").replace(CLOSE, "")
    return text


def query_words(q: str) -> list[str]:
    """Return the words of a query (jieba precise mode), without punctuation-only words."""
    return [w for w in jieba.cut(q) if any(ch.isalnum() for ch in w)]


def match_expression(q: str) -> str | None:
    """Return the FTS5 MATCH expression of q (an AND of quoted words), or None when empty."""
    words = query_words(q)
    if not words:
        return None
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def build_fts5(records: Iterable[dict[str, Any]], path: str | Path) -> float:
    """Build the FTS5 database of records at path (replacing it); return seconds."""
    jieba.setLogLevel(logging.WARNING)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    con = sqlite3.connect(path)
    try:
        con.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE notices (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT,
                                  date TEXT, department TEXT, author TEXT, url TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(title, body, department, author,
                                                tokenize = 'unicode61');
        """)
        with con:
            for rowid, r in enumerate(records, start=1):
                con.execute("INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (rowid, r["id"], r.get("title"), r.get("date"),
                             r.get("department"), r.get("author"), r.get("url")))
                con.execute("INSERT INTO fts (rowid, title, body, department, author) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (rowid, *(segment(r.get(name)) for name in FIELDS)))
        with con:
            con.execute("INSERT INTO fts (fts) VALUES ('optimize')")
            con.execute(f"INSERT INTO fts (fts, rank) VALUES ('rank', '{RANK}')")
    finally:
        con.close()
    return time.perf_counter() - started


def _html(marked: str | None) -> str:
    """Return segmented, marker-highlighted text as escaped HTML with <em> around matches."""
    text = displayed(marked or "")
    return html.escape(text, quote=False).replace(OPEN, "<em>").replace(CLOSE, "</em>")


class Fts5Index:
    """One FTS5 database, opened read-only (open it after a fork, one per process)."""

    def __init__(self, path: str | Path):
        self.con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True,
                                   check_same_thread=False)

    def documents(self) -> int:
        return self.con.execute("SELECT count(*) FROM notices").fetchone()[0]

    def search(self, q: str, size: int = 10) -> dict[str, Any]:
        """Return {q, total, hits, facets: {department}} like the service's /search."""
        expr = match_expression(q)
        if expr is None:
            return {"q": q, "total": 0, "hits": [], "facets": {"department": []}}
        groups = self.con.execute(
            "SELECT n.department, count(*) AS c FROM fts JOIN notices n ON n.rowid = fts.rowid "
            "WHERE fts MATCH ? GROUP BY n.department", (expr,)).fetchall()
        total = sum(count for _, count in groups)
        facets = sorted(((d, c) for d, c in groups if d is not None), key=lambda g: (-g[1], g[0]))
        hits = []
        if total:
            # ORDER BY rank lets FTS5 sort inside the table, so highlight() and snippet()
            # run for the top rows only (ORDER BY bm25(...) ran them for every match: 3x).
            rows = self.con.execute(
                f"SELECT rowid, highlight(fts, 0, '{OPEN}', '{CLOSE}'), "
                f"snippet(fts, 1, '{OPEN}', '{CLOSE}', '…', {SNIPPET_TOKENS}), rank "
                "FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (expr, size)).fetchall()
            meta = {row[0]: row[1:] for row in self.con.execute(
                "SELECT rowid, id, title, date, department, author, url FROM notices "
                f"WHERE rowid IN ({','.join('?' * len(rows))})", [r[0] for r in rows])}
            for rowid, title_m, snippet_m, rank in rows:
                nid, title, date, dept, author, url = meta[rowid]
                hits.append({"id": nid, "title": title, "title_html": _html(title_m),
                             "snippet_html": _html(snippet_m), "date": date,
                             "department": dept, "author": author, "url": url,
                             "score": -rank})
        return {"q": q, "total": total, "hits": hits,
                "facets": {"department": [{"value": d, "count": c}
                                          for d, c in facets[:FACET_SIZE]]}}

    def close(self) -> None:
        self.con.close()


if __name__ == "__main__":
    print(json.dumps(Fts5Index(sys.argv[1]).search(sys.argv[2]), ensure_ascii=False, indent=1))
