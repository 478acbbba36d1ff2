"""Every page file in the shared corpus parses back to its record in notices.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from search_service.sources import Parsed, read_sources

FIELDS = ("title", "date", "department", "author", "body")


def test_raw_files_round_trip(corpus_dir: Path, raw_dir: Path) -> None:
    ids = {path.stem for path in raw_dir.iterdir()}
    records = {}
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in ids:
                records[record["id"]] = record

    results = list(read_sources([raw_dir]))
    assert all(isinstance(r, Parsed) for r in results), [str(r) for r in results
                                                         if not isinstance(r, Parsed)]
    assert len(results) == 351
    mismatches = []
    for result in results:
        notice = result.notice
        record = records.get(notice.id)
        if record is None:
            mismatches.append(f"{notice.id}: no record in notices.jsonl")
            continue
        fields = FIELDS + (("url",) if result.origin.endswith(".html") else ())
        for name in fields:
            if getattr(notice, name) != record[name]:
                mismatches.append(f"{notice.id}: {name} {getattr(notice, name)!r:.80} "
                                  f"!= {record[name]!r:.80}")
    assert mismatches == []
