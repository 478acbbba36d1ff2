"""Document numbers (发文字号) and 《title》 citations in notice text.

GB/T 9704 writes a document number as agency code + 〔year〕 + sequence + 号
(国办发〔2017〕47号). Published text also writes the brackets as [] () （） 【】 ［］,
puts 第 before the sequence, pads it with zeros, and scatters spaces; all of these are
normalised to the standard form. Matching runs on ``textnorm.normalise`` output, which
keeps every offset, so ``written`` is always the text as published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import textnorm

_OPEN, _CLOSE = "〔[(【［﹝〖", "〕])】］﹞〗"
#: Agency code, bracketed year, optional 第, sequence, 号 (on normalised text).
_NUMBER = re.compile(
    rf"(?P<agency>[\u4e00-\u9fff]{{1,12}}(?:\([\u4e00-\u9fff]{{1,3}}\)[\u4e00-\u9fff]{{1,4}})?)"
    rf"\s*[{re.escape(_OPEN)}]\s*(?P<year>\d{{4}})\s*"
    rf"[{re.escape(_CLOSE)}]\s*第?\s*(?P<seq>\d{{1,5}})\s*号")
#: Words that end the text before an agency code (根据国办发… → 国办发); the code is
#: what follows the last of them.
_LEAD_IN = re.compile(
    r"^.*(?:根据|依据|按照|依照|参照|对照|执行|贯彻|落实|转发|印发|下发|关于|现将|以及|"
    r"人民政府|政府|我院|我部|我委|我局|本院|本部|文件|通知|精神|和|及|与|或|按|以|即|见|的|是|将|经)")
#: Document numbers name an agency in a few characters; longer runs are prose.
MAX_AGENCY = 8
FIRST_YEAR, LAST_YEAR = 1949, 2099
#: How far into a body the notice's own number may stand (under the header).
OWN_NUMBER_CHARS = 300
_EXTRA_KEYS = ("文号", "发文字号", "doc_number")
_TITLE = re.compile(r"《([^《》\n]{2,60})》")


@dataclass(frozen=True)
class DocNumber:
    """One document number found in a text: as written, normalised, and where."""

    written: str
    normalised: str
    start: int
    end: int


def normalise_number(agency: str, year: str, seq: str) -> str | None:
    """Return the GB/T 9704 form of the parts, or None when they cannot be a number."""
    if not agency or not FIRST_YEAR <= int(year) <= LAST_YEAR or int(seq) == 0:
        return None
    return f"{agency}〔{int(year)}〕{int(seq)}号"


def find_numbers(text: str) -> list[DocNumber]:
    """Return every document number in a text, in order, with offsets into it."""
    norm = textnorm.normalise(text)
    found = []
    for match in _NUMBER.finditer(norm):
        agency = _LEAD_IN.sub("", match.group("agency"))
        if not agency or len(agency) > MAX_AGENCY:
            continue
        number = normalise_number(agency, match.group("year"), match.group("seq"))
        if number is None:
            continue
        start = match.end("agency") - len(agency)
        found.append(DocNumber(text[start:match.end()], number, start, match.end()))
    return found


def normalise(text: str) -> str | None:
    """Return the standard form of a text that is one document number, else None."""
    stripped = textnorm.normalise(text).strip()
    match = _NUMBER.fullmatch(stripped)
    if match is None or len(match.group("agency")) > MAX_AGENCY:
        return None
    if _LEAD_IN.sub("", match.group("agency")) != match.group("agency"):
        return None
    return normalise_number(match.group("agency"), match.group("year"), match.group("seq"))


def own_number(title: str, body: str, extra: dict | None = None) -> str | None:
    """Return a notice's own document number, or None.

    From a 文号 field of the source when it has one; else a number standing alone on
    a line near the top of the body (where GB/T 9704 puts it) or in brackets at the
    end of the title. A number cited in a sentence is never taken for the notice's own.
    """
    for key in _EXTRA_KEYS:
        value = (extra or {}).get(key)
        if isinstance(value, str) and normalise(value):
            return normalise(value)
    head = body[:OWN_NUMBER_CHARS]
    for line in head.splitlines():
        number = normalise(line)
        if number:
            return number
    match = re.search(r"[(（〔\[]([^()（）]{4,30})[)）〕\]]\s*$", title)
    if match:
        return normalise(match.group(1))
    return None


def cited_titles(body: str) -> list[str]:
    """Return the titles a body cites in 《…》, distinct, in order of first citation."""
    seen: dict[str, None] = {}
    for match in _TITLE.finditer(body):
        title = match.group(1).strip()
        if title:
            seen.setdefault(title, None)
    return list(seen)
