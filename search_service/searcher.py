"""Answer searches from the served generation, reopening it when it changes."""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.searching import Searcher

from . import docnum, explore, highlight
from .bulkscore import BulkScorer
from .cache import ResultCache
from .correction import Corrector
from .doctable import DocTable
from .errors import InvalidQueryError, NotFoundError
from .facetcount import FacetColumn
from .links import VALIDITY, Links
from .query import compile_query
from .schema import from_stored, title_key
from .store import IndexHome
from .synonyms import SynonymTable, SynonymWatcher
from .textnorm import normalise
from .warm import warm_directory

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_WINDOW = 10_000
SORTS = ("relevance", "newest", "oldest")
#: Corrections are looked for when a query finds fewer notices than this, or is
#: all Latin letters (pinyin): a query that finds plenty was most likely meant.
CORRECT_BELOW = 5
#: Score added (before BM25's own scale) when the query is exactly a notice's title.
TITLE_MATCH_BOOST = 1000.0
#: BM25F with little saturation of term frequency and strong length normalisation: a
#: notice that is about a word says it often for its length. Keyword-pair MRR@10 on the
#: corpus: 0.678 at Whoosh's default K1=1.2, B=0.75; 0.773 here (bench/RESULTS.md).
WEIGHTING = scoring.BM25F(K1=10.0, B=0.8)
_LATIN = re.compile(r"[A-Za-z' ]+")
#: Characters of documents (stored fields and normalised text) kept for highlighting.
DOCUMENT_CACHE_CHARS = 2_000_000


def _latin(q: str) -> bool:
    return bool(_LATIN.fullmatch(q.strip()))


@dataclass(frozen=True)
class SearchRequest:
    """One search, as the HTTP API and the CLI take it."""

    q: str = ""
    departments: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    doc_numbers: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    validity: tuple[str, ...] = ()
    collapse: bool = False
    sort: str | None = None
    page: int = 1
    size: int = 10
    facet_size: int = 50

    def validate(self) -> None:
        """Raise InvalidQueryError when the request cannot be answered as asked."""
        if len(self.q) > MAX_QUERY_CHARS:
            raise InvalidQueryError(
                f"q is {len(self.q)} characters long; at most {MAX_QUERY_CHARS} are allowed")
        if self.sort is not None and self.sort not in SORTS:
            raise InvalidQueryError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.size <= 100:
            raise InvalidQueryError("size must be between 1 and 100")
        if self.page < 1:
            raise InvalidQueryError("page must be 1 or more")
        if self.page * self.size > MAX_WINDOW:
            raise InvalidQueryError(
                f"page × size must be at most {MAX_WINDOW}; narrow the query instead")
        if not 1 <= self.facet_size <= 500:
            raise InvalidQueryError("facet_size must be between 1 and 500")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidQueryError("date_from is after date_to")
        for value in self.validity:
            if value not in VALIDITY:
                raise InvalidQueryError(f"validity must be one of {', '.join(VALIDITY)}")
        for value in self.doc_numbers:
            if docnum.normalise(value) is None:
                raise InvalidQueryError(
                    f"doc_number {value!r} is not a document number such as 国办发〔2017〕47号")


