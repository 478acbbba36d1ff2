"""Highlighted titles and body snippets, found by plain string search on normalised text.

Matching runs on ``textnorm.normalise`` output, which is one character to one
character, so every offset found there marks the same characters in the original.
"""

from __future__ import annotations

import functools
import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from search_service.textnorm import normalise

#: Sentence ends (after normalisation the full-width ！？； are already ASCII).
SENTENCE_END = frozenset("。！？!?；;")
#: Clause marks, the second-best place to cut.
CLAUSE_END = frozenset("，,、：:")
#: Closing quotes and brackets that belong to the sentence they close.
CLOSERS = frozenset("”’」』）)】》\"'")
#: Separator between fragments and the mark of a sentence cut short.
ELLIPSIS = "…"
JOINER = " … "


def _clean_needles(needles: Sequence[str]) -> list[str]:
    """Return the distinct non-blank needles, normalised (normalise is idempotent)."""
    seen: dict[str, None] = {}
    for needle in needles:
        norm = normalise(needle)
        if norm.strip():
            seen.setdefault(norm, None)
    return list(seen)


def _occurrences(text_norm: str, needle: str, limit: int) -> list[tuple[int, int]]:
    """Return up to limit occurrences of needle, overlapping ones included."""
    found: list[tuple[int, int]] = []
    width = len(needle)
    pos = text_norm.find(needle)
    while pos >= 0 and len(found) < limit:
        found.append((pos, pos + width))
        # Step by one so that overlapping occurrences (视视 in 视视视) are all covered.
        pos = text_norm.find(needle, pos + 1)
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return spans sorted with overlapping and adjacent ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def find_spans(
    text_norm: str, needles: Sequence[str], limit: int = 200
) -> list[tuple[int, int]]:
    """Return the merged, sorted spans of every needle in text_norm, at most limit of them."""
    found: list[tuple[int, int]] = []
    cutoff = len(text_norm)
    for needle in _clean_needles(needles):
        hits = _occurrences(text_norm, needle, limit)
        if len(hits) == limit:
            # This needle was not searched past here, so later spans would be incomplete.
            cutoff = min(cutoff, hits[-1][1])
        found.extend(hits)
    return _merge([span for span in found if span[1] <= cutoff])[:limit]


def mark(
    text: str, spans: Sequence[tuple[int, int]], start: int = 0, end: int | None = None
) -> str:
    """Return text[start:end] HTML-escaped with every span (clipped to the window) in <em>."""
    end = len(text) if end is None else min(end, len(text))
    out: list[str] = []
    pos = start
    for span_start, span_end in sorted(spans):
        span_start, span_end = max(span_start, pos), min(span_end, end)
        if span_start >= span_end:
            continue
        out.append(html.escape(text[pos:span_start]))
        out.append("<em>" + html.escape(text[span_start:span_end]) + "</em>")
        pos = span_end
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def highlight_title(title: str, needles: Sequence[str], *, title_norm: str | None = None) -> str:
    """Return the whole title HTML-escaped with its matches in <em>."""
    if title_norm is None or len(title_norm) != len(title):
        title_norm = normalise(title)
    return mark(title, find_spans(title_norm, needles))


def _after_mark(norm: str, pos: int, marks: frozenset[str]) -> bool:
    """Return True if pos follows the text start, a \n or a mark (closers and spaces skipped)."""
    while pos > 0 and (norm[pos - 1] in CLOSERS or norm[pos - 1] in " \t"):
        pos -= 1
    return pos == 0 or norm[pos - 1] == "\n" or norm[pos - 1] in marks


def _is_start(norm: str, pos: int, marks: frozenset[str]) -> bool:
    """Return True if a fragment may start at pos; never on a closer that ends the last one."""
    return (pos == len(norm) or norm[pos] not in CLOSERS) and _after_mark(norm, pos, marks)


def _is_end(norm: str, pos: int, marks: frozenset[str]) -> bool:
    """Return True if a fragment may end at pos; never before a closer (keeps 。” together)."""
    if pos == len(norm) or norm[pos] == "\n":
        return True
    return norm[pos] not in CLOSERS and _after_mark(norm, pos, marks)


