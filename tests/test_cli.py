"""The command line in process: output, summaries, prune, rollback and exit statuses."""

from __future__ import annotations

import json
import shutil

import pytest

from search_service.cli import main
from search_service.store import IndexHome

from .conftest import SAMPLES, SMALL


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def index_dir(tmp_path):
    return str(tmp_path / "index")


def test_index_json_summary_and_progress_on_stderr(capsys, index_dir) -> None:
    status, out, err = _run(capsys, "index", "--index-dir", index_dir, "--json",
                            str(SAMPLES / "raw"))
    summary = json.loads(out.strip().splitlines()[-1])
    assert status == 0
    assert {k: summary[k] for k in ("read", "added", "updated", "unchanged", "rejected",
                                    "skipped")} == {"read": 5, "added": 5, "updated": 0,
                                                    "unchanged": 0, "rejected": 0, "skipped": 0}
    assert isinstance(summary["seconds"], float)
    assert len(out.strip().splitlines()) == 1  # nothing but the summary on stdout

    status, out, _ = _run(capsys, "index", "--index-dir", index_dir, str(SAMPLES / "raw"))
    assert status == 0
    assert out.strip().splitlines()[-1].startswith("read 5, added 0, updated 0, unchanged 5")


def test_rejected_files_are_named_and_the_rest_indexed(capsys, index_dir, tmp_path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SAMPLES / "raw", source)
    (source / "broken.json").write_text("{", encoding="utf-8")
    (source / "empty.txt").write_text("", encoding="utf-8")
    (source / "notes.md").write_text("not a notice", encoding="utf-8")
    status, out, err = _run(capsys, "index", "--index-dir", index_dir, "--json", str(source))
    summary = json.loads(out.strip().splitlines()[-1])
    assert status == 1
    assert (summary["added"], summary["rejected"], summary["skipped"]) == (5, 2, 1)
    rejected = sorted(line.split(": ", 1)[0] for line in err.splitlines()
                      if not line.startswith("indexing:"))
    # A JSON file that does not parse is named with the line of the error.
    assert rejected == [f"{source / 'broken.json'}:1", str(source / "empty.txt")]


def test_rebuild_with_a_rejection_exits_1_and_keeps_serving(capsys, index_dir, tmp_path) -> None:
    assert _run(capsys, "index", "--index-dir", index_dir, str(SAMPLES / "raw"))[0] == 0
    served = IndexHome(index_dir).current_name()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "date": "2024-13-45"}\n', encoding="utf-8")
    status, out, err = _run(capsys, "index", "--index-dir", index_dir, "--rebuild", str(bad))
    assert status == 1
    assert f"{bad}:1: " in err and "not switched" in out
    assert IndexHome(index_dir).current_name() == served


@pytest.mark.parametrize("argv", [
    ["index", "--bogus", "x"],          # unknown option
    ["index"],                          # no source
    ["index", "/no/such/path"],         # missing path
    ["search", "--size", "many", "x"],  # not a number
    ["frobnicate"],                     # unknown command
])
def test_usage_errors_exit_2(capsys, index_dir, argv) -> None:
    status, _, err = _run(capsys, *argv, *(["--index-dir", index_dir] if argv[0] in (
        "index", "search") and "--bogus" not in argv else []))
    assert status == 2
    assert err.strip()


def test_search_delete_and_stats(capsys, index_dir) -> None:
    _run(capsys, "index", "--index-dir", index_dir, str(SMALL))
    status, out, _ = _run(capsys, "search", "--index-dir", index_dir, "--json", "巡视整改")
    result = json.loads(out)
    assert status == 0 and [h["id"] for h in result["hits"]] == ["seed-changxingdao-2024-08-20"]
    status, out, _ = _run(capsys, "search", "--index-dir", index_dir, "巡视整改")
    assert out.splitlines()[0].startswith("1 hits")
    assert "【巡视整改】" in out

    status, out, _ = _run(capsys, "search", "--index-dir", index_dir, "--json",
                          "--department", "外交部", "--from", "2005-01-01", "--to", "2005-12-31",
                          "--sort", "oldest", "发言人")
    hits = json.loads(out)["hits"]
    assert hits and all(h["department"] == "外交部" and h["date"][:4] == "2005" for h in hits)
    assert [h["date"] for h in hits] == sorted(h["date"] for h in hits)

    status, out, _ = _run(capsys, "stats", "--index-dir", index_dir, "--json")
    stats = json.loads(out)
    assert stats["documents"] == 38 and stats["generation"]
    assert set(stats) >= {"departments", "authors", "date_min", "date_max"}

    status, out, err = _run(capsys, "delete", "--index-dir", index_dir,
                            "seed-changxingdao-2024-08-20", "nope")
    assert status == 1 and "nope: no such notice" in err
    status, out, _ = _run(capsys, "stats", "--index-dir", index_dir, "--json")
    assert json.loads(out)["documents"] == 37


