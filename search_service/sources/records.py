"""Notice records in JSON Lines, JSON and CSV files.

Each reader yields ``(line, result)`` pairs, where result is a Notice or the
SourceError that rejects that record, and line is where the record starts:

- JSONL: the 1-based physical line; blank lines are skipped.
- JSON: None for a single top-level object; for an array, the physical line on
  which each element starts (so ``PATH:LINE`` points into the file in both cases).
- CSV: the physical line on which the record starts; the header is line 1 (a
  quoted body with newlines makes a record span several lines).

A bad record rejects that record only. A file that is not valid UTF-8 is one
rejection with line None, yielded before any record.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from search_service.errors import SourceError
from search_service.notice import Notice, derived_id
from search_service.sources.dates import normalise_date

Result = tuple[int | None, Notice | SourceError]
_OPTIONAL = ("department", "author", "url")
_KNOWN = {"id", "title", "date", "department", "author", "url", "body"}


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    """Return a stripped optional string field, None when absent or empty."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceError(f"field '{key}' must be a string or null, not {type(value).__name__}")
    return value.strip() or None


def _body(value: Any) -> str:
    """Return a body given as a string or a list of paragraph strings."""
    if value is None:
        return ""
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise SourceError("field 'body' must be a string, a list of strings or null")
        value = "\n".join(value)
    if not isinstance(value, str):
        raise SourceError(f"field 'body' must be a string, a list of strings or null, "
                          f"not {type(value).__name__}")
    # CSV and Windows editors bring \r\n; the contract separates paragraphs by \n.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _record_id(value: Any) -> str | None:
    """Return an id given as a string or an integer, None when absent or empty."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise SourceError(f"field 'id' must be a string, a number or null, "
                          f"not {type(value).__name__}")
    return value.strip() or None


def notice_from_mapping(data: Any) -> Notice:
    """Return the notice a JSON or CSV record describes; raise SourceError when it is unusable."""
    if not isinstance(data, dict):
        raise SourceError(f"record is a JSON {type(data).__name__}, not an object")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise SourceError(f"field 'title' must be a string, not {type(title).__name__}")
    if not title or not title.strip():
        raise SourceError("missing title")
    date = data.get("date")
    if date is not None and not isinstance(date, str):
        raise SourceError(f"field 'date' must be a string or null, not {type(date).__name__}")
    fields = {key: _optional_text(data, key) for key in _OPTIONAL}
    notice = Notice(
        id="",
        title=title.strip(),
        date=normalise_date(date),
        body=_body(data.get("body")),
        extra={key: value for key, value in data.items() if key not in _KNOWN},
        **fields,
    )
    notice.id = _record_id(data.get("id")) or derived_id(
        notice.url, notice.title, notice.date, notice.department)
    return notice


def _result(data: Any, line: int | None) -> Result:
    try:
        return line, notice_from_mapping(data)
    except SourceError as error:
        return line, SourceError(error.reason, line)


def _utf8_error(path: str | os.PathLike[str]) -> SourceError | None:
    """Return the rejection of a file that is not valid UTF-8, else None; reads in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return SourceError(f"not valid UTF-8 (byte offset {offset + error.start})")
            if not chunk:
                return None
            offset += len(chunk)


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Result]:
    """Yield one result per non-blank line of a JSON Lines file."""
    if (error := _utf8_error(path)) is not None:
        yield None, error
        return
    with open(path, encoding="utf-8-sig", newline=None) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, SourceError(f"malformed JSON: {exc.msg} (column {exc.colno})",
                                          number)
                continue
            except RecursionError:
                yield number, SourceError("malformed JSON: nested too deeply", number)
                continue
            yield _result(data, number)


def _array_lines(text: str) -> Iterator[int]:
    """Yield the physical line on which each element of a valid top-level JSON array starts."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1, 0
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        yield line
        _, pos = decoder.raw_decode(text, pos)


def read_json(path: str | os.PathLike[str]) -> Iterator[Result]:
    """Yield the result for a JSON file holding one notice object or an array of them."""
    if (error := _utf8_error(path)) is not None:
        yield None, error
        return
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield exc.lineno, SourceError(f"malformed JSON: {exc.msg} (column {exc.colno})",
                                      exc.lineno)
        return
    except RecursionError:
        yield None, SourceError("malformed JSON: nested too deeply")
        return
    if not isinstance(data, list):
        yield _result(data, None)
        return
    for item, line in zip(data, _array_lines(text), strict=True):
        yield _result(item, line)


def _header(row: list[str]) -> list[str]:
    """Return the CSV header names, stripped, with known keys matched case-insensitively."""
    names = [name.strip() for name in row]
    return [name.lower() if name.lower() in _KNOWN else name for name in names]


def read_csv(path: str | os.PathLike[str]) -> Iterator[Result]:
    """Yield one result per record of a UTF-8 CSV file whose header row names the keys."""
    if (error := _utf8_error(path)) is not None:
        yield None, error
        return
    # Law bodies exceed the csv module's default 128 KiB field limit.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        previous = 0
        try:
            for row in reader:
                start, previous = previous + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if header is None:
                    header = _header(row)
                    continue
                if len(row) > len(header):
                    yield start, SourceError(
                        f"{len(row)} fields but the header names {len(header)}", start)
                    continue
                yield _result(dict(zip(header, row)), start)
        except csv.Error as exc:
            yield previous + 1, SourceError(f"malformed CSV: {exc}", previous + 1)
