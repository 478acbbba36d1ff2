"""scripts/reindex end to end: the log, the JSON summary on stdout, the exit statuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from search_service.store import IndexHome

from .conftest import REPO

SCRIPT = REPO / "scripts" / "reindex"
HEADER = re.compile(r"^=== \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} reindex (.*) "
                    r"\(index (.*), pid \d+\) ===$")


def _reindex(*args: str, cwd: Path, index_dir: Path, lock_timeout: str = "5"
             ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_SERVICE_")}
    env.update(SEARCH_SERVICE_INDEX_DIR=str(index_dir), SEARCH_SERVICE_LOCK_TIMEOUT=lock_timeout)
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


@pytest.fixture()
def records(small_records: dict[str, dict]) -> list[dict]:
    return [small_records[i] for i in sorted(small_records)[:5]]


def test_the_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


#: A progress line, written every second while a run goes on.
PROGRESS = re.compile(r"indexing: read \d+, added \d+, updated \d+, unchanged \d+, "
                      r"rejected \d+")


def test_a_run_logs_prints_the_summary_and_exits_0(tmp_path, records) -> None:
    index_dir = tmp_path / "index"
    _write(tmp_path / "notices" / "a.jsonl", records[:3])
    _write(tmp_path / "notices" / "more" / "b.jsonl", records[3:])
    done = _reindex("notices", cwd=tmp_path, index_dir=index_dir)  # relative to the caller
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {k: summary[k] for k in ("read", "added", "updated", "unchanged", "rejected",
                                    "skipped", "deleted")} == {
        "read": 5, "added": 5, "updated": 0, "unchanged": 0, "rejected": 0, "skipped": 0,
        "deleted": 0}
    assert done.stderr == ""

    lines = (index_dir / "reindex.log").read_text(encoding="utf-8").splitlines()
    # Progress lines come once a second: a slow or loaded machine writes some.
    lines = [line for line in lines if not PROGRESS.fullmatch(line)]
    header = HEADER.match(lines[0])
    assert header and header.groups() == (str(tmp_path / "notices"), str(index_dir))
    assert re.fullmatch(r"indexing: done: read 5, added 5, updated 0, unchanged 0, "
                        r"rejected 0, deleted 0 in \d+\.\d s", lines[1])
    assert json.loads(lines[2]) == summary
    assert lines[3:] == ["=== exit 0 ==="]

    # A second run appends, changes nothing, and prunes what has gone.
    (tmp_path / "notices" / "more" / "b.jsonl").unlink()
    done = _reindex("--prune", str(tmp_path / "notices"), cwd=REPO, index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert {k: json.loads(done.stdout)[k] for k in ("read", "unchanged", "deleted")} == {
        "read": 3, "unchanged": 3, "deleted": 2}
    log = (index_dir / "reindex.log").read_text(encoding="utf-8").splitlines()
    headers = [HEADER.match(line) for line in log if line.startswith("=== 2")]
    assert [h.group(1) for h in headers if h] == [str(tmp_path / "notices"),
                                                  f"--prune {tmp_path / 'notices'}"]
    assert log[-1] == "=== exit 0 ==="


def test_a_missing_directory_exits_2(tmp_path, records) -> None:
    log = tmp_path / "logs" / "cron.log"
    done = _reindex("--log", "logs/cron.log", "missing", cwd=tmp_path,
                    index_dir=tmp_path / "index")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "exited 2" in done.stderr
    text = log.read_text(encoding="utf-8")
    assert f"No such file or directory: {tmp_path / 'missing'}\n" in text
    assert text.endswith("=== exit 2 ===\n")
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_a_rejected_record_exits_1_and_is_named_in_the_log(tmp_path, records) -> None:
    source = tmp_path / "notices" / "a.jsonl"
    _write(source, records[:2])
    with open(source, "a", encoding="utf-8") as handle:
        handle.write('{"title": "x", "date": "2024-13-45"}\n')
    done = _reindex("--rebuild", "--prune", str(source.parent), cwd=tmp_path,
                    index_dir=tmp_path / "index")
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert (summary["added"], summary["rejected"], summary["switched"]) == (2, 1, False)
    text = (tmp_path / "index" / "reindex.log").read_text(encoding="utf-8")
    assert f"\n{source}:3: " in text
    assert text.endswith("=== exit 1 ===\n")


def test_a_held_lock_exits_3(tmp_path, records) -> None:
    _write(tmp_path / "notices" / "a.jsonl", records)
    with IndexHome(tmp_path / "index").locked(timeout=1):
        done = _reindex("notices", cwd=tmp_path, index_dir=tmp_path / "index",
                        lock_timeout="0.3")
    assert (done.returncode, done.stdout) == (3, "")
    text = (tmp_path / "index" / "reindex.log").read_text(encoding="utf-8")
    assert "another indexing run holds" in text and text.endswith("=== exit 3 ===\n")
    assert not (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.parametrize("argv", [[], ["--bogus", "x"], ["--log"]])
def test_usage_errors_exit_2_before_running(tmp_path, argv) -> None:
    done = _reindex(*argv, cwd=tmp_path, index_dir=tmp_path / "index")
    assert done.returncode == 2
    assert "usage: scripts/reindex" in done.stderr
    assert not (tmp_path / "index").exists()
