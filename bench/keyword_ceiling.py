"""How high can keyword-pair MRR@10 go? Ideal rankers on the generator's own tokens, and ours.

Usage: python bench/keyword_ceiling.py --ours-index DIR [--seed S] [--heldout-seed S]

bench/relevance.py's keyword pairs are a notice's two top TF-IDF words (jieba.cut with
jieba's own dictionary, the corpus's document frequencies). Here the same pairs (same seed,
same draw) and a held-out set (another seed, pairs of the first set removed) are ranked:

- by rankers that see exactly the generator's tokens, over the notices that contain both
  words (the set our engine matches): BM25 on body tokens at several K1/B, raw tf·idf,
  tf·idf over the notice's own top tf·idf weight (how much the pair dominates the
  notice), and a blend; ties by id, as ours;
- by our engine (NoticeSearcher over --ours-index), as bench/relevance.py does.

A ranker over the generator's own tokens is an upper bound for any ranker over these
features: what it misses are notices of the same kind sharing the pair (两个城市的山体保护条例).
Prints one JSON object; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine  # noqa: E402
from relevance import (  # noqa: E402
    TOP,
    is_cjk_unified,
    keyword_queries,
    load_records,
    log,
    run_queries,
    title_queries,
)

FIELDS = ("title", "body", "department", "author")


class Tokens:
    """jieba.cut tokens of every body, document frequencies over title and body."""

    def __init__(self, records: list[dict]):
        import jieba

        self.tf: list[Counter] = []
        self.length: list[int] = []
        self.df: Counter = Counter()
        for record in records:
            body = list(jieba.cut(record.get("body") or ""))
            title = list(jieba.cut(record["title"]))
            self.tf.append(Counter(body))
            self.length.append(len(body))
            self.df.update(set(title) | set(body))
        self.n = len(records)
        self.avg = sum(self.length) / self.n
        self.idf = {w: math.log(self.n / max(c, 1)) for w, c in self.df.items()}
        self.peak = []
        for counts in self.tf:
            weights = [c * self.idf[w] for w, c in counts.items()
                       if len(w) >= 2 and all(is_cjk_unified(ch) for ch in w)]
            self.peak.append(max(weights, default=1.0) or 1.0)

    def bm25(self, i: int, words: list[str], k1: float, b: float) -> float:
        score = 0.0
        norm = k1 * (1 - b + b * self.length[i] / self.avg)
        for w in words:
            tf = self.tf[i][w]
            if tf:
                score += self.idf.get(w, 0.0) * tf * (k1 + 1) / (tf + norm)
        return score

    def tfidf(self, i: int, words: list[str]) -> float:
        return sum(self.tf[i][w] * self.idf.get(w, 0.0) for w in words)


def mrr(pairs, candidates, ids, score) -> float:
    total = 0.0
    for (q, want), cands in zip(pairs, candidates):
        words = q.split()
        top = sorted(cands, key=lambda i: (-score(i, words), ids[i]))[:TOP]
        total += 1 / (top.index(want) + 1) if want in top else 0.0
    return round(total / len(pairs), 4)


def ours_mrr(index_dir: Path, pairs) -> float:
    from search_service import analysis
    from search_service.searcher import NoticeSearcher, SearchRequest
    from search_service.settings import REPO_INDEX
    from search_service.store import IndexHome

    analysis.load_dictionaries(REPO_INDEX)
    searcher = NoticeSearcher(IndexHome(index_dir), reload_interval=3600)
    total = 0.0
    for q, want in pairs:
        top = [h["id"] for h in searcher.search(SearchRequest(q=q, size=TOP))["hits"]]
        total += 1 / (top.index(want) + 1) if want in top else 0.0
    return round(total / len(pairs), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours-index", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--heldout-seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    records = load_records(None)
    log(f"{len(records)} records; one jieba pass")
    tokens = Tokens(records)
    # The harness's draw: runs and titles come first from the same generator.
    rng = random.Random(args.seed)
    run_queries(records, rng, args.queries)
    title_queries(records, rng, args.queries)
    harness = keyword_queries(records, rng, args.queries, tokens.df)
    seen = {q for q, _ in harness}
    heldout = [p for p in keyword_queries(records, random.Random(args.heldout_seed),
                                          args.queries, tokens.df) if p[0] not in seen]
    ids = [r["id"] for r in records]
    position = {rid: i for i, rid in enumerate(ids)}
    hay = ["\x00".join(r.get(f) or "" for f in FIELDS) for r in records]
    rankers = {
        "bm25 K1=1.2 B=0.75": lambda i, w: tokens.bm25(i, w, 1.2, 0.75),
        "bm25 K1=10 B=0.8": lambda i, w: tokens.bm25(i, w, 10, 0.8),
        "bm25 K1=10 B=1.0": lambda i, w: tokens.bm25(i, w, 10, 1.0),
        "tf·idf": tokens.tfidf,
        "tf·idf / the notice's top tf·idf": lambda i, w: tokens.tfidf(i, w) / tokens.peak[i],
        "bm25 K1=10 B=0.8 + 5 × share": lambda i, w: (
            tokens.bm25(i, w, 10, 0.8) + 5 * tokens.tfidf(i, w) / tokens.peak[i]),
    }
    out: dict[str, object] = {"benchmark": "keyword_ceiling", **machine(),
                              "records": len(records)}
    for name, pairs in (("harness", harness), ("heldout", heldout)):
        indexed = [(q, position[rid]) for q, rid in pairs]
        candidates = [[i for i in range(len(records)) if all(w in hay[i] for w in q.split())]
                      for q, _ in pairs]
        log(f"{name}: {len(pairs)} pairs")
        out[name] = {
            "pairs": len(pairs), "seed": args.seed if name == "harness" else args.heldout_seed,
            "mean_candidates": round(sum(map(len, candidates)) / len(candidates), 1),
            "ideal_rankers": {label: mrr(indexed, candidates, ids, score)
                              for label, score in rankers.items()},
            "ours": ours_mrr(args.ours_index, pairs),
        }
    out["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
