"""Every match of a query with its score, computed a posting list at a time.

Whoosh's collectors walk the matcher tree one document at a time: for a query part (an
Or of four runs, optional word terms, the title and number boosts) that is dozens of
Python calls per document per node, most of a search's time. Here the same tree is
evaluated bottom-up, each node into a {docnum: score} dict, with Whoosh's arithmetic in
Whoosh's order (``a.score() + b.score()``, ``child * boost``, the same Huffman-shaped
trees, ArrayUnionMatcher's running sums), so every score is bit-identical to what
``searcher.search(q, limit=None)`` gives, but for the one fix below. A query or matcher
type not handled here is walked the ordinary way.

An AndMaybe scores a + b wherever both sides match. Whoosh's AndMaybeMatcher does not
always: moved with skip_to(id) under an And (a query of several parts), it moves its
optional side to id instead of to where its required side landed, and drops the optional
score of that document. Which documents lose it depends on the order the intersection
visits them in. Scores here are those of the walk with that fixed: tests/test_bulkscore.py
patches the matcher and compares.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from whoosh import matching
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import binary, combo, wrappers
from whoosh.scoring import BM25FScorer, bm25
from whoosh.searching import Searcher
from whoosh.util import make_weighted_tree

from .runquery import Run, RunMatcher, read_postings, weights_for

Scores = dict[int, float]
#: The documents (segment docnums) a subtree is scored for; None: all of them.
Within = Collection[int] | None
#: Queries whose matchers are plain posting lists, whatever walks them.
_LEAVES = frozenset({wq.Term, Run, wq.Prefix, wq.Every, type(wq.NullQuery)})


class _Node:
    """A subtree's class and scores, sortable like a Whoosh matcher in a weighted tree."""

    __slots__ = ("cls", "scores")

    def __init__(self, cls: type, scores: Scores):
        self.cls, self.scores = cls, scores

    # Matcher.__eq__/__lt__ make (weight, matcher) tuples with equal weights never
    # less than each other, so make_weighted_tree keeps ties in their given order.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Node) and other.cls is self.cls

    def __lt__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


