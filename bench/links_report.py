"""Citations, document numbers, validity, near-duplicates and /related over the corpus index.

    python bench/links_report.py INDEX_DIR     # an index of ../shared/corpus/notices.jsonl

Measures, on the served generation of INDEX_DIR:

- title citations: among the laws whose bodies cite, by its 《title》, another notice of
  the corpus, the share of such citations whose ``cites`` entry resolves to a notice
  bearing that title (every citation, not a sample), and how many resolve to the version
  in force at the citing notice's date;
- document numbers: every 文号-like string in the bodies (a broad pattern: anything
  before a bracketed year and a number with 号), with the extractor's answer, judged
  against bench/data/docnum_labels.tsv (a person's reading of each distinct string);
- the links opened with a generation: build time, validity and near-duplicate counts;
- GET /notices/{id}/related latency over 200 seeded notices (in process).

Prints one JSON object.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS, summary  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "data" / "docnum_labels.tsv"
#: Deliberately broad: any run before a bracketed year, a number and 号.
BROAD = re.compile(r"[\u4e00-\u9fff()（）]{0,8}[〔\[(（【［﹝]\s*\d{4}\s*[〕\])）】］﹞]\s*第?\s*\d{1,5}\s*号")


def main() -> None:
    from search_service import docnum
    from search_service.analysis import load_dictionaries
    from search_service.links import Links
    from search_service.searcher import NoticeSearcher
    from search_service.store import IndexHome
    from search_service.versions import title_key

    load_dictionaries(REPO / "index")
    records = [json.loads(line) for line in open(CORPUS / "notices.jsonl", encoding="utf-8")]
    searcher = NoticeSearcher(IndexHome(sys.argv[1]), reload_interval=3600)
    snap = searcher.snapshot()
    table, links = snap.table, snap.links
    started = time.perf_counter()
    Links.build(table)
    build_seconds = time.perf_counter() - started

    # ---------------------------------------------------------------- title citations
    titles = Counter(title_key(r["title"]) for r in records)
    eligible = resolved = in_force = 0
    misses = []
    for r in records:
        if not r["id"].startswith("law-"):
            continue
        n = table.position[r["id"]]
        own = title_key(r["title"])
        by_key = {c["title"]: c for c in links.cites[n] if "title" in c}
        for cited in docnum.cited_titles(r["body"]):
            key = title_key(cited)
            if key == own or not titles.get(key):
                continue
            eligible += 1
            cite = by_key.get(key)
            target = table.position.get(cite["id"]) if cite and cite.get("id") else None
            if target is not None and title_key(_title(snap, target)) == key:
                resolved += 1
                expected = links._in_force(table, key, r.get("date"), n)
                in_force += target == expected
            elif len(misses) < 10:
                misses.append(f"{r['id']}: 《{cited}》")

    # ---------------------------------------------------------------- document numbers
    labels = {}
    if LABELS.exists():
        with open(LABELS, encoding="utf-8", newline="") as handle:
            rows = (line for line in handle if not line.startswith("#"))
            labels = {row["written"]: row for row in csv.DictReader(rows, delimiter="\t")}
    candidates: Counter = Counter()
    extracted: dict[str, str] = {}
    for r in records:
        body = r["body"] or ""
        numbers = {(f.start, f.end): f for f in docnum.find_numbers(body)}
        for match in BROAD.finditer(body):
            candidates[match.group()] += 1
            for (start, end), f in numbers.items():
                if start >= match.start() and end == match.end():
                    extracted[match.group()] = f.normalised
    judged = [w for w in extracted if w in labels]
    right = [w for w in judged if labels[w]["number"] == extracted[w]]

    # ---------------------------------------------------------------- related
    rng = random.Random(20261128)
    sample = rng.sample([r["id"] for r in records], 200)
    searcher.related(sample[0])
    times = []
    for notice_id in sample:
        t = time.perf_counter()
        searcher.related(notice_id)
        times.append((time.perf_counter() - t) * 1000)

    print(json.dumps({
        "benchmark": "links_report",
        "records": len(records),
        "links_build_seconds": round(build_seconds, 2),
        "title_citations": {
            "eligible": eligible, "resolved": resolved,
            "share": round(resolved / eligible, 4) if eligible else None,
            "resolved_to_version_in_force": in_force, "misses": misses},
        "doc_numbers": {
            "candidate_strings": sum(candidates.values()),
            "distinct_candidates": len(candidates),
            "extracted_distinct": len(extracted),
            "judged": len(judged), "correct": len(right),
            "precision": round(len(right) / len(judged), 4) if judged else None,
            "unlabelled": sorted(set(candidates) - set(labels))[:20],
            "wrong": [f"{w} -> {extracted[w]} (label {labels[w]['number']})"
                      for w in judged if w not in right],
            "own_numbers": sum(1 for n in table.live if links.doc_numbers[n]),
            "notices_citing_a_number": sum(
                1 for n in table.live if any("number" in c for c in links.cites[n]))},
        "validity": Counter(links.validity[n] for n in table.live),
        "version_groups": sum(1 for g in links.versions.values() if len(g) > 1),
        "near_duplicate_groups": len(links.groups),
        "notices_in_near_duplicate_groups": sum(len(g) for g in links.groups),
        "cited_by_notices": len(links.cited_by),
        "related_ms": summary(times),
    }, ensure_ascii=False, indent=1))


def _title(snap, n: int) -> str:
    return snap.searcher.stored_fields(n).get("title") or ""


if __name__ == "__main__":
    main()