class Snapshot:
    """One open generation: a Whoosh searcher, its columns and its spelling corrector."""

    def __init__(self, home: IndexHome, background: bool = False):
        self.name = home.current_name() or ""
        self.index = home.open()
        self.searcher: Searcher = self.index.searcher(weighting=WEIGHTING)
        self.table = DocTable.load(self.searcher.reader())
        self.scorer = BulkScorer(self.searcher)
        #: Each segment's first docnum and its column of normalised bodies (None when
        #: the generation was written before the column existed).
        self._norm_offsets: list[int] = []
        self._norm_columns: list = []
        for sub, offset in self.searcher.leaf_searchers():
            if sub.doc_count_all():
                # Whoosh opens a segment's stored-fields file on first use: open it now,
                # before the generation is served (a later commit may delete the file).
                sub.stored_fields(0)
            reader = sub.reader()
            self._norm_offsets.append(offset)
            self._norm_columns.append(reader.column_reader("body_norm", translate=False)
                                      if "body_norm" in reader.schema
                                      and reader.has_column("body_norm") else None)
        self._documents: OrderedDict[int, tuple[dict, str, str]] = OrderedDict()
        self._documents_lock = threading.Lock()
        self._document_chars = 0
        #: Hits and facet counts of every notice (a query with no text), once computed.
        self.every_count: tuple[list[int], dict[str, Counter]] | None = None
        self.links = Links.build(self.table)
        table, links = self.table, self.links
        #: The facets _count_all counts, in the order the response lists them.
        self.facet_columns = {
            "department": FacetColumn.single(table.departments),
            "author": FacetColumn.single(table.authors),
            "person": FacetColumn(links.persons),
            "validity": FacetColumn.single(links.validity),
            "year": FacetColumn.single(table.years),
            "month": FacetColumn.single(table.months),
        }
        self.generation = f"{self.name}.{self.index.latest_generation()}"
        self._corrector: Corrector | None = None
        self._corrector_lock = threading.Lock()
        self._background = background
        if background:
            # Building takes seconds on the corpus (pinyin of every indexed word):
            # answer without corrections meanwhile rather than stall a request.
            threading.Thread(target=self._build_corrector, daemon=True).start()

    def document(self, n: int) -> tuple[dict, str, str]:
        """Return a document's stored fields and its normalised title and body.

        The most recently shown documents are kept: reading and decompressing a body and
        normalising it for the snippet is most of what a hit costs, and popular notices
        are hits of many different queries.
        """
        with self._documents_lock:
            found = self._documents.get(n)
            if found is not None:
                self._documents.move_to_end(n)
                return found
        stored = self.searcher.stored_fields(n)
        found = (stored, normalise(stored.get("title") or ""),
                 self._body_norm(n, stored.get("body") or ""))
        with self._documents_lock:
            if n not in self._documents:
                self._documents[n] = found
                self._document_chars += len(found[2])
            while self._document_chars > DOCUMENT_CACHE_CHARS and len(self._documents) > 1:
                self._document_chars -= len(self._documents.popitem(last=False)[1][2])
        return found

    def _body_norm(self, n: int, body: str) -> str:
        """Return normalise(body) of document n, read from its column when it has one."""
        i = bisect_right(self._norm_offsets, n) - 1
        column = self._norm_columns[i]
        if column is not None:
            # Per segment: whoosh3's MultiColumnReader mis-maps docnums (doctable.py).
            norm = column[n - self._norm_offsets[i]].decode("utf-8")
            if len(norm) == len(body):  # a notice indexed without it has b""
                return norm
        return normalise(body)

    def corrector(self) -> Corrector | None:
        """Return this generation's corrector (None while a background build runs)."""
        if self._background or self._corrector is not None:
            return self._corrector
        return self._build_corrector()

    def _build_corrector(self) -> Corrector | None:
        with self._corrector_lock:
            if self._corrector is not None:
                return self._corrector
            try:
                # Its own reader: Whoosh's file handles are not safe across threads.
                self._corrector = Corrector.from_reader(self.index.reader())
            except Exception:  # a corrector is an extra; never fail searches over it
                log.exception("could not build the spelling corrector")
            return self._corrector

    def is_current(self, home: IndexHome) -> bool:
        """Return True while this is still the served generation at its latest commit."""
        return home.current_name() == self.name and self.searcher.up_to_date()


