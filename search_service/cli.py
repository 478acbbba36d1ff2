"""The `search-service` command line: index, delete, rollback, search, serve, stats, analyze."""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Sequence

import orjson

from . import analysis, export
from .errors import IndexBusyError, InvalidQueryError, NoIndexError
from .indexer import Summary, delete_ids, index_sources, rollback
from .searcher import SORTS, NoticeSearcher, SearchRequest
from .settings import Settings
from .store import IndexHome, NoPreviousGenerationError
from .synonyms import SynonymWatcher

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="index directory (default: $SEARCH_SERVICE_INDEX_DIR "
                        "or index/data)")
    parser = argparse.ArgumentParser(prog="search-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", parents=[common], help="index notices from files or directories")
    p.add_argument("--rebuild", action="store_true",
                   help="build a complete new index from exactly these sources, then switch")
    p.add_argument("--prune", action="store_true",
                   help="also delete indexed notices not read from these sources (give the "
                   "complete set); skipped when anything is rejected")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("sources", nargs="+", metavar="SOURCE")

    p = sub.add_parser("delete", parents=[common], help="remove notices by id")
    p.add_argument("ids", nargs="+", metavar="ID")

    sub.add_parser("rollback", parents=[common],
                   help="serve the previous generation again (undo the last rebuild)")

    p = sub.add_parser("search", parents=[common], help="search like GET /search")
    p.add_argument("--json", action="store_true", help="print the same JSON as GET /search")
    p.add_argument("--csv", action="store_true",
                   help="print every hit (up to 10,000) as CSV, like GET /search?format=csv")
    p.add_argument("--department", action="append", default=[], help="filter (repeatable)")
    p.add_argument("--author", action="append", default=[], help="filter (repeatable)")
    p.add_argument("--year", action="append", default=[], help="filter by YYYY (repeatable)")
    p.add_argument("--month", action="append", default=[], help="filter by YYYY-MM (repeatable)")
    p.add_argument("--from", dest="date_from", help="first date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="last date, YYYY-MM-DD")
    p.add_argument("--doc-number", action="append", default=[],
                   help="filter by the notice's own document number, any spelling")
    p.add_argument("--person", action="append", default=[], help="filter (repeatable)")
    p.add_argument("--validity", action="append", default=[],
                   help="current, superseded or repealed (repeatable)")
    p.add_argument("--collapse", action="store_true",
                   help="one notice per group of near-duplicates")
    p.add_argument("--sort", choices=SORTS)
    p.add_argument("--size", type=int, default=10)
    p.add_argument("--page", type=int, default=1)
    p.add_argument("query", nargs="?", default="", metavar="QUERY")

    p = sub.add_parser("serve", parents=[common], help="serve the HTTP API under gunicorn")
    p.add_argument("--bind", help="HOST:PORT (default 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, help="gunicorn worker processes")

    p = sub.add_parser("stats", parents=[common], help="document and metadata counts")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("analyze", parents=[common], help="show how the index segments a text")
    p.add_argument("text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env(index_dir=args.index_dir,
                                 bind=getattr(args, "bind", None),
                                 workers=getattr(args, "workers", None))
    home = IndexHome(settings.index_dir)
    try:
        if args.command == "serve":
            from .serve import serve
            serve(settings)
            return EXIT_OK
        if args.command != "rollback":  # it reads no text: spare it loading jieba
            analysis.load_dictionaries(settings.dict_dir, rjieba=settings.rjieba)
        return COMMANDS[args.command](args, settings, home)
    except FileNotFoundError as exc:
        _err(f"search-service: {exc.strerror or 'not found'}: {exc.filename}")
        return EXIT_USAGE
    except InvalidQueryError as exc:
        _err(f"search-service: {exc}")
        return EXIT_USAGE
    except (IndexBusyError, NoIndexError) as exc:
        _err(f"search-service: {exc}")
        return EXIT_CANNOT_RUN
    except OSError as exc:  # an index directory that cannot be written or read
        _err(f"search-service: cannot use the index: {exc}")
        return EXIT_CANNOT_RUN


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _index(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    def progress(s: Summary, final: bool = False) -> None:
        end = f", deleted {s.deleted} in {s.seconds:.1f} s" if final else ""
        _err(f"indexing: {'done: ' if final else ''}read {s.read}, added {s.added}, "
             f"updated {s.updated}, unchanged {s.unchanged}, rejected {s.rejected}{end}")

    # A rebuild holds exactly its sources already, so --prune adds nothing to it.
    prune = args.prune and not args.rebuild
    summary = index_sources(home, args.sources, rebuild=args.rebuild, prune=prune,
                            lock_timeout=settings.lock_timeout,
                            on_progress=progress, on_reject=_err)
    # Runs shorter than the progress interval would otherwise log no progress at all.
    progress(summary, final=True)
    if prune and summary.rejected:
        _err(f"search-service: not pruning: {summary.rejected} rejected, and a rejected "
             "record's notice would be deleted; fix the sources and run again")
    if args.json:
        print(orjson.dumps(summary.to_dict()).decode())
    else:
        note = "" if not args.rebuild or summary.switched else " (not switched: old index kept)"
        print(f"read {summary.read}, added {summary.added}, updated {summary.updated}, "
              f"unchanged {summary.unchanged}, rejected {summary.rejected}, "
              f"skipped {summary.skipped} files, deleted {summary.deleted} "
              f"in {summary.seconds:.1f} s{note}")
    return EXIT_REJECTED if summary.rejected else EXIT_OK


def _delete(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    unknown = delete_ids(home, args.ids, lock_timeout=settings.lock_timeout)
    for notice_id in unknown:
        _err(f"{notice_id}: no such notice")
    print(f"deleted {len(args.ids) - len(unknown)}, unknown {len(unknown)}")
    return EXIT_REJECTED if unknown else EXIT_OK


def _rollback(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    try:
        rolled_from, rolled_to = rollback(home, lock_timeout=settings.lock_timeout)
    except NoPreviousGenerationError as exc:
        _err(f"search-service: {exc}")
        return EXIT_REJECTED
    print(f"rolled back from {rolled_from} to {rolled_to}")
    return EXIT_OK


def _search(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    request = SearchRequest(
        q=args.query, departments=tuple(args.department), authors=tuple(args.author),
        years=tuple(args.year), months=tuple(args.month), date_from=args.date_from,
        date_to=args.date_to, doc_numbers=tuple(args.doc_number), persons=tuple(args.person),
        validity=tuple(args.validity), collapse=args.collapse, sort=args.sort, page=args.page,
        size=args.size)
    synonyms = SynonymWatcher(settings.dict_dir / "synonyms.txt")
    searcher = NoticeSearcher(home, synonyms=synonyms)
    if args.csv:
        for chunk in export.csv_chunks(searcher.export(request)):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        return EXIT_OK
    result = searcher.search(request)
    if args.json:
        print(orjson.dumps(result).decode())
        return EXIT_OK
    print(f"{result['total']} hits ({result['took_ms']} ms)")
    for rank, hit in enumerate(result["hits"], start=(args.page - 1) * args.size + 1):
        meta = " · ".join(str(v) for v in (hit["date"], hit["department"], hit["author"]) if v)
        print(f"{rank}. {hit['title']}  [{hit['id']}]\n   {meta}\n   {_plain(hit['snippet_html'])}")
    return EXIT_OK


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"</?em>", lambda m: "】" if "/" in m.group() else "【", fragment))


def _stats(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    stats = NoticeSearcher(home).stats()
    if args.json:
        print(orjson.dumps(stats).decode())
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return EXIT_OK


def _analyze(args: argparse.Namespace, settings: Settings, home: IndexHome) -> int:
    print("index (jieba):  " + " / ".join(analysis.jieba_terms(args.text, mode="index")))
    print("query (jieba):  " + " / ".join(analysis.jieba_terms(args.text, mode="query")))
    print("bigrams:        " + " / ".join(analysis.ngram_terms(args.text)))
    return EXIT_OK


COMMANDS = {"index": _index, "delete": _delete, "rollback": _rollback, "search": _search,
            "stats": _stats, "analyze": _analyze}


if __name__ == "__main__":
    sys.exit(main())
