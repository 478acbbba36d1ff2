"""Typeahead suggestions and related notices over one open generation."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

from whoosh import query as wq

from .analysis import jieba_terms, stopwords
from .textnorm import is_han, normalise

if TYPE_CHECKING:
    from .searcher import Snapshot

_PINYIN = re.compile(r"[a-z' ]+")
#: Key terms taken from a notice to find related ones.
KEY_TERMS = 12
#: Characters of a body read for key terms: the opening says what a notice is about.
KEY_TERM_CHARS = 6000


def suggest(snap: Snapshot, q: str, size: int) -> dict[str, object]:
    """Complete a partly typed query from indexed words, ranked by notices found."""
    prefix = normalise(q).strip()
    out: dict[str, object] = {"q": q, "suggestions": []}
    if not prefix:
        return out
    reader = snap.searcher.reader()
    candidates: Counter = Counter()
    if _PINYIN.fullmatch(prefix):
        # Full pinyin or initials (xszg → 巡视整改), from this generation's words.
        corrector = snap.corrector()
        for word, df in corrector.complete(prefix.replace(" ", ""), size * 3) if corrector else ():
            candidates[word] = df
    for field in ("title_words", "body_words"):
        for word in _expand(reader, field, prefix, limit=2000):
            if word != prefix and len(word) > len(prefix):
                candidates[word] = max(candidates[word], reader.doc_frequency(field, word))
    # A word's document frequency is how many notices it finds as a word: cheap enough
    # for every keystroke (counting bigram matches per candidate was not).
    ranked = sorted(((df, word) for word, df in candidates.items()),
                    key=lambda cw: (-cw[0], cw[1]))
    out["suggestions"] = [{"text": w, "count": c} for c, w in ranked[:size] if c]
    return out


def _expand(reader, field: str, prefix: str, limit: int):
    for n, word in enumerate(reader.expand_prefix(field, prefix)):
        if n >= limit:
            return
        yield word.decode("utf-8") if isinstance(word, bytes) else word


def key_terms(snap: Snapshot, text: str, count: int = KEY_TERMS) -> list[tuple[str, float]]:
    """Return a text's most distinctive jieba words, weighted by tf × idf in this index."""
    stops = stopwords()
    tf = Counter(w for w in jieba_terms(text[:KEY_TERM_CHARS])
                 if len(w) > 1 and all(is_han(c) for c in w) and w not in stops)
    searcher = snap.searcher
    weighted = [(w, (1 + math.log(n)) * searcher.idf("body_words", w)) for w, n in tf.items()]
    weighted.sort(key=lambda wv: (-wv[1], wv[0]))
    return weighted[:count]


def related(snap: Snapshot, notice_id: str, size: int) -> dict[str, object]:
    """Return notices sharing the key terms of one notice, never the notice itself."""
    docnum = snap.table.position[notice_id]
    stored = snap.searcher.stored_fields(docnum)
    terms = key_terms(snap, f"{stored.get('title') or ''}\n{stored.get('body') or ''}")
    out: dict[str, object] = {"id": notice_id, "related": []}
    if not terms:
        return out
    top = max(w for _, w in terms) or 1.0
    query = wq.Or([wq.Term(f, t, boost=w / top)
                   for t, w in terms for f in ("title_words", "body_words")])
    results = snap.searcher.search(query, limit=size + 1, terms=True)
    table = snap.table
    related_hits = []
    for hit in results:
        if hit.docnum == docnum:
            continue
        shared = sorted({text.decode("utf-8") if isinstance(text, bytes) else text
                         for _, text in hit.matched_terms()})
        reasons: dict[str, object] = {"shared_terms": shared}
        dept = table.departments[hit.docnum]
        if dept and dept == stored.get("department"):
            reasons["same_department"] = dept
        related_hits.append({
            "id": table.ids[hit.docnum], "title": hit.get("title"), "date": hit.get("date"),
            "department": hit.get("department"), "score": round(hit.score, 4),
            "reasons": reasons,
        })
    out["related"] = related_hits[:size]
    return out