class NoticeSearcher:
    """Searches, notices and statistics over an index home; safe to share across threads."""

    def __init__(self, home: IndexHome, reload_interval: float = 1.0,
                 background: bool = False, synonyms: SynonymWatcher | None = None,
                 cache_size: int = 0, warm: float = 0.0):
        self.home = home
        #: Share of available memory a newly opened generation is read into (warm.py).
        self.warm = warm
        #: Bytes of the served generation's files read in when it was opened.
        self.warmed = 0
        self.reload_interval = reload_interval
        self.background = background
        self.synonyms = synonyms
        self.cache = ResultCache(cache_size)
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._opening = False  # a background open of a newer generation is running

    def snapshot(self) -> Snapshot:
        """Return the served generation, reopened when it changed since the last check.

        With `background`, a changed generation is opened in a thread while requests
        go on being answered from the one open now (opening reads every notice's
        columns and links: seconds at 66,730 notices); it is served once complete.
        """
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < self.reload_interval:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None:
                # In the background when serving: this is a request's time, and a worker
                # that takes longer than gunicorn's timeout over it is killed.
                self._warm(wait=not self.background)
                snap = self._snapshot = Snapshot(self.home, self.background)
            elif not self._opening and not snap.is_current(self.home):
                if self.background:
                    self._opening = True
                    threading.Thread(target=self._open_next, daemon=True).start()
                else:
                    self._warm(wait=True)
                    snap = self._snapshot = Snapshot(self.home)
            self._checked = now
            return snap

    def _open_next(self) -> None:
        try:
            self._warm(wait=True)  # the old generation is served meanwhile
            snap = Snapshot(self.home, background=True)
        except Exception:  # the old generation is still served; the next check retries
            log.exception("could not open the new generation")
            snap = None
        with self._lock:
            if snap is not None:
                self._snapshot = snap
            self._opening = False

    def _warm(self, wait: bool) -> None:
        """Read the served generation into the page cache, before opening it (warm.py):
        the columns a snapshot loads, then the first searches, would otherwise page it
        in a fault at a time."""
        name = self.home.current_name()
        if self.warm <= 0 or name is None:
            return
        if wait:
            self._read_in(self.home.root / name)
        else:
            threading.Thread(target=self._read_in, args=(self.home.root / name,),
                             daemon=True).start()

    def _read_in(self, path: Path) -> None:
        self.warmed = warm_directory(path, self.warm)

    def search(self, req: SearchRequest) -> dict[str, object]:
        """Return the contract's search response, with a correction when one is found."""
        started = time.perf_counter()
        req.validate()
        snap = self.snapshot()
        table = self.synonyms.table() if self.synonyms else None
        # Keyed by the synonym table too: editing synonyms.txt changes answers.
        key = (req, table)
        cached = self.cache.get(snap.generation, key)
        if cached is not None:
            return {**cached, "took_ms": round((time.perf_counter() - started) * 1000, 2)}
        result = self._search(snap, req, table)
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        if result["did_you_mean"] is None and snap.corrector() is None:
            return result  # the corrector was still being built: do not cache its absence
        self.cache.put(snap.generation, key, result)
        return result

    def _search(self, snap: Snapshot, req: SearchRequest,
                table: SynonymTable | None) -> dict[str, object]:
        result = _run(snap, req, req.q, table)
        corrector = None
        if req.q.strip() and (result["total"] < CORRECT_BELOW or _latin(req.q)):
            corrector = snap.corrector()
        suggestion = corrector.correct(req.q) if corrector else None
        result["did_you_mean"] = suggestion
        result["corrected_from"] = None
        if suggestion and result["total"] == 0:
            corrected = _run(snap, req, suggestion, table)
            if corrected["total"]:
                result.update({k: corrected[k] for k in ("sort", "total", "hits", "facets")})
                result["corrected_from"] = req.q
        return result

    def export(self, req: SearchRequest) -> Iterator[dict[str, object]]:
        """Return every hit of a search (the first MAX_WINDOW, in order) with its metadata.

        The query is matched once, up front; rows are then read one stored document at
        a time, so a caller can stream them. No highlighting, no page.
        """
        req.validate()
        snap = self.snapshot()
        table = self.synonyms.table() if self.synonyms else None
        # Matched now, so that a bad request raises here and not halfway through a stream.
        return _rows(snap, _match(snap, req, req.q, table))

    def notice(self, notice_id: str) -> dict[str, object]:
        """Return one notice by id; raise NotFoundError when it is not indexed."""
        snap = self.snapshot()
        n = snap.table.position.get(notice_id)
        if n is None:
            raise NotFoundError(f"no notice with id {notice_id!r}")
        out = from_stored(snap.searcher.stored_fields(n))
        out.update(_notice_links(snap, n))
        return out

    def suggest(self, q: str, size: int = 10) -> dict[str, object]:
        """Return completions for a partly typed query."""
        return explore.suggest(self.snapshot(), q, size)

    def related(self, notice_id: str, size: int = 10) -> dict[str, object]:
        """Return notices on the same matter as one notice; NotFoundError when unknown."""
        snap = self.snapshot()
        if notice_id not in snap.table.position:
            raise NotFoundError(f"no notice with id {notice_id!r}")
        return explore.related(snap, notice_id, size)

    def stats(self) -> dict[str, object]:
        """Return document and metadata counts of the served generation."""
        snap = self.snapshot()
        table = snap.table
        dates = [table.dates[n] for n in table.live if table.dates[n]]
        return {
            "documents": len(table),
            "generation": snap.generation,
            "departments": len({table.departments[n] for n in table.live} - {None}),
            "authors": len({table.authors[n] for n in table.live} - {None}),
            "date_min": min(dates) if dates else None,
            "date_max": max(dates) if dates else None,
        }