class BulkScorer:
    """Scores whole queries over one searcher; keeps that searcher's field lengths."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        # Every length a scorer's dfl() can ask for, read once per generation rather
        # than on the first searches that need them.
        schema = searcher.schema
        scorable = [name for name in schema.names() if schema[name].scorable]
        self._lengths: dict[tuple[int, str], np.ndarray] = {
            (offset, name): _lengths(sub, name)
            for sub, offset in searcher.leaf_searchers() for name in scorable}

    @staticmethod
    def handles(q: wq.Query) -> bool:
        """Return True when every node of q is a query this scorer evaluates itself."""
        kind = type(q)
        if kind is wq.AndMaybe:
            return BulkScorer.handles(q.a) and BulkScorer.handles(q.b)
        if kind is wq.Or or kind is wq.And:
            return all(BulkScorer.handles(s) for s in q.subqueries)
        if kind is wq.AndNot:
            return BulkScorer.handles(q.a)  # the excluded side is not scored
        return kind in _LEAVES

    def scores(self, q: wq.Query) -> Scores:
        """Return {global docnum: score} of every match, as search(q, limit=None) scores it."""
        context = self.searcher.context()
        out: Scores = {}
        for sub, offset in self.searcher.leaf_searchers():
            node = self._query(q, sub, offset, context)
            if offset:
                out.update((d + offset, s) for d, s in node.scores.items())
            else:
                out.update(node.scores)
        return out

    # ------------------------------------------------------------------ queries

    def _query(self, q: wq.Query, sub: Searcher, offset: int, context,
               within: Within = None) -> _Node:
        """Score q over one segment; only the documents in `within`, when it is given.

        A document's score does not depend on `within`: it only leaves out documents
        that a caller would drop (the other side of an intersection, or of an AndMaybe).
        """
        kind = type(q)
        if kind is wq.Or or kind is wq.And:
            subs = q.subqueries
            if not subs:
                return _Node(type(matching.NullMatcher), {})
            if len(subs) == 1:
                return self._query(subs[0], sub, offset, context, within)
            return self._or(q, sub, offset, context, within) if kind is wq.Or else \
                self._and(q, sub, offset, context, within)
        if kind is wq.AndMaybe:
            a = self._query(q.a, sub, offset, context, within).scores
            b = self._query(q.b, sub, offset, context, a).scores
            return _Node(binary.AndMaybeMatcher,
                         {d: (s + b[d]) if d in b else s for d, s in a.items()})
        if kind is wq.AndNot:
            a = self._query(q.a, sub, offset, context, within).scores
            exclude = set(_walk_ids(q.b.matcher(sub, sub.boolean_context())))
            return _Node(binary.AndNotMatcher,
                         {d: s for d, s in a.items() if d not in exclude})
        if kind is Run:
            scorer, counts = q.counts(sub, within)
            if scorer is None:
                return _Node(type(matching.NullMatcher), {})
            if type(scorer) is BM25FScorer:
                # RunMatcher.score(): scorer.score(self) * boost, with weight = the count.
                lengths = self._field_lengths(sub, offset, q.fieldname)
                return _Node(RunMatcher, _bm25(scorer, list(counts), list(counts.values()),
                                               lengths, q.boost))
            return _Node(RunMatcher, self._matcher(RunMatcher(counts, scorer, q.boost),
                                                   sub, offset))
        m = q.matcher(sub, context)
        field = q.fieldname if kind is wq.Term else None
        return _Node(type(m), self._matcher(m, sub, offset, field, within))

    def _or(self, q: wq.Or, sub: Searcher, offset: int, context, within: Within) -> _Node:
        subs = q.subqueries
        if q.scale or len(subs) >= q.TOO_MANY_CLAUSES or q.matcher_type != q.AUTO_MATCHER:
            m = q.matcher(sub, context)
            return _Node(type(m), self._matcher(m, sub, offset, None, within))
        if not _preloaded(q, sub, context):
            reader = sub.reader()
            nodes = [(s.estimate_size(reader), self._query(s, sub, offset, context, within))
                     for s in subs]
            node = make_weighted_tree(_union, nodes)
            return _boosted(node, q.boost)
        # PreloadedOr: ArrayUnionMatcher adds each sub-matcher's score × boost in turn.
        boost, total = q.boost, {}
        for s in subs:
            for d, score in self._query(s, sub, offset, context, within).scores.items():
                total[d] = total.get(d, 0.0) + score * boost
        return _Node(combo.ArrayUnionMatcher, {d: s for d, s in total.items() if s > 0})

    def _and(self, q: wq.And, sub: Searcher, offset: int, context, within: Within) -> _Node:
        """Intersect the parts, each scored only where the smaller ones before it matched.

        The tree that adds the scores is Whoosh's, over the parts in their given order.
        """
        reader = sub.reader()
        subs = q.subqueries
        sizes = [s.estimate_size(reader) for s in subs]
        nodes: list = [None] * len(subs)
        for i in sorted(range(len(subs)), key=sizes.__getitem__):
            node = self._query(subs[i], sub, offset, context, within)
            if not node.scores:
                return _Node(binary.IntersectionMatcher, {})
            nodes[i] = (0 - sizes[i], node)
            within = node.scores
        return _boosted(make_weighted_tree(_intersection, nodes), q.boost)

    # ------------------------------------------------------------------ matchers

    def _matcher(self, m: matching.Matcher, sub: Searcher, offset: int,
                 field: str | None = None, within: Within = None) -> Scores:
        """Score a matcher's postings; field: the one a Term or Run's scorer was made for."""
        kind = type(m)
        if kind is type(matching.NullMatcher):
            return {}
        if kind is wrappers.WrappingMatcher:
            boost = m.boost
            return {d: s * boost
                    for d, s in self._matcher(m.child, sub, offset, field, within).items()}
        if field and kind is W3LeafMatcher and type(m.scorer) is BM25FScorer:
            scorer = m.scorer
            lengths = self._field_lengths(sub, offset, field)
            if within is None:
                ids, weights, _ = read_postings(m, values=False)
                return _bm25(scorer, ids, weights, lengths)
            if len(within) * WITHIN_MOST >= sub.doc_count_all():
                # Most blocks hold one of them: read every posting, then keep theirs.
                ids, weights, _ = read_postings(m, values=False)
                picked = [i for i, d in enumerate(ids) if d in within]
                return _bm25(scorer, [ids[i] for i in picked], [weights[i] for i in picked],
                             lengths)
            # Only the blocks holding a document of `within` are read.
            found = weights_for(m, sorted(within))
            return _bm25(scorer, list(found), list(found.values()), lengths)
        out: Scores = {}
        while m.is_active():
            d = m.id()
            if within is None or d in within:
                out[d] = m.score()
            m.next()
        return out

    def _field_lengths(self, sub: Searcher, offset: int, field: str) -> np.ndarray:
        """Return the lengths a scorer's dfl() gives, for every docnum of a segment."""
        lengths = self._lengths.get((offset, field))
        return lengths if lengths is not None else _lengths(sub, field)


