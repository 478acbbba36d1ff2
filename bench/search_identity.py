"""Record /search answers over a fixed query set, or check that they have not changed.

Usage:
    python bench/search_identity.py --index-dir DIR --write FILE   (with the old code)
    python bench/search_identity.py --index-dir DIR --check FILE   (with the new code)

The set: every query of queries.tsv, 300 random 2–6 character runs of the corpus
(a fixed seed), and a few requests with filters, date sorts, later pages and an
empty query. Every field of the response but ``took_ms`` is compared, so a change
meant only to make searching faster can be checked to change nothing else.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import CORPUS, queries  # noqa: E402

from search_service import analysis  # noqa: E402
from search_service.searcher import NoticeSearcher, SearchRequest  # noqa: E402
from search_service.settings import REPO_INDEX  # noqa: E402
from search_service.store import IndexHome  # noqa: E402

RUNS = 300
SEED = 4


def random_runs(count: int = RUNS, seed: int = SEED) -> list[str]:
    """Return runs of 2–6 characters cut from random places of random notices."""
    with open(CORPUS / "notices.jsonl", encoding="utf-8") as handle:
        texts = [(r.get("title") or "") + "\n" + (r.get("body") or "")
                 for r in map(json.loads, handle)]
    rng = random.Random(seed)
    runs: list[str] = []
    while len(runs) < count:
        text = rng.choice(texts)
        width = rng.randint(2, 6)
        if len(text) <= width:
            continue
        start = rng.randrange(len(text) - width)
        run = text[start:start + width]
        if run.strip() and "\n" not in run:
            runs.append(run.strip())
    return runs


def requests() -> list[SearchRequest]:
    """Return the requests compared: queries.tsv, random runs, then filtered variants."""
    qs = queries()
    out = [SearchRequest(q=q) for q in qs] + [SearchRequest(q=q) for q in random_runs()]
    out += [SearchRequest(q=""), SearchRequest(q="", sort="oldest", page=3, size=20),
            SearchRequest(q="", departments=("外交部",), years=("2019",))]
    for q in qs[::10]:
        out += [
            SearchRequest(q=q, page=2, size=7),
            SearchRequest(q=q, sort="newest"),
            SearchRequest(q=q, sort="oldest", size=25, facet_size=3),
            SearchRequest(q=q, years=("2020", "2021")),
            SearchRequest(q=q, date_from="2015-01-01", date_to="2018-06-30"),
            SearchRequest(q=q, departments=("外交部",)),
            SearchRequest(q=q, validity=("current",), collapse=True),
        ]
    return out


def answers(index_dir: Path) -> list[dict[str, object]]:
    """Return each request (as a dict) with its response, took_ms dropped."""
    searcher = NoticeSearcher(IndexHome(index_dir), reload_interval=3600)
    out = []
    for req in requests():
        result = searcher.search(req)
        result.pop("took_ms", None)
        out.append({"request": dataclasses.asdict(req), "response": result})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args()
    analysis.load_dictionaries(REPO_INDEX)
    got = answers(args.index_dir)
    if args.write:
        args.write.write_text(json.dumps(got, ensure_ascii=False), encoding="utf-8")
        print(json.dumps({"written": len(got), "file": str(args.write)}))
        return
    want = json.loads(args.check.read_text(encoding="utf-8"))
    # Through JSON both ways, so tuples and lists compare alike.
    got = json.loads(json.dumps(got, ensure_ascii=False))
    differ = [(w, g) for w, g in zip(want, got) if w != g]
    for w, g in differ[:5]:
        print("DIFFERS:", json.dumps(w["request"], ensure_ascii=False), file=sys.stderr)
        for key in w["response"]:
            if w["response"][key] != g["response"].get(key):
                print(f"  {key}: want {str(w['response'][key])[:300]}", file=sys.stderr)
                print(f"  {key}:  got {str(g['response'].get(key))[:300]}", file=sys.stderr)
    print(json.dumps({"compared": len(got), "expected": len(want), "differ": len(differ)}))
    sys.exit(1 if differ or len(got) != len(want) else 0)


if __name__ == "__main__":
    main()
