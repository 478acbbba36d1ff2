"""facetcount.FacetColumn: the counts Counter gives, from value codes."""

from __future__ import annotations

import random
from collections import Counter
from itertools import chain

import numpy as np

from search_service.facetcount import FacetColumn


def _plain(values, hits) -> Counter:
    counts = Counter(chain.from_iterable(values[n] for n in hits))
    counts.pop(None, None)
    return counts


def test_single_values_with_gaps() -> None:
    values = ["国务院办公厅", None, "外交部", "国务院办公厅", None, "商务部"]
    column = FacetColumn.single(values)
    assert column.count(np.array([0, 1, 2, 3, 4], np.int64)) == Counter(
        {"国务院办公厅": 2, "外交部": 1})
    assert column.count(np.array([1, 4], np.int64)) == Counter()
    assert column.count(np.array([], np.int64)) == Counter()
    # No zero counts are kept: a value no hit holds is not a facet entry.
    assert "商务部" not in column.count(np.array([0], np.int64))


def test_many_values_per_docnum() -> None:
    persons = [("王毅",), (), ("汪文斌", "王毅"), (None,), ("华春莹", "王毅", "汪文斌")]
    column = FacetColumn(persons)
    assert column.count(np.arange(5)) == Counter({"王毅": 3, "汪文斌": 2, "华春莹": 1})
    assert column.count(np.array([4, 1], np.int64)) == Counter(
        {"王毅": 1, "汪文斌": 1, "华春莹": 1})
    assert column.count(np.array([], np.int64)) == Counter()


def test_the_small_index_counts_as_counter_does(small_searcher) -> None:
    snap = small_searcher.snapshot()
    table, links = snap.table, snap.links
    columns = {"department": table.departments, "author": table.authors,
               "person": links.persons, "validity": links.validity,
               "year": table.years, "month": table.months}
    rng = random.Random(7)
    for size in (0, 1, 5, 20, len(table.live)):
        hits = sorted(rng.sample(table.live, size))
        at = np.array(hits, np.int64)
        for name, values in columns.items():
            held = values if name == "person" else [(v,) for v in values]
            assert snap.facet_columns[name].count(at) == _plain(held, hits), name
    # The small index has notices with persons, departments and authors to count.
    every = np.array(table.live, np.int64)
    assert all(snap.facet_columns[name].count(every) for name in ("department", "person"))
