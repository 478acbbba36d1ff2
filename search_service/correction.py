"""Pinyin and homophone correction, and pinyin typeahead, from the words of one index.

Every suggestion is a jieba word the index holds, so a correction leads to text with
hits. Readings are pypinyin's, toneless. A corrector built by ``from_reader`` keeps the
reader for n-gram counts: build one per generation, with that generation's searcher.
"""

from __future__ import annotations

import heapq
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import cache
from itertools import islice, product

import jieba
from pypinyin import Style, pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from .analysis import JiebaTokenizer
from .textnorm import normalise

#: Heteronym combinations indexed per word; more only adds implausible readings.
MAX_READINGS = 4
#: A homophone must be this many times more frequent than the typed word.
HOMOPHONE_RATIO = 5
#: Longest window of a Chinese query checked for a homophone (longer: whole jieba words).
MAX_WINDOW = 4

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_WORD = re.compile(f"[{_HAN}]{{2,8}}")
_LATIN = re.compile(r"[a-z]+")
_SEPARATORS = re.compile(r"[\s']+")

Entries = dict[str, list[tuple[str, int]]]
#: (field, term) → document frequency in the index, for n-gram runs and Latin words.
IndexDf = Callable[[str, str], int]


@cache
def syllables() -> frozenset[str]:
    """Return every toneless syllable in pypinyin's character table."""
    # Derived from the package's data, so that no hand-made table can drift from it.
    toned = {r for value in pinyin_dict.values() for r in value.split(",")}
    return frozenset(s for s in map(to_normal, toned) if _LATIN.fullmatch(s))


