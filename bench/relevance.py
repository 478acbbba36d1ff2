"""Relevance harness: our engine against the naive recipe, on query sets drawn from the corpus.

Usage: python bench/relevance.py [--limit N] [--seed S] [--queries K]
                                 [--ours-index DIR] [--naive-index DIR] [--skip-naive]

Query sets (all drawn with random.Random(seed) from the first N records in id order):

- runs: K distinct runs of 2-6 Han characters (U+4E00-U+9FFF) at random positions of
  random bodies, so many cross word boundaries;
- titles: K titles held by exactly one record of the slice, passed as typed;
- keywords: for K random records, jieba's two top TF-IDF words of the body
  (``jieba.analyse.extract_tags(body, topK=2)``, bundled IDF, both >= 2 characters)
  joined by a space.

Figures per engine: substring recall (share of run queries whose full matched set holds
every record with the run as a plain substring of title/body/department/author),
exact-run precision@10 (queries with no hits skipped and counted), title rank-1 rate,
keyword MRR@10, and mean/p95 latency of a top-10 query per set (ours: the service's
``NoticeSearcher.search`` with facets and highlights; naive: parse + search, limit 10).

``--ours-index DIR`` / ``--naive-index DIR``: reuse the index in DIR when it holds exactly
the slice's ids; when DIR holds no index, build there and keep it. Without them the
indexes are built in temporary directories that are removed at the end.

Queries are generated with jieba's own dictionary; the naive peer runs before the
project's user dictionary is loaded, so it sees plain jieba as a user would.

Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS, machine, percentile  # noqa: E402

SEARCH_FIELDS = ("title", "body", "department", "author")
TOP = 10
MIN_RUN, MAX_RUN = 2, 6
EXAMPLES = 15  # failing queries listed per figure


def log(message: str) -> None:
    print(f"[relevance {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- records


def load_records(limit: int | None, source: Path | None = None) -> list[dict[str, Any]]:
    """Return the first `limit` records of notices.jsonl (or source) in id order (all: None)."""
    with open(source or CORPUS / "notices.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    records.sort(key=lambda r: r["id"])
    return records[:limit] if limit else records


def haystack(record: dict[str, Any]) -> str:
    """Return the searchable fields joined by a separator no run contains."""
    return "\x00".join(record.get(name) or "" for name in SEARCH_FIELDS)


def is_cjk_unified(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# --------------------------------------------------------------------------- query sets


def run_queries(records: list[dict[str, Any]], rng: random.Random, k: int) -> list[str]:
    """K distinct runs of 2-6 Han characters from random positions of random bodies."""
    bodies = [r["body"] for r in records if len(r.get("body") or "") >= MIN_RUN]
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < k and attempts < 1000 * k:
        attempts += 1
        body = rng.choice(bodies)
        length = rng.randint(MIN_RUN, MAX_RUN)
        if len(body) < length:
            continue
        start = rng.randrange(len(body) - length + 1)
        run = body[start:start + length]
        if all(is_cjk_unified(ch) for ch in run) and run not in seen:
            seen.add(run)
            out.append(run)
    return out


def title_queries(records: list[dict[str, Any]], rng: random.Random,
                  k: int) -> list[tuple[str, str]]:
    """K (title, id) pairs for titles held by exactly one record of the slice."""
    counts = Counter(r["title"] for r in records)
    unique = [(r["title"], r["id"]) for r in records if counts[r["title"]] == 1]
    return rng.sample(unique, min(k, len(unique)))


def corpus_document_frequencies(records: list[dict[str, Any]]) -> Counter:
    """Return, per jieba word, how many records' title+body contain it (one pass of jieba)."""
    import jieba

    df: Counter = Counter()
    for record in records:
        df.update(set(jieba.cut(f"{record['title']}\n{record.get('body') or ''}")))
    return df