def _lengths(sub: Searcher, field: str) -> np.ndarray:
    dfl = sub.doc_field_length
    return np.array([dfl(d, field, 1) for d in range(sub.doc_count_all())], np.float64)


#: `within` holding at least 1/WITHIN_MOST of a segment's documents: read every posting.
WITHIN_MOST = 8

#: Postings from which BM25 is computed over arrays rather than one call per document.
ARRAY_SCORES = 24


def _bm25(scorer: BM25FScorer, docs: list[int], weights, lengths: np.ndarray,
          boost: float = 1.0) -> Scores:
    """Return {docnum: whoosh.scoring.bm25(...) * boost} for each (doc, weight).

    Over arrays, the expression is bm25's own, operation for operation in the same
    order, each rounded to a double as Python rounds it, so the scores are the same
    floats (tests/test_bulkscore.py compares them bit for bit). A boost of 1.0 changes
    no score: multiplying a double by 1.0 is exact.
    """
    idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    if len(docs) < ARRAY_SCORES:
        return {d: bm25(idf, float(w), float(lengths[d]), avgfl, B, K1) * boost
                for d, w in zip(docs, weights)}
    tf = np.fromiter(weights, np.float64, len(docs))
    fl = lengths[np.fromiter(docs, np.int64, len(docs))]
    scores = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))) * boost
    return dict(zip(docs, scores.tolist()))


def _preloaded(q: wq.Or, sub: Searcher, context) -> bool:
    """Return True when Or._matcher's automatic choice is an ArrayUnionMatcher here."""
    needs_current = context.needs_current if context else True
    return not (needs_current or q.scale or len(q.subqueries) == 2
                or sub.doc_count_all() > 5000)


def _union(a: _Node, b: _Node) -> _Node:
    # UnionMatcher: a.score() + b.score() where both match, else the one that does.
    out = dict(a.scores)
    for d, s in b.scores.items():
        out[d] = (out[d] + s) if d in out else s
    return _Node(binary.UnionMatcher, out)


def _intersection(a: _Node, b: _Node) -> _Node:
    bs = b.scores
    return _Node(binary.IntersectionMatcher,
                 {d: s + bs[d] for d, s in a.scores.items() if d in bs})


def _boosted(node: _Node, boost: float) -> _Node:
    if boost == 1.0:
        return node
    return _Node(wrappers.WrappingMatcher, {d: s * boost for d, s in node.scores.items()})


def _walk_ids(m: matching.Matcher) -> list[int]:
    out = []
    while m.is_active():
        out.append(m.id())
        m.next()
    return out
