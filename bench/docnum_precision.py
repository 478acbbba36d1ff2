"""Precision and recall of ``docnum.find_numbers`` on every 文号-like string in the corpus.

    python bench/docnum_precision.py            # measure against the labels
    python bench/docnum_precision.py --update   # append new unlabelled candidates, then label

A deliberately broad pattern finds the candidates in every body of notices.jsonl: any
run before a bracketed 2–4 digit year and a number with 号 (any bracket, 第 and zero
padding allowed, a few characters between year and number), a four-digit year with 年
before a number with 号, and order numbers 令第N号. bench/data/docnum_candidates.tsv
holds every distinct candidate string with a person's reading of it in context:
``label`` 1 is a real document number, 0 is not; for a 1 ``note`` is the GB/T 9704 form
the reader takes it for (another text when it has none, such as an order number without
a year), for a 0 it says why not.

An extraction is counted at the candidate it ends with. It is right when that candidate
is labelled 1 and the extraction's normalised form equals the note. Precision is right /
extractions at labelled candidates (also over distinct candidate/number pairs); recall
is candidates labelled 1 and extracted right / candidates labelled 1 (overall, and among
those whose note is in the 〔year〕 form that ``docnum`` handles).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from search_service import docnum, textnorm  # noqa: E402

CORPUS = Path(os.environ.get("SEARCH_SERVICE_CORPUS",
                             Path(__file__).resolve().parents[2] / "shared" / "corpus"))
LABELS = Path(__file__).resolve().parent / "data" / "docnum_candidates.tsv"
_HAN = "\u4e00-\u9fff"
#: Deliberately broad, run on textnorm output (so full-width digits and brackets count).
#: Anchored at its end: it is searched just before each digit followed by 号.
BROAD = re.compile(
    rf"(?:[{_HAN}()]{{0,10}}\s*[〔\[(【﹝〖]\s*[0-9]{{2,4}}\s*[〕\])】﹞〗]\s*[{_HAN}]{{0,6}}?"
    r"\s*第?\s*[0-9]{1,5}\s*号"
    rf"|[{_HAN}()]{{0,10}}\s*[0-9]{{4}}\s*年\s*[{_HAN}]{{0,6}}?\s*第?\s*[0-9]{{1,5}}\s*号"
    rf"|[{_HAN}]{{1,12}}令\s*第\s*[0-9]{{1,5}}\s*号)$")
_ANCHOR = re.compile(r"[0-9]\s*号")
#: The form docnum handles: agency, bracketed four-digit year, sequence.
STANDARD = re.compile(r"^\S+〔[0-9]{4}〕[1-9][0-9]*号$")
HEADER = ["written", "label", "note"]


def broad_spans(norm: str) -> list[tuple[int, int]]:
    """Return the spans of the broad pattern in a normalised text, in order."""
    spans: list[tuple[int, int]] = []
    for anchor in _ANCHOR.finditer(norm):
        floor = max(spans[-1][1] if spans else 0, anchor.end() - 60)
        match = BROAD.search(norm, floor, anchor.end())
        if match:
            spans.append((match.start(), match.end()))
    return spans


def candidates(records: list[dict]) -> tuple[Counter, dict[str, str]]:
    """Return {candidate: occurrences} and one context per candidate (id and text around)."""
    counts: Counter = Counter()
    contexts: dict[str, str] = {}
    for record in records:
        body = record["body"] or ""
        for start, end in broad_spans(textnorm.normalise(body)):
            written = body[start:end]
            counts[written] += 1
            around = body[max(0, start - 20):end + 12].replace("\n", "⏎")
            contexts.setdefault(written, f"{record['id']}: {around}")
    return counts, contexts


def extract(records: list[dict]) -> tuple[dict[str, list[str]], list[str], int, float]:
    """Run find_numbers over every body.

    Returns (normalised extractions by the candidate they end with, extractions outside
    any candidate, the number of extractions, seconds spent in find_numbers).
    """
    at: dict[str, list[str]] = {}
    outside: list[str] = []
    total, seconds = 0, 0.0
    for record in records:
        body = record["body"] or ""
        started = time.perf_counter()
        numbers = docnum.find_numbers(body)
        seconds += time.perf_counter() - started
        total += len(numbers)
        spans = broad_spans(textnorm.normalise(body))
        for number in numbers:
            span = next(((s, e) for s, e in spans if s <= number.start and e == number.end),
                        None)
            if span is None:
                outside.append(f"{record['id']}: {number.written}")
            else:
                at.setdefault(body[span[0]:span[1]], []).append(number.normalised)
    return at, outside, total, seconds


def read_labels() -> dict[str, dict[str, str]]:
    """Return the labelled rows by written string (comment lines start with #)."""
    if not LABELS.exists():
        return {}
    with open(LABELS, encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if not line.startswith("#"))
        return {row["written"]: row for row in csv.DictReader(rows, delimiter="\t")}


def update(counts: Counter, contexts: dict[str, str]) -> None:
    """Append the candidates not yet in the label file, unlabelled, with their context."""
    labels = read_labels()
    new = [w for w in counts if w not in labels]
    fresh = not LABELS.exists()
    with open(LABELS, "a", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter="\t", lineterminator="\n")
        if fresh:
            out.writerow(HEADER)
        for written in new:
            out.writerow([written, "", f"TODO {contexts[written]}"])
    print(f"appended {len(new)} candidates to {LABELS}; label them", file=sys.stderr)


def measure(records: list[dict], counts: Counter) -> dict[str, object]:
    """Return the figures of find_numbers against the labels."""
    labels = read_labels()
    started = time.perf_counter()
    at, outside, total, seconds = extract(records)
    scan_seconds = time.perf_counter() - started
    positive = [w for w, row in labels.items() if row["label"] == "1" and w in counts]
    standard = [w for w in positive if STANDARD.match(labels[w]["note"])]
    judged = [(w, n) for w, found in at.items() if w in labels for n in found]
    right = [(w, n) for w, n in judged if labels[w]["label"] == "1" and labels[w]["note"] == n]
    wrong = sorted({f"{w} -> {n} (label {labels[w]['label']}, {labels[w]['note']})"
                    for w, n in judged if (w, n) not in right})
    found_right = {w for w, _ in right}
    distinct, distinct_right = set(judged), set(right)
    return {
        "benchmark": "docnum_precision",
        "records": len(records),
        "candidates": sum(counts.values()),
        "candidates_distinct": len(counts),
        "candidates_labelled": sum(1 for w in counts if labels.get(w, {}).get("label")),
        "candidates_labelled_1": len(positive),
        "extracted": total,
        "extracted_distinct": len({n for found in at.values() for n in found}),
        "extracted_outside_candidates": outside,
        "extracted_at_labelled": len(judged),
        "extracted_right": len(right),
        "precision": round(len(right) / len(judged), 4) if judged else None,
        "precision_distinct": (round(len(distinct_right) / len(distinct), 4)
                               if distinct else None),
        "recall": round(len(found_right) / len(positive), 4) if positive else None,
        "recall_standard_form": (round(len(found_right & set(standard)) / len(standard), 4)
                                 if standard else None),
        "wrong": wrong,
        "missed": sorted(f"{w} ({labels[w]['note']})" for w in positive
                         if w not in found_right),
        "unlabelled": sorted(w for w in counts if not labels.get(w, {}).get("label")),
        "find_numbers_seconds": round(seconds, 2),
        "scan_seconds": round(scan_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true",
                        help="append unlabelled new candidates to the label file")
    args = parser.parse_args()
    started = time.perf_counter()
    with open(CORPUS / "notices.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    counts, contexts = candidates(records)
    if args.update:
        update(counts, contexts)
        return
    result = measure(records, counts)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