@dataclass
class Matched:
    """Every hit of one query over a snapshot, in order, with its facet counts."""

    sort: str
    ordered: list[int]
    scores: dict[int, float]
    facets: dict[str, Counter]
    needles: list[str]
    #: How many hits there are; `ordered` may hold only the first of them (`window`).
    total: int
    #: With collapse: hits standing for a near-duplicate group, and how many they hide.
    others: dict[int, int] = field(default_factory=dict)


def _match(snap: Snapshot, req: SearchRequest, q: str,
           synonyms: SynonymTable | None, window: int = MAX_WINDOW) -> Matched:
    """Match, filter, count and order one query over a snapshot.

    Only the first `window` hits are put in order (all of them with collapse, which
    groups the whole list); the facets and the total count every hit.
    """
    table = snap.table
    compiled = compile_query(q, synonyms)
    number = docnum.normalise(q.strip()) if q.strip() else None
    if number and compiled.query is not None and "numbers" in snap.searcher.schema:
        # A document number in any spelling finds every notice that carries or cites it.
        compiled.query = wq.Or([compiled.query, wq.Term("numbers", number)])
        compiled.needles.append(number)
    sort = req.sort or ("relevance" if q.strip() else "newest")
    if compiled.query is None and sort == "relevance":
        sort = "newest"  # nothing to rank by
    scores: dict[int, float] = {}
    if compiled.query is None:
        matched: Iterable[int] = table.live
    elif sort == "relevance":
        ranked = compiled.query
        if "title_key" in snap.searcher.schema:
            # A query that is a notice's whole title names that notice.
            exact = wq.Term("title_key", title_key(q), boost=TITLE_MATCH_BOOST)
            ranked = wq.AndMaybe(ranked, exact)
        if number and "doc_number" in snap.searcher.schema:
            # ... and the notice that bears the number comes first.
            ranked = wq.AndMaybe(ranked, wq.Term("doc_number", number,
                                                 boost=TITLE_MATCH_BOOST))
        if BulkScorer.handles(ranked):
            scores = snap.scorer.scores(ranked)
        else:
            results = snap.searcher.search(ranked, limit=None)
            scores = {docnum: score for score, docnum in results.top_n}
        matched = scores.keys()
    else:
        matched = snap.searcher.docs_for_query(compiled.query)
    hits, facets = _filter_and_count(snap, matched, req)
    if req.collapse:
        window = len(hits)  # groups are found over the whole order
    if sort == "relevance":
        ordered = _best(hits, scores, table.ids, window)
    else:
        order = table.newest if sort == "newest" else table.oldest
        hit_set = set(hits)
        ordered = list(islice((n for n in order if n in hit_set), window))
    total, others = len(hits), {}
    if req.collapse:
        ordered, others = snap.links.collapse(ordered)
        total = len(ordered)
    return Matched(sort, ordered, scores, facets, compiled.needles, total, others)


