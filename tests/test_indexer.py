"""Indexing runs: upsert counts, rebuild switching, rejections, deletes, the lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.errors import IndexBusyError
from search_service.indexer import delete_ids, index_sources
from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.store import IndexHome


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


@pytest.fixture()
def records(small_records: dict[str, dict]) -> list[dict]:
    return [small_records[i] for i in sorted(small_records)[:4]]


def _ids(home: IndexHome) -> list[str]:
    result = NoticeSearcher(home, reload_interval=0).search(SearchRequest(size=100, sort="oldest"))
    return sorted(hit["id"] for hit in result["hits"])


def test_upsert_adds_updates_and_leaves_unchanged_alone(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records[:3])
    first = index_sources(home, [source])
    assert (first.read, first.added, first.updated, first.unchanged) == (3, 3, 0, 0)
    generation = home.current_name()

    again = index_sources(home, [source])
    assert (again.read, again.added, again.updated, again.unchanged) == (3, 0, 0, 3)

    changed = dict(records[0], title=records[0]["title"] + "（修订）")
    _write_jsonl(source, [changed, *records[1:3], records[3]])
    third = index_sources(home, [source])
    assert (third.read, third.added, third.updated, third.unchanged) == (4, 1, 1, 2)
    assert home.current_name() == generation  # upserts commit into the served generation
    assert _ids(home) == sorted(r["id"] for r in records)
    notice = NoticeSearcher(home, reload_interval=0).notice(records[0]["id"])
    assert notice["title"].endswith("（修订）")


def test_rebuild_switches_to_a_new_generation_and_keeps_the_previous(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    index_sources(home, [_write_jsonl(tmp_path / "a.jsonl", records[:2])], rebuild=True)
    first = home.current_name()
    index_sources(home, [_write_jsonl(tmp_path / "b.jsonl", records[2:])], rebuild=True)
    second = home.current_name()
    assert second != first
    assert _ids(home) == sorted(r["id"] for r in records[2:])  # exactly these sources
    index_sources(home, [tmp_path / "a.jsonl"], rebuild=True)
    gens = sorted(p.name for p in home.root.glob("gen-*"))
    assert gens == [second, home.current_name()]  # the oldest is cleaned up


def test_rebuild_with_a_rejection_keeps_the_old_index(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    good = _write_jsonl(tmp_path / "a.jsonl", records[:2])
    index_sources(home, [good], rebuild=True)
    served = home.current_name()
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps(records[2], ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    rejections: list[str] = []
    summary = index_sources(home, [bad], rebuild=True, on_reject=rejections.append)
    assert (summary.rejected, summary.switched) == (1, False)
    assert rejections[0].startswith(f"{bad}:2: ")
    assert home.current_name() == served
    assert [p.name for p in home.root.glob("gen-*")] == [served]
    assert _ids(home) == sorted(r["id"] for r in records[:2])


def test_upsert_indexes_every_good_record_beside_a_rejection(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = tmp_path / "mixed.jsonl"
    lines = [json.dumps(records[0], ensure_ascii=False), '{"title": ""}',
             json.dumps(records[1], ensure_ascii=False)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = index_sources(home, [source])
    assert (summary.read, summary.added, summary.rejected) == (3, 2, 1)
    assert summary.rejections[0].startswith(f"{source}:2: ")


def test_delete_reports_unknown_ids(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    index_sources(home, [_write_jsonl(tmp_path / "a.jsonl", records)])
    unknown = delete_ids(home, [records[0]["id"], "no-such-id"])
    assert unknown == ["no-such-id"]
    assert _ids(home) == sorted(r["id"] for r in records[1:])


def test_a_second_run_waits_then_fails_while_the_lock_is_held(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records[:1])
    with home.locked(timeout=1):
        with pytest.raises(IndexBusyError, match="another indexing run"):
            index_sources(home, [source], lock_timeout=0.3)
    assert index_sources(home, [source]).added == 1


def test_leftovers_of_a_killed_rebuild_are_cleaned_up(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records[:1])
    index_sources(home, [source], rebuild=True)
    served = home.current_name()
    # What a rebuild killed before its switch leaves: a newer, unserved generation.
    orphan = home.root / "gen-99999999T999999999999Z-1"
    orphan.mkdir()
    (orphan / "MAIN_WRITELOCK").touch()
    (home.root / ".CURRENT.123.tmp").write_text("gen-x\n")
    index_sources(home, [source])
    assert not orphan.exists()
    assert not (home.root / ".CURRENT.123.tmp").exists()
    assert home.current_name() == served


def test_a_missing_source_indexes_nothing(tmp_path) -> None:
    home = IndexHome(tmp_path / "index")
    with pytest.raises(FileNotFoundError):
        index_sources(home, [tmp_path / "missing"])
    assert home.current_name() is None