def _latest_start(norm: str, lo: int, hi: int, marks: frozenset[str]) -> int | None:
    """Return the last allowed start in [lo, hi], so the fragment opens near the match.

    A start follows the text's start, a mark, a line break, a closer or a space, so only
    the positions after those (found with a regular expression) are tested, last first.
    """
    lo, hi = max(lo, 0), min(hi, len(norm))
    if lo > hi:
        return None
    # Searched backwards (the pattern is one character), so the search stops at the
    # first start that is allowed: a match at offset i of the reversed text is the
    # character at hi - 1 - i, after which a start would be.
    for m in _start_pattern(marks).finditer(norm[max(lo - 1, 0):hi][::-1]):
        pos = hi - m.start()
        if lo <= pos and _is_start(norm, pos, marks):
            return pos
    return 0 if lo == 0 and _is_start(norm, 0, marks) else None


@functools.cache
def _start_pattern(marks: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(sorted(marks | CLOSERS))) + "\n \t]")


def _nearest_end(norm: str, lo: int, hi: int, target: int, marks: frozenset[str]) -> int | None:
    """Return the allowed end in [lo, hi] nearest to target (the earliest of equals).

    Ends (see `_is_end`) lie just after a mark or a line break and the closers that
    follow it, on a space among those closers, at a line break, or at the text's end.
    One regular expression finds each mark with the closers and spaces after it, so
    only those few positions are looked at.
    """
    lo, hi = max(lo, 1), min(hi, len(norm))
    if lo > hi:
        return None
    found = [hi] if hi == len(norm) else []
    scan_from = lo - 1
    while scan_from > 0 and (norm[scan_from] in CLOSERS or norm[scan_from] in " \t"):
        scan_from -= 1
    if scan_from == 0 and (norm[0] in CLOSERS or norm[0] in " \t"):
        # Closers and spaces the text opens with follow its start, which counts as a mark.
        found.extend(_run_ends(norm, -1, _TAIL_RE.match(norm, 0, hi + 1).end(), lo, hi))
    for m in _mark_pattern(marks).finditer(norm, scan_from, hi + 1):
        head, end = m.span()
        if head >= lo and norm[head] == "\n":
            found.append(head)
        if end - head == 1:  # nothing follows the mark: the common case
            if lo <= end <= hi:
                found.append(end)
        else:
            found.extend(_run_ends(norm, head, end, lo, hi))
    if not found:
        return None
    found.sort()
    i = bisect_left(found, target)
    if i == len(found):
        return found[-1]
    if i and target - found[i - 1] <= found[i] - target:
        return found[i - 1]
    return found[i]


def _run_ends(norm: str, head: int, end: int, lo: int, hi: int) -> list[int]:
    """Return the ends in [lo, hi] among the closers and spaces from head + 1 to end:
    each space, and end itself (where they stop, unless past hi)."""
    ends = [pos for pos in range(max(head + 1, lo), min(end, hi + 1)) if norm[pos] in " \t"]
    if lo <= end <= hi:
        ends.append(end)
    return ends


#: Closers and spaces, as many as follow.
_TAIL = "[" + re.escape("".join(sorted(CLOSERS))) + " \t]*"
_TAIL_RE = re.compile(_TAIL)


@functools.cache
def _mark_pattern(marks: frozenset[str]) -> re.Pattern[str]:
    """A mark or line break, with the closers and spaces after it."""
    return re.compile("[" + re.escape("".join(sorted(marks))) + "\n]" + _TAIL)


def _outside(spans: list[tuple[int, int]], starts: list[int], pos: int, forward: bool) -> int:
    """Return pos moved off any span it would cut through, to the span's edge."""
    i = bisect_right(starts, pos) - 1
    if i >= 0 and spans[i][0] < pos < spans[i][1]:
        return spans[i][1] if forward else spans[i][0]
    return pos


