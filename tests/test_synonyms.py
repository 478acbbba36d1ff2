"""Query-time synonyms: the file format, the lookups, hot reloading, and every real group."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from search_service.synonyms import SynonymError, SynonymTable, SynonymWatcher
from search_service.textnorm import is_han, normalise

from .conftest import REPO

SYNONYMS = REPO / "index" / "synonyms.txt"
TEXT = SYNONYMS.read_text(encoding="utf-8")
TABLE = SynonymTable.parse(TEXT, source=str(SYNONYMS))
#: The real file's group lines as (line number, members, reason).
LINES = [
    (number, tuple(m.strip() for m in re.split("[,，、]", normalise(line).partition("#")[0])),
     line.partition("#")[2].strip())
    for number, line in enumerate(TEXT.splitlines(), 1)
    if line.strip() and not line.lstrip().startswith("#")
]


# --- the format ------------------------------------------------------------------------


def test_parse_reads_groups_in_file_order_and_skips_comments() -> None:
    table = SynonymTable.parse(
        "# a comment\n\n  # an indented comment\n"
        "低保, 最低生活保障 # 《社会救助暂行办法》\n"
        "公积金，住房公积金 # full-width comma\n"
        "驾照、驾驶证、机动车驾驶证 # 顿号\n"
        "ＧＤＰ ,  国内生产总值   # full-width letters, spaces\n")
    assert table.groups == (
        ("低保", "最低生活保障"),
        ("公积金", "住房公积金"),
        ("驾照", "驾驶证", "机动车驾驶证"),
        ("gdp", "国内生产总值"),
    )


def test_parse_accepts_a_full_width_hash_and_an_empty_text() -> None:
    assert SynonymTable.parse("医保, 基本医疗保险 ＃ 《社会保险法》\n").groups == (
        ("医保", "基本医疗保险"),)
    assert SynonymTable.parse("").groups == ()
    assert SynonymTable.parse("\ufeff# only comments\n").groups == ()


@pytest.mark.parametrize(("line", "reason"), [
    ("低保, 最低生活保障", "needs a '# source or reason' comment"),
    ("低保, 最低生活保障 #   ", "needs a '# source or reason' comment"),
    ("低保 # alone", "at least two members"),
    ("低保, , 最低生活保障 # x", "empty member"),
    ("低保, 最低生活保障, # x", "empty member"),
    ("、低保, 最低生活保障 # x", "empty member"),
    ("GDP, 国内生产总值, ｇｄｐ # x", "'gdp' appears twice"),
    ("房, 住房 # x", "'房' is a single character"),
], ids=["no-reason", "blank-reason", "one-member", "double-separator", "trailing-separator",
        "leading-separator", "duplicate-after-normalising", "single-character"])
def test_parse_errors_name_the_source_and_line(line: str, reason: str) -> None:
    text = "# header\n医保, 基本医疗保险 # ok\n\n" + line + "\n社保, 社会保险 # ok\n"
    with pytest.raises(SynonymError) as caught:
        SynonymTable.parse(text, source="index/synonyms.txt")
    message = str(caught.value)
    assert message.startswith("index/synonyms.txt:4: ")
    assert reason in message


def test_load_missing_file_is_an_empty_table(tmp_path: Path) -> None:
    assert SynonymTable.load(tmp_path / "nothing.txt").groups == ()


def test_load_names_the_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_bytes("医保, 基本医疗保险 # ok\n".encode() + "低保, 最低生活保障 # x\n".encode("gbk"))
    with pytest.raises(SynonymError, match=rf"^{re.escape(str(path))}:2: not UTF-8"):
        SynonymTable.load(path)


# --- the lookups -----------------------------------------------------------------------

SMALL = SynonymTable.parse(
    "驾照, 驾驶证, 机动车驾驶证 # a\n"
    "GDP, 国内生产总值 # b\n"
    "户口本, 户口簿 # c\n"
    "户口簿, 居民户口簿, 户口本 # d: shares two members with c\n")


@pytest.mark.parametrize(("part", "expected"), [
    ("驾照", ["驾驶证", "机动车驾驶证"]),
    ("驾驶证", ["驾照", "机动车驾驶证"]),
    ("机动车驾驶证", ["驾照", "驾驶证"]),
    ("  ＧＤＰ ", ["国内生产总值"]),
    ("gdp", ["国内生产总值"]),
    ("国内生产总值", ["gdp"]),
    ("户口本", ["户口簿", "居民户口簿"]),
    ("居民户口簿", ["户口簿", "户口本"]),
    ("驾照考试", []),
    ("驾", []),
    ("", []),
    ("医保", []),
])
def test_alternatives_are_the_other_members_in_file_order(part: str, expected: list[str]) -> None:
    assert SMALL.alternatives(part) == expected


def test_an_empty_table_has_no_alternatives() -> None:
    assert SynonymTable().alternatives("低保") == []


# --- hot reloading ---------------------------------------------------------------------


def _write(path: Path, text: str, bump: int) -> None:
    """Write text and move the mtime on, so a coarse clock cannot hide the edit."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_the_watcher_picks_up_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    _write(path, "低保, 最低生活保障 # a\n", 0)
    watcher = SynonymWatcher(path, interval=0)
    assert watcher.table().alternatives("低保") == ["最低生活保障"]
    _write(path, "医保, 基本医疗保险 # b\n", 1)
    table = watcher.table()
    assert table.alternatives("医保") == ["基本医疗保险"]
    assert table.alternatives("低保") == []


