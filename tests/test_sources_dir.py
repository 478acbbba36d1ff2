"""Reading files and directories: order, skipped files, duplicates, missing paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.sources import Parsed, Rejected, Skipped, read_sources

PAGE = "政府信息公开\n{title}\n时间:2024-08-20 作者: 来源:办公室 点击:\n\n  正文。"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    write(root / "b.txt", PAGE.format(title="乙"))
    write(root / "a" / "z.HTML", "<h1>丙</h1><div class='content'><p>正文</p></div>")
    write(root / "a-b" / "c.txt", PAGE.format(title="丁"))
    write(root / "notes.md", "# not a notice")
    write(root / "img" / "logo.png", "png")
    write(root / ".hidden" / "x.txt", PAGE.format(title="隐藏"))
    write(root / ".DS_Store", "junk")
    write(root / "m.jsonl", json.dumps({"id": "b", "title": "重复"}, ensure_ascii=False) + "\n"
          + json.dumps({"id": "j1", "title": "戊"}, ensure_ascii=False) + "\n")
    return root


def test_directory_order_and_skipped(tree: Path) -> None:
    out = list(read_sources([tree]))
    parsed = [r for r in out if isinstance(r, Parsed)]
    assert [r.origin for r in parsed] == [
        str(tree / "a" / "z.HTML"), str(tree / "a-b" / "c.txt"), str(tree / "b.txt"),
        f"{tree / 'm.jsonl'}:2",
    ]
    assert [r.notice.id for r in parsed] == ["z", "c", "b", "j1"]
    skipped = [r.path for r in out if isinstance(r, Skipped)]
    assert skipped == [str(tree / "img" / "logo.png"), str(tree / "notes.md")]


def test_duplicate_id_names_first_source(tree: Path) -> None:
    rejected = [r for r in read_sources([tree]) if isinstance(r, Rejected)]
    assert rejected == [Rejected(f"{tree / 'm.jsonl'}:1",
                                 f"duplicate id 'b' (first seen at {tree / 'b.txt'})")]
    assert str(rejected[0]).startswith(f"{tree / 'm.jsonl'}:1: duplicate id 'b'")


def test_same_file_twice_is_a_duplicate(tree: Path) -> None:
    page = tree / "b.txt"
    out = list(read_sources([page, str(page)]))
    assert isinstance(out[0], Parsed)
    assert out[1] == Rejected(str(page), f"duplicate id 'b' (first seen at {page})")


def test_missing_path_raises_before_anything(tree: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sources([tree, tree / "missing.jsonl"])


def test_unknown_extension_given_directly(tree: Path) -> None:
    assert list(read_sources([tree / "notes.md"])) == [
        Rejected(str(tree / "notes.md"), "unsupported file type .md")]


def test_bad_content_is_rejected_not_raised(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", "")
    (tmp_path / "latin1.txt").write_bytes("政府信息公开".encode("gb18030"))
    write(tmp_path / "notitle.html", "<p>正文</p>")
    out = list(read_sources([tmp_path]))
    assert [type(r) for r in out] == [Rejected, Rejected, Rejected]
    assert "UTF-8" in out[1].reason
