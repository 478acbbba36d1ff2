"""Document numbers (发文字号) and 《title》 citations in notice text.

GB/T 9704 writes a document number as agency code + 〔year〕 + sequence + 号
(国办发〔2017〕47号). Published text also writes the brackets as [] () （） 【】 ［］ ﹝﹞,
puts 第 before the sequence, pads it with zeros, scatters spaces and uses full-width
digits; all of these normalise to the standard form. Matching runs on
``textnorm.normalise`` output, which keeps every offset, so ``written`` is always the
text as published.

Out of scope, on purpose: order numbers without a year (公安部令第104号), two-digit
years (〔94〕财税字第089号) and years written with 年 (2006年1718号决议 is a UN resolution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import textnorm
from .versions import title_key as title_key  # one title key for the whole service

__all__ = ["DocNumber", "normalise", "looks_like_number", "find_numbers", "own_number",
           "cited_numbers", "cited_titles", "title_key"]

_HAN = "\u4e00-\u9fff\u3400-\u4dbf"
_OPEN, _CLOSE = "〔[(【﹝〖", "〕])】﹞〗"  # after textnorm: （［ are already ( [
#: Bracketed four-digit year, optional 第, sequence, 号: the part no prose imitates.
#: Spaces only, never a line break: textnorm has made every other space an ASCII one.
_CORE = re.compile(
    rf" *[{re.escape(_OPEN)}] *(?P<year>[0-9]{{4}}) *[{re.escape(_CLOSE)}]"
    r" *第? *(?P<seq>[0-9]{1,5}) *号")
#: The agency code ends where the core starts: a run of characters, or a short code
#: with a bracketed part such as 法(研)发 that starts after a non-Han character.
_AGENCY = re.compile(
    rf"(?:(?<![{_HAN}])[{_HAN}]{{1,3}}\([{_HAN}]{{1,3}}\)[{_HAN}]{{1,4}}|[{_HAN}]+)$")
#: Words that end the prose before an agency code (根据国办发…, 市人民政府京政发…); the
#: code is what follows the last of them. Single characters only where no code uses them.
_LEAD_IN = re.compile(
    r"^.*(?:根据|依据|按照|依照|参照|遵照|对照|执行|贯彻|落实|转发|印发|下发|关于|现将|"
    r"以及|人民政府|政府|国务院|办公厅|办公室|委员会|总局|省委|市委|县委|区委|法院|检察院|"
    r"我院|我部|我委|我局|本院|你院|文件|通知|精神|年|月|日|号|和|及|与|或|并|等|又|据|依|"
    r"照|按|以|由|从|对|向|把|被|即|见|了|的|是|将|在|为)")
#: Agency codes are short (国发, 法释, 辽委巡办字, 高检发释字); a longer run is prose.
MAX_AGENCY = 8
FIRST_YEAR, LAST_YEAR = 1949, 2099
#: How far into a body the line with the notice's own number may start (under the header).
OWN_NUMBER_CHARS = 200
#: Keys of Notice.extra that hold the notice's own number.
EXTRA_KEYS = ("文号", "发文字号", "doc_number", "document_number")
#: Citations longer than this are prose caught between stray brackets; real law
#: titles of the corpus run to 74 characters.
MAX_TITLE = 80
_TITLE = re.compile(rf"《([^《》\n]{{1,{MAX_TITLE}}})》")
_SIGNER = re.compile(r"\s+签发人[:：].*$")
#: Spaces and the zero-width characters that scraped lines carry.
_STRIP = " \t\r\n\u200b\u200c\u200d\u2060"


@dataclass(frozen=True)
class DocNumber:
    """One document number found in a text: as written, normalised, and where."""

    written: str
    normalised: str
    start: int
    end: int


def find_numbers(text: str) -> list[DocNumber]:
    """Return every document number in a text, in order, with offsets into it.

    Every occurrence is returned, repeats included; callers dedupe.
    """
    if "号" not in text and "號" not in text:
        return []  # most texts: skip normalising them
    norm = textnorm.normalise(text)
    found = []
    for core in _CORE.finditer(norm):
        year, seq = int(core.group("year")), int(core.group("seq"))
        if not FIRST_YEAR <= year <= LAST_YEAR or seq == 0:
            continue
        window = norm[max(0, core.start() - 60):core.start()]
        match = _AGENCY.search(window)
        agency = _LEAD_IN.sub("", match.group()) if match else ""
        if not agency or len(agency) > MAX_AGENCY:
            continue
        start = core.start() - len(agency)
        code = agency.replace("(", "（").replace(")", "）")  # 法（研）发, as GB/T 9704 writes it
        found.append(DocNumber(text[start:core.end()], f"{code}〔{year}〕{seq}号",
                               start, core.end()))
    return found


def normalise(text: str) -> str | None:
    """Return the GB/T 9704 form of a text that is one document number, else None.

    ``normalise("国办发[2017]第047号")`` is ``"国办发〔2017〕47号"``; a number with
    anything around it (根据…, …文件) is not one document number.
    """
    stripped = textnorm.normalise(text).strip(_STRIP)
    found = find_numbers(stripped)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(stripped):
        return found[0].normalised
    return None


def looks_like_number(query: str) -> bool:
    """Return True when a search query is a document number in any spelling."""
    return normalise(query) is not None


def own_number(title: str, body: str, extra: dict | None = None) -> str | None:
    """Return a notice's own document number, or None.

    From a 文号 field of the source when it holds one; else a number standing alone on
    a line near the top of the body (where GB/T 9704 puts it, perhaps with 签发人 on the
    same line); else a number in brackets ending the title, unless it follows a cited
    《title》. A number cited in a sentence is never taken for the notice's own.
    """
    for key in EXTRA_KEYS:
        value = (extra or {}).get(key)
        number = normalise(value) if isinstance(value, str) else None
        if number:
            return number
    offset = 0
    for line in body.splitlines(keepends=True):
        if offset >= OWN_NUMBER_CHARS:
            break
        number = normalise(_SIGNER.sub("", textnorm.normalise(line).strip()))
        if number:
            return number
        offset += len(line)
    numbers = find_numbers(title)
    if numbers:
        norm_title, last = textnorm.normalise(title), numbers[-1]
        before = norm_title[:last.start].rstrip()
        if (before.endswith(("(", "[", "〔")) and not before[:-1].rstrip().endswith("》")
                and norm_title[last.end:].strip() in (")", "]", "〕")):
            return last.normalised
    return None


def cited_numbers(title: str, body: str, own: str | None) -> list[str]:
    """Return the normalised numbers a notice cites: all found, own excluded, in order."""
    seen: dict[str, None] = {}
    for found in find_numbers(title) + find_numbers(body):
        if found.normalised != own:
            seen.setdefault(found.normalised, None)
    return list(seen)


def cited_titles(body: str) -> list[str]:
    """Return the titles a body cites in 《…》, stripped, distinct, in order of first citation."""
    seen: dict[str, None] = {}
    for match in _TITLE.finditer(body):
        title = match.group(1).strip(_STRIP + textnorm.SPACES)
        if title:
            seen.setdefault(title, None)
    return list(seen)
