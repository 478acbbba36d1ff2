"""Serve a benchmark peer (the naive Whoosh recipe or SQLite FTS5) over HTTP under gunicorn.

Usage: python bench/peer_app.py --kind naive|fts5 --index PATH --records SLICE.jsonl
                                [--bind 127.0.0.1:8001] [--workers 2]

``GET /search?q=`` answers like the service's ``/search`` for the default request: total,
top-10 hits with ``title_html`` and ``snippet_html``, and department facet counts.
``GET /health`` is a constant answer (the ceiling of Falcon under gunicorn).

Gunicorn is configured as ``search_service/serve.py`` configures ours (sync workers,
preload with jieba loaded before the fork, index opened lazily in each worker).

The naive peer keeps to bench/naive.py's recipe: jieba's ``ChineseAnalyzer``, the default
``MultifieldParser``, Whoosh's own highlighter (which re-runs jieba over the body, passed
from the slice file because the recipe's schema does not store it) and a department count
over every match (``docs_for_query``; the recipe's department field is TEXT, so Whoosh
cannot facet on it). jieba's plain dictionary only: nothing here loads the project's.
"""

from __future__ import annotations

import argparse
import html
import importlib
import json
import logging
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import falcon
import jieba
from gunicorn.app.base import BaseApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
FACET_SIZE = 50


class NaivePeer:
    """The naive Whoosh recipe, with highlights and department counts."""

    def __init__(self, index_dir: str, records: dict[str, dict[str, Any]]):
        self.index_dir = index_dir
        self.records = records
        self._state: tuple | None = None
        self._lock = threading.Lock()

    def _open(self) -> tuple:
        with self._lock:
            if self._state is None:
                from naive import _state, open_naive
                from whoosh import highlight

                ix = open_naive(self.index_dir)
                searcher, parser = _state(ix)
                departments = {docnum: self.records[fields["id"]].get("department")
                               for docnum, fields in searcher.reader().iter_docs()}
                formatter = highlight.HtmlFormatter(tagname="em", between="…")
                self._state = (searcher, parser, departments, formatter)
            return self._state

    def search(self, q: str) -> dict[str, Any]:
        searcher, parser, departments, formatter = self._open()
        try:
            query = parser.parse(q)
            results = searcher.search(query, limit=10)
            total = len(results)
            counts = Counter(departments[d] for d in searcher.docs_for_query(query))
        except Exception:  # noqa: BLE001  (a naive service shows "no results")
            return {"q": q, "total": 0, "hits": [], "facets": {"department": []}}
        results.formatter = formatter
        hits = []
        for hit in results:
            record = self.records[hit["id"]]
            hits.append({
                "id": hit["id"], "title": record["title"],
                "title_html": hit.highlights("title") or html.escape(record["title"]),
                "snippet_html": hit.highlights("body", text=record.get("body") or "", top=3),
                "date": record.get("date"), "department": record.get("department"),
                "author": record.get("author"), "url": record.get("url"),
                "score": round(hit.score, 3)})
        return {"q": q, "total": total, "hits": hits, "facets": {"department": facet(counts)}}


class Fts5Peer:
    """SQLite FTS5 over jieba-segmented text (bench/fts5.py)."""

    def __init__(self, path: str):
        self.path = path
        self._index = None
        self._lock = threading.Lock()

    def search(self, q: str) -> dict[str, Any]:
        with self._lock:  # sync workers: one request at a time anyway
            if self._index is None:
                from fts5 import Fts5Index

                self._index = Fts5Index(self.path)
            return self._index.search(q)


def facet(counts: Counter) -> list[dict[str, Any]]:
    values = sorted(((v, c) for v, c in counts.items() if v is not None),
                    key=lambda vc: (-vc[1], vc[0]))
    return [{"value": v, "count": c} for v, c in values[:FACET_SIZE]]


class SearchResource:
    def __init__(self, peer: NaivePeer | Fts5Peer):
        self.peer = peer

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        q = req.get_param("q") or ""
        if len(q) > 200:
            raise falcon.HTTPBadRequest(title="Invalid query", description="too long")
        resp.media = self.peer.search(q)


class HealthResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


def create_app(kind: str, index: str, records_path: str | None) -> falcon.App:
    """Build the peer's WSGI app; loads jieba (and the records) now, before any fork."""
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    if kind == "naive":
        if not records_path:
            raise SystemExit("the naive peer needs --records")
        importlib.import_module("jieba.analyse")  # the analyzer's module loads the IDF table

        with open(records_path, encoding="utf-8") as handle:
            records = {r["id"]: r for r in map(json.loads, handle)}
        peer: NaivePeer | Fts5Peer = NaivePeer(index, records)
    elif kind == "fts5":
        peer = Fts5Peer(index)
    else:
        raise SystemExit(f"unknown peer kind {kind!r}")
    app = falcon.App()
    try:
        import orjson  # the service's JSON handler, so serialisation costs the same

        handler = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
        app.resp_options.media_handlers[falcon.MEDIA_JSON] = handler
    except ImportError:
        pass
    app.add_route("/search", SearchResource(peer))
    app.add_route("/health", HealthResource())
    return app


class PeerServer(BaseApplication):
    """gunicorn with the options of search_service/serve.py."""

    def __init__(self, app: falcon.App, bind: str, workers: int):
        self.app = app
        self.options = {"bind": bind, "workers": workers, "timeout": 30,
                        "worker_class": "sync", "preload_app": True, "graceful_timeout": 10,
                        "keepalive": 5, "accesslog": None, "errorlog": "-", "loglevel": "info"}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> falcon.App:
        return self.app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=("naive", "fts5"), required=True)
    parser.add_argument("--index", required=True, help="naive index directory or FTS5 file")
    parser.add_argument("--records", help="the slice's JSONL (the naive peer's bodies)")
    parser.add_argument("--bind", default="127.0.0.1:8001")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]  # gunicorn parses argv too
    PeerServer(create_app(args.kind, args.index, args.records), args.bind, args.workers).run()


if __name__ == "__main__":
    main()