@dataclass
class _Fragment:
    """A candidate fragment: its offsets, the needles (by index) it holds and its match count."""

    start: int
    end: int
    needles: frozenset[int]
    matches: int


def _window(norm: str, a: int, b: int, size: int,
            spans: list[tuple[int, int]], starts: list[int]) -> tuple[int, int]:
    """Return (start, end) of a fragment of about size characters holding the match [a, b)."""
    room = max(size - (b - a), 0)
    start = _latest_start(norm, max(0, a - room), a, SENTENCE_END)
    if start is None:
        start = _latest_start(norm, max(0, a - room), a, CLAUSE_END)
    if start is None:
        start = _outside(spans, starts, max(0, a - room // 3), forward=False)
    while start < a and norm[start].isspace():
        start += 1
    target, reach = start + size, start + size + size // 2
    end = _nearest_end(norm, b, reach, target, SENTENCE_END)
    if end is None:
        end = _nearest_end(norm, b, reach, target, CLAUSE_END)
    if end is None:
        end = _nearest_end(norm, b, start + 2 * size, target, SENTENCE_END)
    if end is None:
        end = min(len(norm), max(b, target))
    moved = _outside(spans, starts, end, forward=True)
    end = moved if moved - start <= 2 * size else _outside(spans, starts, end, forward=False)
    while end > b and norm[end - 1].isspace():
        end -= 1
    return start, end


def _render(body: str, norm: str, frags: list[tuple[int, int]], needles: list[str]) -> str:
    """Return the fragments marked, joined, with … where a sentence is cut short."""
    parts = []
    for start, end in frags:
        # Re-search inside the fragment: the candidate spans were capped per needle.
        spans = [(s + start, e + start) for s, e in find_spans(norm[start:end], needles)]
        parts.append(mark(body, spans, start, end).replace("\n", " "))
    first, last = frags[0][0], frags[-1][1]
    head = "" if _is_start(norm, first, SENTENCE_END) else ELLIPSIS
    tail = "" if _is_end(norm, last, SENTENCE_END) else ELLIPSIS
    return head + JOINER.join(parts) + tail


def snippet(body: str, needles: Sequence[str], *, fragments: int = 3, size: int = 120,
            body_norm: str | None = None, limit: int = 200) -> str:
    """Return up to `fragments` escaped fragments of body around the matches, joined by … ."""
    if not body:
        return ""
    if body_norm is None or len(body_norm) != len(body):
        body_norm = normalise(body)
    size, fragments = max(size, 8), max(fragments, 1)
    clean = _clean_needles(needles)
    # Each needle gets its own share of the budget, so a frequent needle cannot hide a
    # rarer one that first occurs far into a long law.
    share = max(limit // max(len(clean), 1), 1)
    spans = _merge([s for n in clean for s in _occurrences(body_norm, n, share)])
    if not spans:
        return _render(body, body_norm, [_window(body_norm, 0, 0, size, [], [])], [])
    starts = [s for s, _ in spans]
    candidates: list[_Fragment] = []
    for a, b in spans:
        if candidates and a < candidates[-1].end:
            continue  # already inside the previous candidate, which would be nearly the same
        start, end = _window(body_norm, a, b, size, spans, starts)
        text = body_norm[start:end]
        inside = bisect_right(starts, end - 1) - bisect_left(starts, start)
        hit = frozenset(i for i, n in enumerate(clean) if n in text)
        candidates.append(_Fragment(start, end, hit, inside))
    chosen: list[_Fragment] = []
    covered: set[int] = set()
    while candidates and len(chosen) < fragments:
        # Needles not yet shown first, then needles overall, then matches, then earliest.
        best = max(candidates, key=lambda f: (len(f.needles - covered), len(f.needles),
                                              f.matches, -f.start))
        chosen.append(best)
        covered |= best.needles
        candidates = [f for f in candidates if f.end <= best.start or f.start >= best.end]
    chosen.sort(key=lambda f: f.start)
    return _render(body, body_norm, [(f.start, f.end) for f in chosen], clean)
