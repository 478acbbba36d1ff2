"""Indexing runs: upserts, rebuilds, rejections, deletes, prune, rollback, the lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.errors import IndexBusyError
from search_service.indexer import delete_ids, index_sources, rollback
from search_service.searcher import NoticeSearcher, SearchRequest
from search_service.store import IndexHome, NoPreviousGenerationError


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


def test_leftovers_of_a_killed_upsert_are_cleaned_up(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records[:2])
    index_sources(home, [source], rebuild=True)
    served = home.root / home.current_name()
    kept = sorted(p.name for p in served.iterdir())
    # What an upsert killed before its commit leaves in the served generation: segment
    # files no table of contents names, and the multi-process writer's temp directory.
    (served / "MAIN_deadbeefdeadbeef.seg").write_bytes(b"x")
    (served / "MAIN_deadbeefdeadbeef.pst").write_bytes(b"x" * 1000)
    (served / "MAIN.tmp").mkdir()
    (served / "MAIN.tmp" / "MAIN_0123456789abcdef.trm").write_bytes(b"x")
    index_sources(home, [source])  # unchanged: nothing is committed
    assert sorted(p.name for p in served.iterdir()) == kept
    assert _ids(home) == sorted(r["id"] for r in records[:2])


def test_a_missing_source_indexes_nothing(tmp_path) -> None:
    home = IndexHome(tmp_path / "index")
    with pytest.raises(FileNotFoundError):
        index_sources(home, [tmp_path / "missing"])
    assert home.current_name() is None


def test_prune_deletes_exactly_the_notices_whose_source_is_gone(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    kept = _write_jsonl(tmp_path / "a.jsonl", records[:2])
    gone = _write_jsonl(tmp_path / "b.jsonl", records[2:])
    assert index_sources(home, [kept, gone]).added == 4
    gone.unlink()
    pruned = index_sources(home, [kept], prune=True)
    assert (pruned.read, pruned.added, pruned.updated, pruned.unchanged, pruned.deleted) == (
        2, 0, 0, 2, 2)
    assert _ids(home) == sorted(r["id"] for r in records[:2])


def test_a_second_prune_deletes_and_commits_nothing(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records)
    index_sources(home, [source])
    _write_jsonl(source, records[1:])
    assert index_sources(home, [source], prune=True).deleted == 1
    commit = home.open().latest_generation()
    again = index_sources(home, [source], prune=True)
    assert (again.read, again.unchanged, again.deleted) == (3, 3, 0)
    assert home.open().latest_generation() == commit  # nothing rewritten
    assert _ids(home) == sorted(r["id"] for r in records[1:])


def test_prune_deletes_nothing_when_a_record_is_rejected(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    kept = _write_jsonl(tmp_path / "a.jsonl", records[:2])
    other = _write_jsonl(tmp_path / "b.jsonl", records[2:])
    index_sources(home, [kept, other])
    # records[3] is gone, and records[2] is rejected: pruning would delete both.
    _write_jsonl(other, [dict(records[2], date="2024-13-45")])
    summary = index_sources(home, [kept, other], prune=True)
    assert (summary.read, summary.unchanged, summary.rejected, summary.deleted) == (3, 2, 1, 0)
    assert _ids(home) == sorted(r["id"] for r in records)


def test_prune_with_rebuild_is_the_rebuild(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    index_sources(home, [_write_jsonl(tmp_path / "a.jsonl", records)])
    summary = index_sources(home, [_write_jsonl(tmp_path / "b.jsonl", records[:1])],
                            rebuild=True, prune=True)
    assert (summary.added, summary.deleted, summary.switched) == (1, 0, True)
    assert _ids(home) == [records[0]["id"]]


def _gens(home: IndexHome) -> list[str]:
    return sorted(p.name for p in home.root.glob("gen-*"))


def test_rollback_serves_the_previous_generation(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    index_sources(home, [_write_jsonl(tmp_path / "a.jsonl", records[:2])], rebuild=True)
    first = home.current_name()
    index_sources(home, [_write_jsonl(tmp_path / "b.jsonl", records[2:])], rebuild=True)
    second = home.current_name()
    searcher = NoticeSearcher(home, reload_interval=0)
    everything = SearchRequest(size=100, sort="oldest")
    assert sorted(h["id"] for h in searcher.search(everything)["hits"]) == sorted(
        r["id"] for r in records[2:])

    assert rollback(home) == (second, first)
    assert home.current_name() == first
    # The same searcher answers from the generation rolled back to.
    assert sorted(h["id"] for h in searcher.search(everything)["hits"]) == sorted(
        r["id"] for r in records[:2])
    assert searcher.stats()["generation"].startswith(first)
    assert _gens(home) == [first, second]  # readers may still be on the one rolled back from


def test_the_generation_rolled_back_from_stays_until_the_next_switch(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    a = _write_jsonl(tmp_path / "a.jsonl", records[:2])
    b = _write_jsonl(tmp_path / "b.jsonl", records[2:])
    index_sources(home, [a], rebuild=True)
    first = home.current_name()
    index_sources(home, [b], rebuild=True)
    second = home.current_name()
    rollback(home)
    assert index_sources(home, [a]).unchanged == 2  # an upsert's clean-up keeps it
    assert _gens(home) == [first, second]
    with pytest.raises(NoPreviousGenerationError, match="nothing to roll back to"):
        rollback(home)  # a second rollback: nothing older than the first generation
    assert home.current_name() == first

    index_sources(home, [b], rebuild=True)
    third = home.current_name()
    # The rolled-back-from generation is gone; the one served before this rebuild is kept.
    assert _gens(home) == [first, third]
    assert home.previous_name() == first
    assert rollback(home) == (third, first)


def test_rollback_without_a_previous_generation_changes_nothing(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    with pytest.raises(NoPreviousGenerationError, match="no index"):
        rollback(home)
    index_sources(home, [_write_jsonl(tmp_path / "a.jsonl", records)], rebuild=True)
    served = home.current_name()
    with pytest.raises(NoPreviousGenerationError, match="nothing to roll back to"):
        rollback(home)
    assert home.current_name() == served
    assert _gens(home) == [served]


def test_rollback_waits_for_the_lock(tmp_path, records) -> None:
    home = IndexHome(tmp_path / "index")
    source = _write_jsonl(tmp_path / "a.jsonl", records)
    index_sources(home, [source], rebuild=True)
    index_sources(home, [source], rebuild=True)
    served = home.current_name()
    with home.locked(timeout=1):
        with pytest.raises(IndexBusyError, match="another indexing run"):
            rollback(home, lock_timeout=0.3)
    assert home.current_name() == served


def test_an_upsert_into_an_older_schema_migrates_every_notice(tmp_path, records) -> None:
    from whoosh import index as whoosh_index

    from search_service.notice import Notice
    from search_service.schema import build_schema, to_document

    home = IndexHome(tmp_path / "index")
    home.root.mkdir(parents=True)
    # A generation written by an earlier version, whose schema had no exact-title key.
    old = build_schema()
    old.remove("title_key")
    name = "gen-20240101T000000000000Z-1"
    (home.root / name).mkdir()
    ix = whoosh_index.create_in(str(home.root / name), old)
    with ix.writer() as writer:
        for record in records[:3]:
            doc = to_document(Notice(**record))
            del doc["title_key"]
            writer.add_document(**doc)
    home.switch_to(name)

    changed = {**records[1], "title": records[1]["title"] + "（修订）"}
    source = _write_jsonl(tmp_path / "new.jsonl", [changed, records[3]])
    summary = index_sources(home, [source])
    assert (summary.added, summary.updated, summary.unchanged, summary.switched) == (1, 1, 0, True)
    assert home.current_name() != name
    assert "title_key" in home.open().schema.names()
    assert _ids(home) == sorted(r["id"] for r in records[:4])
    result = NoticeSearcher(home, reload_interval=0).search(SearchRequest(q=changed["title"]))
    assert result["hits"][0]["id"] == changed["id"]
    assert result["hits"][0]["title"] == changed["title"]
    # The notices it did not replace keep every field they had.
    kept = NoticeSearcher(home, reload_interval=0).notice(records[0]["id"])
    assert {k: kept[k] for k in ("title", "date", "department", "body")} == \
        {k: records[0].get(k) for k in ("title", "date", "department", "body")}
