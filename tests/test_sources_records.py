"""JSON Lines, JSON and CSV records, and the date forms they may carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.errors import SourceError
from search_service.notice import Notice, derived_id
from search_service.sources.dates import normalise_date
from search_service.sources.records import notice_from_mapping, read_csv, read_json, read_jsonl

GOOD = {"id": "a1", "title": "通知一", "date": "2024-08-20", "department": "办公室",
        "author": None, "url": None, "body": "第一段\n第二段"}


def results(reader, path: Path) -> list[tuple[int | None, Notice | SourceError]]:
    return list(reader(path))


def test_jsonl_bad_line_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    lines = [json.dumps(GOOD, ensure_ascii=False), "{not json", "",
             json.dumps({"id": "a3", "title": "通知三", "body": ["甲", "乙"]}, ensure_ascii=False),
             json.dumps(["not", "an", "object"]),
             json.dumps({"id": "a6", "title": "   "}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = results(read_jsonl, path)
    assert [line for line, _ in out] == [1, 2, 4, 5, 6]
    assert isinstance(out[0][1], Notice) and out[0][1].to_dict() == GOOD
    assert isinstance(out[1][1], SourceError) and out[1][1].line == 2
    assert "malformed JSON" in out[1][1].reason
    assert isinstance(out[2][1], Notice) and out[2][1].body == "甲\n乙"
    assert isinstance(out[3][1], SourceError) and "not an object" in out[3][1].reason
    assert isinstance(out[4][1], SourceError) and out[4][1].reason == "missing title"


def test_json_object(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(GOOD, ensure_ascii=False, indent=2), encoding="utf-8")
    [(line, notice)] = results(read_json, path)
    assert line is None
    assert isinstance(notice, Notice) and notice.to_dict() == GOOD


def test_json_array_reports_element_lines(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    records = [GOOD, {"title": "无编号", "date": "bad"}, {**GOOD, "id": 7, "extra_key": [1]}]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    out = results(read_json, path)
    assert [line for line, _ in out] == [2, 11, 15]
    assert isinstance(out[1][1], SourceError) and out[1][1].reason == "unrecognised date 'bad'"
    third = out[2][1]
    assert isinstance(third, Notice)
    assert third.id == "7" and third.extra == {"extra_key": [1]}


def test_json_malformed_file_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"title": "x"},\n{oops}\n]', encoding="utf-8")
    [(line, error)] = results(read_json, path)
    assert line == 3 and isinstance(error, SourceError)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_csv_with_and_without_bom(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "n.csv"
    text = ("id,title,date,department,author,url,body\r\n"
            "c1,通知一,2024/8/20,办公室,,,第一段\r\n"
            "c2,通知二,,,,,\r\n")
    path.write_bytes(bom + text.encode("utf-8"))
    out = results(read_csv, path)
    assert [line for line, _ in out] == [2, 3]
    first, second = out[0][1], out[1][1]
    assert isinstance(first, Notice) and first.id == "c1"
    assert first.to_dict() == {"id": "c1", "title": "通知一", "date": "2024-08-20",
                               "department": "办公室", "author": None, "url": None,
                               "body": "第一段"}
    assert isinstance(second, Notice) and second.date is None and second.department is None


def test_csv_quoted_commas_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text('title,body,文号\n'
                    '"通知,带逗号","第一段，含逗号,半角\n第二段\n第三段",〔2024〕1号\n'
                    '通知二,正文,\n', encoding="utf-8")
    out = results(read_csv, path)
    # The second record starts on line 5: the first spans lines 2 to 4.
    assert [line for line, _ in out] == [2, 5]
    first = out[0][1]
    assert isinstance(first, Notice)
    assert first.title == "通知,带逗号"
    assert first.body == "第一段，含逗号,半角\n第二段\n第三段"
    assert first.extra == {"文号": "〔2024〕1号"}


def test_csv_bad_record_does_not_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("title,date\n通知一,2024-13-01\n通知二,2024-12-01\n", encoding="utf-8")
    out = results(read_csv, path)
    assert isinstance(out[0][1], SourceError) and out[0][1].line == 2
    assert isinstance(out[1][1], Notice) and out[1][1].date == "2024-12-01"


def test_invalid_utf8_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"title": "\xff"}\n')
    [(line, error)] = results(read_jsonl, path)
    assert line is None and isinstance(error, SourceError) and "UTF-8" in error.reason


def test_derived_ids_stable(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    rows = [{"title": "无编号", "date": "2024年8月20日", "department": "办公室"},
            {"title": "有网址", "url": "https://example.gov.cn/1.html"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    first = [n.id for _, n in read_jsonl(path)]
    second = [n.id for _, n in read_jsonl(path)]
    assert first == second
    assert first == [derived_id(None, "无编号", "2024-08-20", "办公室"),
                     derived_id("https://example.gov.cn/1.html", "有网址", None, None)]
    assert first[0].startswith("rec-") and first[1].startswith("url-")


def test_mapping_types() -> None:
    with pytest.raises(SourceError, match="'author' must be a string or null"):
        notice_from_mapping({"title": "x", "author": 3})
    with pytest.raises(SourceError, match="missing title"):
        notice_from_mapping({"id": "x", "body": "正文"})
    notice = notice_from_mapping({"title": " 标题 ", "department": "", "url": "  "})
    assert (notice.title, notice.department, notice.url) == ("标题", None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-20", "2024-08-20"),  # ISO
        ("2024年8月20日", "2024-08-20"),  # Chinese, no zero padding
        ("2024/8/20", "2024-08-20"),  # slashes
        ("2024.08.20", "2024-08-20"),  # dots
        ("2024-8-2", "2024-08-02"),  # single-digit month and day
        ("２０２４－０８－２０", "2024-08-20"),  # full-width digits and hyphens
        ("2024-08-20 10:30", "2024-08-20"),  # with a time
        ("2024-08-20T10:30:00", "2024-08-20"),  # ISO date-time
        ("2024年8月20日 10:30", "2024-08-20"),  # Chinese with a time
        ("\u00a0 2024-08-20\u3000", "2024-08-20"),  # NBSP and ideographic spaces around
        ("", None),  # empty
        ("  ", None),  # whitespace only
        (None, None),  # null
    ],
)
def test_date_forms(value: str | None, expected: str | None) -> None:
    assert normalise_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30",  # no such day
        "2024-13-01",  # no such month
        "2024-08/20",  # mixed separators
        "20240820",  # compact form is not accepted
        "上周五",  # not a date
        "2024-08-20 later",  # trailing text
    ],
)
def test_bad_date_rejected(value: str) -> None:
    with pytest.raises(SourceError, match="unrecognised date"):
        normalise_date(value)
    with pytest.raises(SourceError, match="unrecognised date"):
        notice_from_mapping({"title": "x", "date": value})