def keyword_queries(records: list[dict[str, Any]], rng: random.Random, k: int,
                    df: Counter | None = None) -> list[tuple[str, str]]:
    """K ("word1 word2", id) pairs from the top two TF-IDF words of random bodies.

    With `df` (document frequencies over the slice) the IDF is the corpus's own, as
    TF-IDF is defined; without it, jieba's bundled general-language IDF
    (`jieba.analyse.extract_tags`), which picks words common in this corpus
    (中方, 有何, 应当) that no engine can rank one notice first for.
    """
    import jieba
    import jieba.analyse

    order = list(range(len(records)))
    rng.shuffle(order)
    out: list[tuple[str, str]] = []
    total = len(records)
    for i in order:
        if len(out) >= k:
            break
        record = records[i]
        body = record.get("body") or ""
        if df is None:
            tags = jieba.analyse.extract_tags(body, topK=2)
        else:
            tf = Counter(w for w in jieba.cut(body)
                         if len(w) >= 2 and all(is_cjk_unified(c) for c in w))
            scored = sorted(tf, key=lambda w: (-tf[w] * math.log(total / max(df[w], 1)), w))
            tags = scored[:2]
        if len(tags) == 2 and all(len(t) >= 2 for t in tags):
            out.append((" ".join(tags), record["id"]))
    return out


def containing(texts: list[tuple[str, str]], runs: list[str]) -> dict[str, set[str]]:
    """Return {run: ids of the records containing it as a plain substring}."""
    return {run: {rid for rid, text in texts if run in text} for run in runs}


# --------------------------------------------------------------------------- engines


