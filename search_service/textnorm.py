"""Character normalisation shared by indexing, querying and highlighting.

Every mapping here is one character to one character, so an offset into the
normalised text is the same offset into the original: highlights computed on
normalised text land on the original characters.

Traditional characters fold to simplified ones character by character, with the
single-character conversions of OpenCC's ``t2s`` (phrase conversions that change
length are not usable here). A few characters that are also valid simplified
characters fold too (乾→干, 於→于, 後→后, 麵→面 …): harmless, because the same fold
runs on the indexed text and on the query. An OpenCC upgrade that changes
this table needs a reindex.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters that real scrapes use as spaces: NBSP, ideographic space, the
#: typographic spaces, zero-width no-break space, narrow NBSP, medium math space.
SPACES = "\u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u202f\u205f\ufeff\t\r\x0b\x0c"


#: The ranges converted with OpenCC: CJK Extension A, the unified ideographs and
#: the compatibility ideographs (豈 U+F900 → 岂, 更 U+F901 → 更 U+66F4 …).
T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _generate_t2s_table() -> dict[int, str]:
    """Return {code point: simplified character} from OpenCC t2s, one character at a time."""
    import opencc  # a declared dependency: fail loudly rather than index without the fold

    converter = opencc.OpenCC("t2s.json")
    table: dict[int, str] = {}
    for first, last in T2S_RANGES:
        for code in range(first, last + 1):
            simp = converter.convert(chr(code))
            if len(simp) == 1 and simp != chr(code):
                table[code] = simp
    # Follow chains (薴→苧→苎) to the end, so that normalise is idempotent.
    for code, simp in table.items():
        seen = {code}
        while ord(simp) in table and ord(simp) not in seen:
            seen.add(ord(simp))
            simp = table[ord(simp)]
        table[code] = simp
    return table


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in SPACES:
        table[ord(ch)] = " "
    # Full-width ASCII variants (！ to ～) and their half-width forms.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    # Latin, Greek and Cyrillic case folding where it stays one character.
    for code in range(0x41, 0x2000):
        ch = chr(code if code not in table else ord(table[code]))
        lower = ch.lower()
        if lower != ch and len(lower) == 1:
            table[code] = lower
    for code in range(0xFF21, 0xFF3B):  # full-width A-Z straight to a-z
        table[code] = chr(code - 0xFEE0).lower()
    table.update(_generate_t2s_table())
    return table


_TABLE = _build_table()


def _runs_pattern(table: dict[int, str]) -> re.Pattern[str]:
    """Return a pattern matching runs of the characters that the table maps."""
    ranges: list[list[int]] = []
    for code in sorted(table):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
             for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]+")


_MAPPED = _runs_pattern(_TABLE)

#: The full-width marks of nearly every run in a Chinese body (，alone is ~70% of them),
#: folded with str.replace first: a C scan each, where `sub` calls `_fold` once a run.
_COMMON = tuple((ch, _TABLE[ord(ch)]) for ch in "，：？！；（）")


def _fold(match: re.Match[str]) -> str:
    return match.group().translate(_TABLE)


def normalise(text: str) -> str:
    """Return text with width, space, case and traditional/simplified variants folded.

    The length is unchanged: character i of the result comes from character i of text.
    """
    # The same as text.translate(_TABLE), ~6× faster on a long notice's body: translate
    # looks every character up in the dict; this only the runs that change, once the
    # common marks are folded.
    for ch, folded in _COMMON:
        text = text.replace(ch, folded)
    return _MAPPED.sub(_fold, text)


def is_han(ch: str) -> bool:
    """Return True for a CJK ideograph (the characters jieba and the n-grams work on)."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or code == 0x3007  # 〇, the ideographic zero in dates
    )


def is_word_char(ch: str) -> bool:
    """Return True for letters and digits outside the CJK ideographs."""
    return ch.isalnum() and not is_han(ch)


def is_space(ch: str) -> bool:
    """Return True for any kind of space, NBSP and ideographic space included."""
    return ch.isspace() or unicodedata.category(ch) == "Zs"


def collapse_spaces(text: str) -> str:
    """Return text with every run of space variants as one ASCII space, stripped."""
    return " ".join(normalise(text).split())
