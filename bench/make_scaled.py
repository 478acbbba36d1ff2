"""Write the corpus N times over with distinct ids and shuffled paragraphs (issue 4's 67,000).

Usage: python bench/make_scaled.py OUT.jsonl [--times 10] [--seed 20261128]

Copy k of notice ID gets the id ``ID~k`` (copy 0 keeps ID), the same title, date,
department and author, and its body's paragraphs (lines) in an order drawn with
random.Random(f"{seed}:{k}:{ID}"); copy 0 keeps the published order. So every copy holds
the same words with other neighbours, as a larger portal's notices would, and the
index cannot share their postings. Prints one JSON object (records, bytes) on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS  # noqa: E402


def scaled(record: dict, copy: int, seed: int) -> dict:
    """Return copy `copy` of a record (copy 0 is the record itself)."""
    if copy == 0:
        return record
    lines = (record.get("body") or "").split("\n")
    random.Random(f"{seed}:{copy}:{record['id']}").shuffle(lines)
    return {**record, "id": f"{record['id']}~{copy}", "body": "\n".join(lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    with open(CORPUS / "notices.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    count = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for copy in range(args.times):
            for record in records:
                out.write(json.dumps(scaled(record, copy, args.seed), ensure_ascii=False) + "\n")
                count += 1
    print(json.dumps({"records": count, "bytes": args.out.stat().st_size}))


if __name__ == "__main__":
    main()
