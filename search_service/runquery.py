"""An exact run of consecutive tokens in one field, matched by position-set intersection.

Whoosh's `Phrase` goes through its generic span machinery (`SpanNear2`), which
was ~70% of a slow query's time on bigram fields. A run of bigrams needs much
less: the documents that hold every bigram, then one set intersection of
positions per document, rarest bigram first so most candidates are dropped
after decoding one or two position lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from whoosh import matching
from whoosh.query import qcore


class Run(qcore.Query):
    """Documents where `words` occur at consecutive positions of `fieldname`."""

    def __init__(self, fieldname: str, words: Sequence[str], boost: float = 1.0):
        self.fieldname = fieldname
        self.words = list(words)
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Run) and self.fieldname == other.fieldname
                and self.words == other.words and self.boost == other.boost)

    def __hash__(self) -> int:
        return hash((Run, self.fieldname, tuple(self.words), self.boost))

    def __repr__(self) -> str:
        return f"Run({self.fieldname!r}, {self.words!r}, boost={self.boost})"

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Iterator[tuple[str, str]]:
        for word in self.words:
            yield self.fieldname, word

    def normalize(self) -> qcore.Query:
        return self

    def estimate_size(self, ixreader) -> int:
        return min(ixreader.doc_frequency(self.fieldname, w) for w in self.words)

    def estimate_min_size(self, ixreader) -> int:
        return 0

    def matcher(self, searcher, context=None) -> matching.Matcher:
        reader = searcher.reader()
        field = searcher.schema[self.fieldname]
        words = [field.to_bytes(w) for w in self.words]
        if any((self.fieldname, w) not in reader for w in words):
            return matching.NullMatcher()
        order = sorted(range(len(words)),
                       key=lambda i: reader.doc_frequency(self.fieldname, words[i]))
        leaves = [reader.postings(self.fieldname, words[i]) for i in order]
        scorer = searcher.weighting.scorer(searcher, self.fieldname, words[order[0]])
        return RunMatcher(leaves, order, scorer, self.boost)


class RunMatcher(matching.Matcher):
    """Walks the documents where every leaf's positions line up at its offset."""

    def __init__(self, leaves: list, offsets: list[int], scorer, boost: float):
        self._leaves = leaves
        self._offsets = offsets
        self._scorer = scorer
        self._boost = boost
        self._id = -1
        self._freq = 0
        self._active = True
        self._advance()

    def _align(self) -> bool:
        """Move every leaf to the same document; False when one runs out."""
        leaves = self._leaves
        if not all(m.is_active() for m in leaves):
            return False
        target = max(m.id() for m in leaves)
        while True:
            for m in leaves:
                if m.id() < target:
                    m.skip_to(target)
                    if not m.is_active():
                        return False
                    if m.id() > target:
                        target = m.id()
                        break
            else:
                return True

    def _advance(self) -> None:
        while self._align():
            starts: set[int] | None = None
            for m, offset in zip(self._leaves, self._offsets):
                here = {p - offset for p in m.value_as("positions")}
                starts = here if starts is None else starts & here
                if not starts:
                    break
            if starts:
                self._id = self._leaves[0].id()
                self._freq = len(starts)
                return
            self._leaves[0].next()
        self._active = False

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self._id

    def next(self) -> None:
        self._leaves[0].next()
        self._advance()

    def skip_to(self, target: int) -> None:
        if self._active and self._id < target:
            self._leaves[0].skip_to(target)
            self._advance()

    def weight(self) -> float:
        return float(self._freq)

    def score(self) -> float:
        return self._scorer.score(self) * self._boost

    def max_quality(self) -> float:
        # The rarest bigram occurs at least as often as the run, so its bound holds.
        try:
            return self._scorer.max_quality() * self._boost
        except Exception:  # a weighting without quality bounds
            return float("inf")

    def supports(self, astype: str) -> bool:
        return False

    def supports_block_quality(self) -> bool:
        return False

    def copy(self) -> RunMatcher:
        raise NotImplementedError("RunMatcher is single-pass")

    def term(self):
        return None

    def reset(self) -> None:
        raise NotImplementedError("RunMatcher is single-pass")