def is_pinyin(text: str) -> bool:
    """Return True when Latin text splits wholly into pinyin syllables."""
    known, ok = syllables(), [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        ok[end] = any(ok[i] and text[i:end] in known for i in range(max(0, end - 6), end))
    return ok[-1]


@cache
def _char_readings(ch: str) -> tuple[str, ...]:
    return tuple(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def readings(word: str) -> list[tuple[str, ...]]:
    """Return up to MAX_READINGS toneless readings of a word, the usual one first."""
    # pypinyin departs from per-character readings only inside a phrase it knows,
    # so cached per-character readings give its answer several times faster.
    n = len(word)
    if any(word[i:j] in PHRASES_DICT for i in range(n) for j in range(i + 2, n + 1)):
        per_char = [tuple(r) for r in pinyin(word, style=Style.NORMAL, heteronym=True)]
    else:
        per_char = [_char_readings(ch) for ch in word]
    out = [r for r in islice(product(*per_char), MAX_READINGS * 2)
           if all(_LATIN.fullmatch(s) for s in r)]
    return list(dict.fromkeys(out))[:MAX_READINGS]


class Corrector:
    """Pinyin → Chinese, homophone typos and pinyin completion over one index's words."""

    def __init__(self, vocabulary: dict[str, int], index_df: IndexDf | None = None) -> None:
        """Index the pinyin of each word of a {word: document frequency} vocabulary."""
        self._df, self._index_df = vocabulary, index_df
        # Corrections trust only a word's usual reading (the others spell "change" 单个);
        # completion also offers the others, for users who read a word otherwise.
        tables: list[Entries] = [{}, {}, {}]
        by_key, by_alt, by_initials = tables
        for word, df in sorted(vocabulary.items(), key=lambda wd: (-wd[1], wd[0])):
            spelt = readings(word)  # Distinct readings, so each word enters a key once.
            for n, reading in enumerate(spelt):
                (by_alt if n else by_key).setdefault("".join(reading), []).append((word, df))
            for initials in dict.fromkeys("".join(s[0] for s in r) for r in spelt):
                by_initials.setdefault(initials, []).append((word, df))
        self._by_key = by_key
        self._tables = [(sorted(table), table) for table in tables]
        self._longest = max(map(len, by_key), default=0)
        syllables()  # Built now, so that the first pinyin query is not the slow one.

    @classmethod
    def from_reader(cls, reader, fields: Iterable[str] = ("title_words", "body_words"),
                    min_df: int = 1, max_words: int = 200_000) -> Corrector:
        """Build from a Whoosh reader's words of 2–8 ideographs with df ≥ min_df."""
        vocabulary: dict[str, int] = {}
        for field in (f for f in fields if f in reader.schema):
            counts: dict[str, int] = {}
            # Segment by segment: a MultiReader merges every term's info, ~20× slower.
            for leaf, _ in reader.leaf_readers():
                for term, info in leaf.iter_field(field):
                    word = term.decode("utf-8") if isinstance(term, bytes) else term
                    if _WORD.fullmatch(word):
                        counts[word] = counts.get(word, 0) + info.doc_frequency()
            vocabulary.update((w, df) for w, df in counts.items()
                              if df >= min_df and df > vocabulary.get(w, 0))
        if len(vocabulary) > max_words:
            # pypinyin is the build's cost: keep the words queries most likely mean.
            vocabulary = dict(heapq.nsmallest(max_words, vocabulary.items(),
                                              key=lambda wd: (-wd[1], wd[0])))
        return cls(vocabulary, lambda f, t: reader.doc_frequency(f, t) if f in reader.schema else 0)

    def __len__(self) -> int:
        """Return the number of words in the vocabulary."""
        return len(self._df)

    def correct(self, query: str) -> str | None:
        """Return the corrected query, or None when there is nothing to correct."""
        text = normalise(query)
        if _LATIN.fullmatch(_SEPARATORS.sub("", text)):
            result = self._correct_pinyin(text)
        else:  # Text without ideographs has no runs and comes back unchanged.
            chars = list(query)  # Same length as text: normalise maps char to char.
            for run in _HAN_RUN.finditer(text):
                for start, end, word in self._homophones(run.group()):
                    chars[run.start() + start:run.start() + end] = word
            result = "".join(chars)
        return result if result and result != query else None

    def complete(self, prefix: str, limit: int = 10) -> list[tuple[str, int]]:
        """Return (word, df) whose full pinyin or initials start with a Latin prefix."""
        key = _SEPARATORS.sub("", normalise(prefix))
        if not _LATIN.fullmatch(key) or limit <= 0:
            return []
        found: dict[str, int] = {}
        for keys, table in self._tables:
            for i in range(bisect_left(keys, key), len(keys)):
                if not keys[i].startswith(key):
                    break
                found.update(table[keys[i]])
        return heapq.nsmallest(limit, found.items(), key=lambda wd: (-wd[1], wd[0]))

    def _correct_pinyin(self, text: str) -> str | None:
        """Return the Chinese words that pinyin groups spell, or None."""
        groups = [g for g in _SEPARATORS.split(text) if g]
        # A Latin word the index holds is meant as typed, not as pinyin.
        latin = [bool(self._index_df and (self._index_df("title_words", g)
                                          or self._index_df("body_words", g))) for g in groups]
        bounds = {sum(map(len, groups[:i])) for i in range(1, len(groups))}
        words = None if any(latin) else self._spell("".join(groups), bounds)
        if words is not None:
            # Keep the user's spaces where they fall between words, so groups stay visible.
            starts = [0] + [end for _, end in words[:-1]]
            return "".join(" " + w if i and s in bounds else w
                           for i, ((w, _), s) in enumerate(zip(words, starts)))
        spelt = [None if is_latin else self._spell(g, set()) for g, is_latin in zip(groups, latin)]
        out = ["".join(w for w, _ in sp) if sp else g for g, sp in zip(groups, spelt)]
        return " ".join(out) if out != groups else None

    def _spell(self, text: str, bounds: set[int]) -> list[tuple[str, int]] | None:
        """Return the fewest, most frequent words (with end offsets) spelling text."""
        if not is_pinyin(text):
            return None
        n = len(text)
        # best[i]: (word count, -Σ log df, start, word) of the best spelling of text[:i].
        best: list[tuple[int, float, int, str] | None] = [(0, 0.0, 0, "")] + [None] * n
        for start in range(n):
            if (here := best[start]) is None:
                continue
            for end in range(start + 2, min(n, start + self._longest) + 1):
                if (word := self._fitting(text[start:end], start, bounds)) is None:
                    continue
                score = (here[0] + 1, here[1] - math.log1p(self._df[word]), start, word)
                if (old := best[end]) is None or score[:2] < old[:2]:
                    best[end] = score
        words: list[tuple[str, int]] = []
        pos = n
        while pos and (step := best[pos]) is not None:
            words.append((step[3], pos))
            pos = step[2]
        return words[::-1] if best[n] is not None else None

    def _fitting(self, key: str, start: int, bounds: set[int]) -> str | None:
        """Return the most frequent word read as key whose syllables honour the bounds."""
        inside = {b - start for b in bounds if start < b < start + len(key)}
        for word, _ in self._by_key.get(key, ()):
            usual = readings(word)[0]
            if inside <= {len("".join(usual[:i])) for i in range(1, len(usual))}:
                return word
        return None

    def _homophones(self, run: str) -> list[tuple[int, int, str]]:
        """Return non-overlapping (start, end, replacement) within one ideograph run."""
        tokens = [(t.startchar, t.endchar, t.text)
                  for t in JiebaTokenizer()(run, chars=True, mode="query", removestops=False)]
        trusted = [(s, e) for s, e, t in tokens if len(t) > 1 and t in self._df]
        untrusted = {i for s, e, t in tokens if (s, e) not in trusted for i in range(s, e)}
        if not untrusted:
            return []  # Every word is an indexed word: valid text is never "corrected".
        spans = {(s, e) for s, e, _ in tokens if s in untrusted and 1 < e - s <= 8}
        spans |= {(s, e) for s in range(len(run))
                  for e in range(s + 2, min(len(run), s + MAX_WINDOW) + 1)}
        found = []
        for start, end in spans:
            # A window may hold indexed words whole, never cut one, and must touch a suspect.
            if (untrusted.isdisjoint(range(start, end))
                    or any(a < start < b or a < end < b for a, b in trusted)):
                continue
            best = self._best_homophone(run[start:end])
            if best is not None:
                found.append((start - end, -best[1], start, end, best[0]))
        chosen: list[tuple[int, int, str]] = []
        for _, _, start, end, word in sorted(found):  # Longest, then most frequent, first.
            if all(end <= s or start >= e for s, e, _ in chosen):
                chosen.append((start, end, word))
        return chosen

    def _best_homophone(self, typed: str) -> tuple[str, int] | None:
        """Return the most frequent same-length homophone worth replacing typed by."""
        # A word jieba's dictionary knows is likelier meant than mistyped: count it as seen.
        known = 1 if jieba.dt.FREQ.get(typed, 0) > 0 else 0
        floor = max(1, HOMOPHONE_RATIO * max(self._df.get(typed, 0), known))
        best: tuple[str, int] | None = None
        for reading in readings(typed):
            for word, df in self._by_key.get("".join(reading), ()):
                if df < floor:
                    break
                if len(word) == len(typed) and word != typed and (best is None or df > best[1]):
                    best = (word, df)
        return None if best is None or self._run_occurs(typed) else best

    def _run_occurs(self, typed: str) -> bool:
        """Return True unless some bigram of typed is in no title and no body."""
        df = self._index_df
        return typed in self._df if df is None else all(
            df("title", typed[i:i + 2]) or df("body", typed[i:i + 2])
            for i in range(len(typed) - 1))
