"""Precision of the `person` field on a hand-checked sample of names from the corpus.

    python bench/person_precision.py --draw NAME --seed N   # append a sample to label
    python bench/person_precision.py                        # measure every sample

bench/data/persons_sample.tsv (sample, id, name, label, context) holds samples of
distinct (notice, name) pairs drawn with a fixed seed from what the extractor found in
the whole corpus: "tuning" was labelled and the rules were then improved on its errors;
"held-out" was drawn afterwards with another seed, so its figure is not fitted. `label` is a person's judgement of the context: 1 when the name is a real
person named in that notice and written whole, 0 otherwise (not a person, or cut short
or run on). Precision is the share of labelled pairs, still extracted, that are 1.

Prints one JSON object; progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "data" / "persons_sample.tsv"
SEED = 20261128
SIZE = 150


def extract_all(records: list[dict]) -> tuple[dict[str, list[str]], float]:
    from search_service.analysis import load_dictionaries
    from search_service.persons import PersonExtractor

    load_dictionaries(REPO / "index")
    extractor = PersonExtractor.from_dir(REPO / "index")
    started = time.perf_counter()
    out = {r["id"]: extractor.extract(r.get("title") or "", r.get("body") or "")
           for r in records}
    return out, time.perf_counter() - started


def context(record: dict, name: str, width: int = 14) -> str:
    text = f"{record.get('title') or ''}\n{record.get('body') or ''}".replace("\n", " ")
    at = text.find(name)
    return text[max(0, at - width):at + len(name) + width] if at >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draw", metavar="NAME", help="append an unlabelled sample NAME")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args()
    records = [json.loads(line) for line in open(CORPUS / "notices.jsonl",
                                                 encoding="utf-8")]
    by_id = {r["id"]: r for r in records}
    found, seconds = extract_all(records)
    pairs = sorted((i, n) for i, names in found.items() for n in names)
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        labelled = list(csv.DictReader(handle, delimiter="\t"))
    if args.draw:
        taken = {(row["id"], row["name"]) for row in labelled}
        sample = random.Random(args.seed).sample([p for p in pairs if p not in taken], args.size)
        with open(SAMPLE, "a", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle, delimiter="\t", lineterminator="\n")
            for i, n in sorted(sample):
                out.writerow([args.draw, i, n, "", context(by_id[i], n)])
        print(f"appended {len(sample)} pairs to {SAMPLE}; label them", file=sys.stderr)
        return
    samples = {}
    for name in dict.fromkeys(row["sample"] for row in labelled):
        rows = [row for row in labelled if row["sample"] == name]
        still = [row for row in rows if row["name"] in found.get(row["id"], ())]
        correct = [row for row in still if row["label"] == "1"]
        samples[name] = {
            "size": len(rows), "still_extracted": len(still),
            "precision": round(len(correct) / len(still), 4) if still else None,
            "wrong": [f"{r['id']}: {r['name']} ({r['context']})" for r in still
                      if r["label"] != "1"],
        }
    print(json.dumps({
        "benchmark": "person_precision",
        "records": len(records),
        "samples": samples,
        "names_distinct": len({n for _, n in pairs}),
        "pairs": len(pairs),
        "notices_with_a_person": sum(1 for names in found.values() if names),
        "extract_seconds": round(seconds, 1),
    }, ensure_ascii=False, indent=1))

if __name__ == "__main__":
    main()