def test_search_without_an_index_cannot_run(capsys, index_dir) -> None:
    status, _, err = _run(capsys, "search", "--index-dir", index_dir, "x")
    assert status == 3 and "no index" in err


def test_analyze_shows_both_analyses(capsys) -> None:
    status, out, _ = _run(capsys, "analyze", "长兴岛经济技术开发区")
    assert status == 0
    assert out.splitlines() == [
        "index (jieba):  长兴 / 长兴岛 / 经济 / 技术 / 开发 / 开发区 / 经济技术开发区",
        "query (jieba):  长兴岛 / 经济技术开发区",
        "bigrams:        长兴 / 兴岛 / 岛经 / 经济 / 济技 / 技术 / 术开 / 开发 / 发区",
    ]


def _jsonl(path, records: list[dict]):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return str(path)


def test_index_prune_counts_deleted_and_refuses_on_a_rejection(capsys, index_dir, tmp_path,
                                                                small_records) -> None:
    records = [small_records[i] for i in sorted(small_records)[:3]]
    source = _jsonl(tmp_path / "a.jsonl", records)
    assert _run(capsys, "index", "--index-dir", index_dir, source)[0] == 0
    _jsonl(tmp_path / "a.jsonl", records[:2])
    status, out, _ = _run(capsys, "index", "--index-dir", index_dir, "--prune", "--json", source)
    assert status == 0
    assert {k: json.loads(out)[k] for k in ("read", "unchanged", "deleted")} == {
        "read": 2, "unchanged": 2, "deleted": 1}

    (tmp_path / "a.jsonl").write_text(
        json.dumps(records[0], ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    status, out, err = _run(capsys, "index", "--index-dir", index_dir, "--prune", source)
    assert status == 1
    assert "not pruning: 1 rejected" in err
    assert ", deleted 0 in " in out
    status, out, _ = _run(capsys, "stats", "--index-dir", index_dir, "--json")
    assert json.loads(out)["documents"] == 2


def test_rollback_switches_back_and_says_so(capsys, index_dir, tmp_path, small_records) -> None:
    records = [small_records[i] for i in sorted(small_records)[:3]]
    _run(capsys, "index", "--index-dir", index_dir, "--rebuild", _jsonl(tmp_path / "a.jsonl",
                                                                         records[:1]))
    first = IndexHome(index_dir).current_name()
    _run(capsys, "index", "--index-dir", index_dir, "--rebuild", _jsonl(tmp_path / "b.jsonl",
                                                                         records))
    second = IndexHome(index_dir).current_name()
    status, out, err = _run(capsys, "rollback", "--index-dir", index_dir)
    assert (status, out, err) == (0, f"rolled back from {second} to {first}\n", "")
    status, out, _ = _run(capsys, "stats", "--index-dir", index_dir, "--json")
    assert json.loads(out)["documents"] == 1

    status, out, err = _run(capsys, "rollback", "--index-dir", index_dir)
    assert (status, out) == (1, "")
    assert err.startswith("search-service: nothing to roll back to: no generation older than "
                          f"{first}")
    assert IndexHome(index_dir).current_name() == first


def test_rollback_without_an_index_exits_1(capsys, index_dir) -> None:
    status, out, err = _run(capsys, "rollback", "--index-dir", index_dir)
    assert (status, out) == (1, "")
    assert "nothing to roll back: no index" in err


def test_rollback_while_another_run_holds_the_lock_exits_3(capsys, index_dir, monkeypatch) -> None:
    _run(capsys, "index", "--index-dir", index_dir, "--rebuild", str(SAMPLES / "raw"))
    _run(capsys, "index", "--index-dir", index_dir, "--rebuild", str(SAMPLES / "raw"))
    served = IndexHome(index_dir).current_name()
    monkeypatch.setenv("SEARCH_SERVICE_LOCK_TIMEOUT", "0.2")
    with IndexHome(index_dir).locked(timeout=1):
        status, out, err = _run(capsys, "rollback", "--index-dir", index_dir)
    assert (status, out) == (3, "")
    assert "another indexing run holds" in err
    assert IndexHome(index_dir).current_name() == served