#: Scores equal to this many decimals rank as ties, then by id. A score's last bits follow
#: the order Whoosh adds a query's parts in, which it shapes by each segment's document
#: frequencies: without this, identical notices (scaled-corpus copies at 66,730) came out
#: in different orders from two builds of the same sources (``bench/RESULTS.md``).
TIE_DECIMALS = 9


def _best(hits: list[int], scores: dict[int, float], ids: list, window: int) -> list[int]:
    """Return the first `window` hits by score (to TIE_DECIMALS), then id: those of a
    full sort, cheaper.

    Only hits scoring at least the window-th best score can be among them, so only
    those are sorted (ties at that score included, then cut).
    """
    def key(n: int) -> tuple[float, str]:
        return -round(scores[n], TIE_DECIMALS), ids[n]

    if window * 4 >= len(hits):  # most hits are in the window anyway
        return sorted(hits, key=key)[:window]
    # Rounding keeps order, so the window's hits all score at least the rounded cut less
    # half a unit of its last decimal; a few more may, and sort after them.
    cut = round(heapq.nlargest(window, map(scores.__getitem__, hits))[-1], TIE_DECIMALS)
    floor = cut - 10.0 ** -TIE_DECIMALS
    return sorted((n for n in hits if scores[n] >= floor), key=key)[:window]


def _run(snap: Snapshot, req: SearchRequest, q: str,
         synonyms: SynonymTable | None) -> dict[str, object]:
    """Return the contract's response (one page, highlighted) for one query."""
    m = _match(snap, req, q, synonyms, window=req.page * req.size)
    start = (req.page - 1) * req.size
    page = m.ordered[start:start + req.size]
    hits = [_hit(snap, n, m.scores.get(n) if m.sort == "relevance" else None, m.needles)
            for n in page]
    if req.collapse:
        for hit, n in zip(hits, page):
            hit["duplicates"] = m.others.get(n, 0)
    return {
        "q": req.q, "page": req.page, "size": req.size, "sort": m.sort,
        "total": m.total, "took_ms": 0.0,
        "hits": hits,
        "facets": {name: _top(counter, req.facet_size) for name, counter in m.facets.items()},
    }


def _notice_links(snap: Snapshot, n: int) -> dict[str, object]:
    """What a notice's links say about it, as fields of the notice object."""
    table, links = snap.table, snap.links

    def brief(m: int) -> dict[str, object]:
        return {"id": table.ids[m], "title": _title(snap, m), "date": table.dates[m]}

    by = links.validity_by[n]
    return {
        "doc_number": links.doc_numbers[n],
        "person": list(links.persons[n]),
        "cites": links.cites[n],
        "cited_by": [brief(m) for m in links.cited_by.get(n, ())],
        "near_duplicates": [brief(m) for m in links.duplicates(n)],
        "validity": links.validity[n],
        "validity_by": brief(by) if by is not None else None,
        "versions": links.history(table, n),
    }


def _title(snap: Snapshot, n: int) -> str:
    return snap.searcher.stored_fields(n).get("title") or ""