class Engine:
    """What the harness needs from an engine."""

    name = ""

    def top(self, q: str) -> list[str]:
        """Return the ids of the top 10 hits, as the engine answers a user (timed)."""
        raise NotImplementedError

    def matched(self, q: str) -> set[str]:
        """Return the ids of every match."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class Ours(Engine):
    name = "ours"

    def __init__(self, home_dir: Path):
        from search_service.query import compile_query
        from search_service.searcher import NoticeSearcher, SearchRequest
        from search_service.store import IndexHome

        self._compile = compile_query
        self._request = SearchRequest
        self.searcher = NoticeSearcher(IndexHome(home_dir), reload_interval=3600)
        self.errors: Counter = Counter()

    def ids(self) -> set[str]:
        table = self.searcher.snapshot().table
        return {table.ids[n] for n in table.live if table.ids[n] is not None}

    def top(self, q: str) -> list[str]:
        try:
            result = self.searcher.search(self._request(q=q, size=TOP))
        except Exception as error:  # noqa: BLE001  (an error answers nothing; counted)
            self.errors["search:" + type(error).__name__] += 1
            return []
        return [hit["id"] for hit in result["hits"]]

    def matched(self, q: str) -> set[str]:
        snap = self.searcher.snapshot()
        try:
            compiled = self._compile(q)
            if compiled.query is None:
                return {i for i in snap.table.ids if i is not None}
            ids = snap.table.ids
            return {ids[n] for n in snap.searcher.docs_for_query(compiled.query)
                    if ids[n] is not None}
        except Exception as error:  # noqa: BLE001  (an error matches nothing; counted)
            self.errors["matched:" + type(error).__name__] += 1
            return set()


class Naive(Engine):
    name = "naive"

    def __init__(self, ix: Any):
        from naive import naive_search

        self.ix = ix
        self._search = naive_search

    def ids(self) -> set[str]:
        with self.ix.searcher() as searcher:
            return {fields["id"] for fields in searcher.all_stored_fields()}

    def top(self, q: str) -> list[str]:
        return self._search(self.ix, q, TOP)

    def matched(self, q: str) -> set[str]:
        return set(self._search(self.ix, q, None))

    def close(self) -> None:
        from naive import close_naive

        close_naive(self.ix)


def timed(fn: Callable[[str], list[str]], q: str, times: list[float]) -> list[str]:
    started = time.perf_counter()
    out = fn(q)
    times.append((time.perf_counter() - started) * 1000)
    return out


def latency(times: list[float]) -> dict[str, float | None]:
    if not times:
        return {"mean_ms": None, "p95_ms": None}
    return {"mean_ms": round(sum(times) / len(times), 2), "p95_ms": percentile(times, 95)}


def evaluate(engine: Engine, runs: list[str], truth: dict[str, set[str]],
             titles: list[tuple[str, str]], keywords: list[tuple[str, str]],
             text_of: dict[str, str], title_of: dict[str, str]) -> dict[str, Any]:
    """Return the figures of one engine, with examples of failing queries."""
    out: dict[str, Any] = {}

    # Runs: recall over the full matched set, precision over the top 10.
    times: list[float] = []
    recall_ok = 0
    precisions: list[float] = []
    zero_hit = 0
    recall_misses, imprecise = [], []
    for i, run in enumerate(runs):
        top = timed(engine.top, run, times)
        matched = engine.matched(run)
        missing = truth[run] - matched
        if not missing:
            recall_ok += 1
        else:
            recall_misses.append({"q": run, "containing": len(truth[run]),
                                  "missed": len(missing), "missed_ids": sorted(missing)[:3]})
        if top:
            good = sum(1 for rid in top if run in text_of[rid])
            precisions.append(good / len(top))
            if good < len(top):
                imprecise.append({"q": run, "top": len(top), "containing_in_top": good,
                                  "bad_ids": [rid for rid in top if run not in text_of[rid]][:3]})
        else:
            zero_hit += 1
        if (i + 1) % 50 == 0:
            log(f"{engine.name}: runs {i + 1}/{len(runs)}")
    out["substring_recall"] = round(recall_ok / len(runs), 4) if runs else None
    out["precision_at_10"] = (round(sum(precisions) / len(precisions), 4)
                              if precisions else None)
    out["precision_zero_hit_queries_skipped"] = zero_hit
    out["latency_runs"] = latency(times)

    # Titles: the known item at rank 1.
    times = []
    rank1 = 0
    title_misses = []
    for title, rid in titles:
        top = timed(engine.top, title, times)
        if top and top[0] == rid:
            rank1 += 1
        else:
            rank = top.index(rid) + 1 if rid in top else None
            title_misses.append({"q": title, "want": rid, "rank": rank,
                                 "got": top[0] if top else None,
                                 "got_title": title_of.get(top[0]) if top else None})
    out["title_rank1"] = round(rank1 / len(titles), 4) if titles else None
    out["latency_titles"] = latency(times)

    # Keyword pairs: reciprocal rank of the source record within the top 10.
    times = []
    rr: list[float] = []
    keyword_misses = []
    for q, rid in keywords:
        top = timed(engine.top, q, times)
        rank = top.index(rid) + 1 if rid in top else None
        rr.append(1 / rank if rank else 0.0)
        if rank != 1:
            keyword_misses.append({"q": q, "want": rid, "rank": rank,
                                   "got": top[0] if top else None, "hits_in_top": len(top)})
    out["keyword_mrr_at_10"] = round(sum(rr) / len(rr), 4) if rr else None
    out["latency_keywords"] = latency(times)

    out["failures"] = {
        "recall": {"count": len(recall_misses), "examples": recall_misses[:EXAMPLES]},
        "precision": {"count": len(imprecise), "examples": imprecise[:EXAMPLES]},
        "title": {"count": len(title_misses), "examples": title_misses[:EXAMPLES]},
        "keyword": {"count": len(keyword_misses), "examples": keyword_misses[:EXAMPLES]},
    }
    if isinstance(engine, Ours) and engine.errors:
        out["errors"] = dict(engine.errors)
    return out


# --------------------------------------------------------------------------- indexes


def code_fingerprint() -> dict[str, str]:
    """Return where search_service was imported from and a digest of its .py files."""
    import hashlib

    import search_service

    root = Path(search_service.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\x00" + path.read_bytes())
    return {"path": str(root), "sha1": digest.hexdigest()[:12]}


def has_index(directory: Path | None) -> bool:
    return directory is not None and directory.is_dir() and any(directory.iterdir())


def check_ids(engine_name: str, got: set[str], want: set[str]) -> None:
    if got != want:
        raise SystemExit(
            f"the {engine_name} index does not hold the slice: {len(got)} ids, "
            f"{len(want & got)} of the slice's {len(want)}; rebuild it or drop the option")


def build_ours(records: list[dict[str, Any]], directory: Path) -> float:
    """Build our index of the records in directory; return seconds."""
    from search_service.indexer import index_sources
    from search_service.store import IndexHome

    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relevance-slice-") as tmp:
        source = Path(tmp) / "notices.jsonl"
        with open(source, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        started = time.perf_counter()
        summary = index_sources(IndexHome(directory), [source], rebuild=True)
        seconds = time.perf_counter() - started
    if summary.rejected or summary.added != len(records):
        raise SystemExit(f"our build added {summary.added} of {len(records)} records "
                         f"({summary.rejected} rejected: {summary.rejections[:3]})")
    return round(seconds, 1)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None,
                        help="use the first N records in id order (default: all)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--queries", type=int, default=200, help="queries per set")
    parser.add_argument("--ours-index", type=Path)
    parser.add_argument("--naive-index", type=Path)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--keyword-idf", choices=("corpus", "jieba"), default="corpus",
                        help="IDF for the keyword pairs: the slice's own (default) or "
                             "jieba's bundled general-language table")
    args = parser.parse_args()
    started_all = time.perf_counter()

    import jieba

    jieba.setLogLevel(logging.WARNING)
    records = load_records(args.limit)
    log(f"{len(records)} records")
    want_ids = {r["id"] for r in records}

    # Query sets first, with jieba's own dictionary, before any user dictionary loads.
    rng = random.Random(args.seed)
    runs = run_queries(records, rng, args.queries)
    titles = title_queries(records, rng, args.queries)
    if args.keyword_idf == "corpus":
        log("counting document frequencies for the corpus IDF (one jieba pass)")
        keywords = keyword_queries(records, rng, args.queries,
                                   corpus_document_frequencies(records))
    else:
        keywords = keyword_queries(records, rng, args.queries)
    texts = [(r["id"], haystack(r)) for r in records]
    text_of = dict(texts)
    title_of = {r["id"]: r["title"] for r in records}
    truth = containing(texts, runs)
    log(f"queries: {len(runs)} runs, {len(titles)} titles, {len(keywords)} keyword pairs")

    temps: list[Path] = []
    build: dict[str, float | None] = {"ours": None, "naive": None}
    results: dict[str, Any] = {}
    code: dict[str, str] = {}
    try:
        # The naive peer first: its ChineseAnalyzer uses jieba's global dictionary.
        if not args.skip_naive:
            from naive import build_naive, open_naive

            naive_dir = args.naive_index
            if has_index(naive_dir):
                log(f"naive: reusing {naive_dir}")
                ix = open_naive(naive_dir)
            else:
                if naive_dir is None:
                    naive_dir = Path(tempfile.mkdtemp(prefix="relevance-naive-"))
                    temps.append(naive_dir)
                log(f"naive: building in {naive_dir}")
                t0 = time.perf_counter()
                ix = build_naive(records, naive_dir)
                build["naive"] = round(time.perf_counter() - t0, 1)
                log(f"naive: built in {build['naive']} s")
            naive = Naive(ix)
            check_ids("naive", naive.ids(), want_ids)
            results["naive"] = evaluate(naive, runs, truth, titles, keywords, text_of, title_of)
            naive.close()
            ix.close()

        from search_service import analysis
        from search_service.settings import REPO_INDEX

        analysis.load_dictionaries(REPO_INDEX)
        code = code_fingerprint()
        log(f"ours: search_service from {code['path']} ({code['sha1']})")
        ours_dir = args.ours_index
        if has_index(ours_dir):
            log(f"ours: reusing {ours_dir}")
        else:
            if ours_dir is None:
                ours_dir = Path(tempfile.mkdtemp(prefix="relevance-ours-"))
                temps.append(ours_dir)
            log(f"ours: building in {ours_dir}")
            build["ours"] = build_ours(records, ours_dir)
            log(f"ours: built in {build['ours']} s")
        ours = Ours(ours_dir)
        check_ids("ours", ours.ids(), want_ids)
        results["ours"] = evaluate(ours, runs, truth, titles, keywords, text_of, title_of)
    finally:
        for path in temps:
            shutil.rmtree(path, ignore_errors=True)

    targets = {"substring_recall": 1.0, "precision_at_10": 0.95, "title_rank1": 0.99,
               "keyword_mrr_at_10": 0.90}
    verdict: dict[str, Any] = {}
    for name, target in targets.items():
        mine = results["ours"][name]
        theirs = results["naive"][name] if "naive" in results else None
        verdict[name] = {"target": target, "meets_target": mine is not None and mine >= target,
                         "beats_naive": None if theirs is None else (
                             mine is not None and mine > theirs)}
    out = {
        "benchmark": "relevance", **machine(),
        "records": len(records), "seed": args.seed,
        "queries": {"runs": len(runs), "titles": len(titles), "keywords": len(keywords),
                    "keyword_idf": args.keyword_idf},
        "ours": results["ours"],
        "naive": results.get("naive"),
        "build_seconds": build,
        "search_service": code,
        "verdict": verdict,
        "total_seconds": round(time.perf_counter() - started_all, 1),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