def test_a_file_created_later_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    watcher = SynonymWatcher(path, interval=0)
    assert watcher.table().groups == ()
    _write(path, "社保, 社会保险 # a\n", 0)
    assert watcher.table().alternatives("社保") == ["社会保险"]


def test_a_broken_edit_keeps_the_previous_table(tmp_path: Path, caplog) -> None:
    path = tmp_path / "synonyms.txt"
    _write(path, "低保, 最低生活保障 # a\n", 0)
    watcher = SynonymWatcher(path, interval=0)
    before = watcher.table()
    with caplog.at_level(logging.WARNING, logger="search_service.synonyms"):
        _write(path, "低保, 最低生活保障 # a\n医保, 基本医疗保险\n", 1)
        assert watcher.table() is before
        assert watcher.table() is before
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # reported once, not on every check
    assert f"{path}:2: " in warnings[0].getMessage()
    _write(path, "低保, 最低生活保障 # a\n医保, 基本医疗保险 # fixed\n", 2)
    assert watcher.table().alternatives("医保") == ["基本医疗保险"]


def test_a_broken_file_at_start_serves_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    _write(path, "低保 # one member\n", 0)
    assert SynonymWatcher(path, interval=0).table().groups == ()


def test_the_watcher_checks_at_most_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    _write(path, "低保, 最低生活保障 # a\n", 0)
    watcher = SynonymWatcher(path, interval=3600)
    _write(path, "医保, 基本医疗保险 # b\n", 1)
    assert watcher.table().alternatives("低保") == ["最低生活保障"]


# --- the real file: a test for every group ---------------------------------------------


def _full_width(text: str) -> str:
    """Return text with its printable ASCII as the full-width forms people paste."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_the_real_file_has_enough_groups_and_says_how_many() -> None:
    assert len(TABLE.groups) >= 110
    assert len(LINES) == len(TABLE.groups)
    assert f"of the {len(TABLE.groups)} groups" in TEXT


def test_no_member_is_in_two_groups() -> None:
    counts = Counter(m for group in TABLE.groups for m in group)
    assert [m for m, n in counts.items() if n > 1] == []


@pytest.mark.parametrize(("number", "members", "reason"), LINES, ids=[g[1][0] for g in LINES])
def test_group(number: int, members: tuple[str, ...], reason: str) -> None:
    assert reason, f"line {number}: no source or reason"
    assert members in TABLE.groups
    for member in members:
        assert len(member) > 1, f"line {number}: {member!r} is a single character"
        others = [m for m in members if m != member]
        assert TABLE.alternatives(member) == others
        # Upper-case and full-width spellings of the member find the same group.
        assert TABLE.alternatives(member.upper()) == others
        assert TABLE.alternatives(_full_width(member.upper())) == others


# --- the corpus ------------------------------------------------------------------------

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@pytest.mark.corpus
def test_the_header_counts_the_groups_found_in_the_corpus(corpus_dir: Path) -> None:
    """A Chinese member is found as a run of characters, a Latin one as a whole word."""
    raw = (corpus_dir / "notices.jsonl").read_bytes().decode("utf-8")
    han = {m for group in TABLE.groups for m in group if any(is_han(c) for c in m)}
    # Only runs of characters that occur in some member can hold one: search those.
    chars = re.escape("".join(sorted({c for m in han for c in m})))
    runs = "\x00".join(re.findall(f"[{chars}]{{2,}}", raw))
    words = {normalise(w) for w in set(re.findall(f"[^\\W{_HAN}_]+", raw))}

    def found(member: str) -> bool:
        if member in han:
            return member in runs
        latin = re.findall(r"[^\W_]+", member)
        if not all(w in words for w in latin):
            return False
        return len(latin) == 1 or re.search(re.escape(member), raw, re.IGNORECASE) is not None

    # Chinese members first: they are cheaper to look for.
    present = sum(any(found(m) for m in sorted(group, key=lambda m: m not in han))
                  for group in TABLE.groups)
    assert f"# {present} of the {len(TABLE.groups)} groups have at least one member" in TEXT