def _filter_and_count(snap: Snapshot, matched: Iterable[int],
                      req: SearchRequest) -> tuple[list[int], dict[str, Counter]]:
    """Apply the filters and count facets.

    The department, author, person and validity facets are disjunctive: each is
    counted with every filter applied except its own.
    """
    table, links = snap.table, snap.links
    depts, authors = set(req.departments), set(req.authors)
    persons, validity = set(req.persons), set(req.validity)
    numbers = {docnum.normalise(v) for v in req.doc_numbers}
    years, months = set(req.years), set(req.months)
    lo, hi = req.date_from, req.date_to
    if not (depts or authors or persons or validity or numbers or years or months or lo or hi):
        return _count_all(snap, matched)
    hits: list[int] = []
    counts = {name: Counter() for name in ("department", "author", "person", "validity")}
    year_count: Counter = Counter()
    month_count: Counter = Counter()
    dated = bool(years or months or lo or hi)
    for n in matched:
        if table.ids[n] is None:
            continue
        date = table.dates[n]
        if dated and not _in_dates(date, years, months, lo, hi):
            continue
        if numbers and links.doc_numbers[n] not in numbers:
            continue
        dept, author = table.departments[n], table.authors[n]
        names, valid = links.persons[n], links.validity[n]
        ok = {
            "department": not depts or dept in depts,
            "author": not authors or author in authors,
            "person": not persons or not persons.isdisjoint(names),
            "validity": not validity or valid in validity,
        }
        failed = [name for name, passed in ok.items() if not passed]
        if len(failed) > 1:
            continue
        values = {"department": (dept,), "author": (author,), "person": names,
                  "validity": (valid,)}
        for name in (failed or counts):
            for value in values[name]:
                if value is not None:
                    counts[name][value] += 1
        if not failed:
            hits.append(n)
            if date is not None:
                year_count[date[:4]] += 1
                month_count[date[:7]] += 1
    return hits, {**counts, "year": year_count, "month": month_count}


def _in_dates(date: str | None, years: set[str], months: set[str], lo: str | None,
              hi: str | None) -> bool:
    """Return True when a date passes the year, month and date-range filters given."""
    if date is None:
        return False
    return not ((years and date[:4] not in years) or (months and date[:7] not in months)
                or (lo and date < lo) or (hi and date > hi))


def _count_all(snap: Snapshot, matched: Iterable[int]) -> tuple[list[int], dict[str, Counter]]:
    """_filter_and_count without filters: the same counts, over value codes (facetcount).

    Every notice's counts (a query with no text) are computed once per generation.
    """
    table = snap.table
    every = matched is table.live
    if every and snap.every_count is not None:
        return snap.every_count
    ids = table.ids
    hits = [n for n in matched if ids[n] is not None]
    at = np.fromiter(hits, np.int64, len(hits))
    counted = hits, {name: column.count(at) for name, column in snap.facet_columns.items()}
    if every:
        snap.every_count = counted
    return counted


def _top(counter: Counter, size: int) -> list[dict[str, object]]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    return [{"value": value, "count": count} for value, count in items]


def _hit(snap: Snapshot, docnum: int, score: float | None,
         needles: list[str]) -> dict[str, object]:
    stored, title_norm, body_norm = snap.document(docnum)
    title = stored.get("title") or ""
    return {
        "id": stored["id"],
        "title": title,
        "title_html": highlight.highlight_title(title, needles, title_norm=title_norm),
        "snippet_html": highlight.snippet(stored.get("body") or "", needles,
                                          body_norm=body_norm),
        "date": stored.get("date"),
        "department": stored.get("department"),
        "author": stored.get("author"),
        "url": stored.get("url"),
        "score": round(score, 4) if score is not None else None,
    }


def _rows(snap: Snapshot, m: Matched) -> Iterator[dict[str, object]]:
    for n in m.ordered[:MAX_WINDOW]:
        stored = snap.searcher.stored_fields(n)
        yield {
            "id": stored["id"], "title": stored.get("title"), "date": stored.get("date"),
            "department": stored.get("department"), "author": stored.get("author"),
            "doc_number": snap.links.doc_numbers[n], "person": list(snap.links.persons[n]),
            "validity": snap.links.validity[n], "url": stored.get("url"),
            "score": round(m.scores[n], 4) if m.sort == "relevance" else None,
        }
