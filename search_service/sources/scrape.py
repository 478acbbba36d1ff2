"""The page-scrape text of a 政府信息公开 page (header, title, metadata line, chrome, body)."""

from __future__ import annotations

import re
from typing import Any

from search_service.errors import SourceError
from search_service.notice import Notice
from search_service.sources.dates import normalise_date

HEADER = "政府信息公开"

#: The indentation a page puts before a paragraph: ASCII spaces and tabs, the
#: ideographic space U+3000 and NBSP. Other spaces (U+2003 ...) are text.
INDENT = " \t\u3000\u00a0"

# Labels longest first, so 发布时间 is not read as 时间 with a stray 发布 in front.
_LABELS = {
    "发布时间": "date", "发布日期": "date", "成文日期": "date", "时间": "date", "日期": "date",
    "作者": "author", "发布机构": "department", "信息来源": "department",
    "来源": "department", "点击数": "clicks", "点击": "clicks", "浏览次数": "clicks",
    "阅读次数": "clicks",
}
_LABEL_RE = re.compile(
    "(" + "|".join(sorted(_LABELS, key=len, reverse=True)) + r")[ \t\u00a0\u3000]*[:：]"
)

# Page chrome seen between the metadata line and the body: the font-size
# switch, print and close links, share bars.
_CHROME_RE = re.compile(r"^[【\[]?(字号|字体|打印本页|【?打印|关闭窗口|分享到|收藏本页)")


def split_metadata(line: str, anywhere: bool = False) -> dict[str, str | None] | None:
    """Return the fields of a `时间:… 作者:… 来源:… 点击:…` line, or None if it is not one."""
    text = line.strip(INDENT + "\r\n\ufeff")
    matches = list(_LABEL_RE.finditer(text))
    # A scrape line must start with a label; an HTML block may lead with other text.
    if not matches or (matches[0].start() != 0 and not anywhere):
        return None
    fields: dict[str, str | None] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[match.end():end].strip(INDENT + "\r\n")
        # The first label of a kind wins: a later 日期 must not override 时间.
        fields.setdefault(_LABELS[match.group(1)], value or None)
    return fields


def is_chrome(line: str) -> bool:
    """Return True for page chrome such as `字号: … 打印本页`."""
    text = line.strip(INDENT + "\r\n")
    return bool(_CHROME_RE.match(text)) or text.endswith("打印本页")


def clicks_value(value: str | None) -> int | str | None:
    """Return a 点击 count as an int when numeric, else the text as given."""
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() else value


def notice_fields(fields: dict[str, str | None]) -> dict[str, Any]:
    """Return Notice keyword arguments (date normalised) and extra from metadata fields."""
    out: dict[str, Any] = {
        "date": normalise_date(fields.get("date")),
        "author": fields.get("author"),
        "department": fields.get("department"),
        "extra": {},
    }
    clicks = clicks_value(fields.get("clicks"))
    if clicks is not None:
        out["extra"]["clicks"] = clicks
    return out


def _lines(text: str) -> list[str]:
    """Return the lines of text, without a BOM and with any line ending."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # Only \r\n, \r and \n end a line; str.splitlines would also split on U+2028 etc.
    return re.split(r"\r\n|\r|\n", text)


def _is_blank(line: str) -> bool:
    return not line.strip(INDENT + "\r\n")


def _take_title(lines: list[str], pos: int) -> tuple[str | None, int]:
    """Return the title and the index after it, skipping blanks and the header."""
    while pos < len(lines) and _is_blank(lines[pos]):
        pos += 1
    if pos < len(lines) and lines[pos].strip(INDENT) == HEADER:
        pos += 1
        while pos < len(lines) and _is_blank(lines[pos]):
            pos += 1
    if pos >= len(lines):
        return None, pos
    line = lines[pos]
    if split_metadata(line) is not None or is_chrome(line):
        return None, pos
    return line.strip(INDENT + "\r\n"), pos + 1


def _take_metadata(lines: list[str], pos: int) -> tuple[dict[str, str | None] | None, int]:
    """Return the metadata fields after the title (or None) and the index where the body starts."""
    fields = None
    while pos < len(lines):
        line = lines[pos]
        if _is_blank(line) or is_chrome(line):
            pos += 1
        elif fields is None and (found := split_metadata(line)) is not None:
            fields = found
            pos += 1
        else:
            break
    return fields, pos


def parse_scrape(text: str, notice_id: str) -> Notice:
    """Return the notice in a page-scrape text; raise SourceError when it has no title."""
    lines = _lines(text)
    title, pos = _take_title(lines, 0)
    if not title:
        raise SourceError("no title line")
    fields, pos = _take_metadata(lines, pos)
    # Each non-blank line is a paragraph; the blank lines between them only separate.
    paragraphs = [line.lstrip(INDENT) for line in lines[pos:] if not _is_blank(line)]
    if fields is None and not paragraphs:
        raise SourceError("no metadata line and no body")
    kwargs = notice_fields(fields or {})
    return Notice(id=notice_id, title=title, body="\n".join(paragraphs), **kwargs)
