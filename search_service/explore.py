"""Typeahead suggestions and related notices over one open generation."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date
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


#: How related notices are blended: key-term similarity (scaled to 1 for the best),
#: a citation either way, the same department, and nearness in date.
CITATION_WEIGHT = 1.0
DEPARTMENT_WEIGHT = 0.15
DATE_WEIGHT = 0.15
#: Days over which the date bonus halves.
DATE_HALF_LIFE = 365.0
#: Candidates taken from the key-term search before blending.
CANDIDATES = 50


def related(snap: Snapshot, notice_id: str, size: int) -> dict[str, object]:
    """Return notices related to one notice, best first, never the notice itself.

    Blends citation links both ways, shared key terms (tf·idf of plain jieba words of
    the title and body), the same department and nearness in date; each result's
    ``reasons`` says which of these made it related. Near-duplicates of each other are
    grouped into one result (``duplicates`` counts the rest); the notice's own
    near-duplicates are left out (``GET /notices/{id}`` lists them).
    """
    table, links = snap.table, snap.links
    n = table.position[notice_id]
    stored = snap.searcher.stored_fields(n)
    reasons: dict[int, dict[str, object]] = {}
    scores: Counter = Counter()
    terms = key_terms(snap, f"{stored.get('title') or ''}\n{stored.get('body') or ''}")
    if terms:
        top = max(w for _, w in terms) or 1.0
        query = wq.Or([wq.Term(f, t, boost=w / top)
                       for t, w in terms for f in ("title_words", "body_words")])
        results = snap.searcher.search(query, limit=CANDIDATES + 1, terms=True)
        best = max((hit.score for hit in results if hit.docnum != n), default=0.0) or 1.0
        for hit in results:
            shared = sorted({t.decode("utf-8") if isinstance(t, bytes) else t
                             for _, t in hit.matched_terms()})
            scores[hit.docnum] += hit.score / best
            reasons.setdefault(hit.docnum, {})["shared_terms"] = shared
    for cite in links.cites[n]:
        m = table.position.get(cite["id"]) if cite.get("id") else None
        if m is not None:
            scores[m] += CITATION_WEIGHT
            reasons.setdefault(m, {}).setdefault("cites", []).append(cite["written"])
    for m in links.cited_by.get(n, ()):
        scores[m] += CITATION_WEIGHT
        reasons.setdefault(m, {})["cited_by"] = True
    own_group = set(links.duplicates(n)) | {n}
    dept, when = table.departments[n], table.dates[n]
    for m in list(scores):
        if m in own_group or table.ids[m] is None:
            del scores[m]
            continue
        if dept and table.departments[m] == dept:
            scores[m] += DEPARTMENT_WEIGHT
            reasons[m]["same_department"] = dept
        gap = _days_apart(when, table.dates[m])
        if gap is not None:
            scores[m] += DATE_WEIGHT * 0.5 ** (gap / DATE_HALF_LIFE)
            reasons[m]["days_apart"] = gap
    ordered = sorted(scores, key=lambda m: (-scores[m], table.ids[m]))
    kept, others = links.collapse(ordered)
    out = []
    for m in kept[:size]:
        hit = snap.searcher.stored_fields(m)
        entry = {"id": table.ids[m], "title": hit.get("title"), "date": table.dates[m],
                 "department": hit.get("department"), "score": round(scores[m], 4),
                 "reasons": reasons[m]}
        if others.get(m):
            entry["duplicates"] = others[m]
        out.append(entry)
    return {"id": notice_id, "related": out}


def _days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    except ValueError:
        return None
