"""Facet counts of a hit list, as array operations over each facet's value codes.

A facet's values (a department, a year, the persons a notice names) are numbered once
per generation, so counting a query's hits is a gather and a ``bincount``, not a
hash of every hit's value: on a query with tens of thousands of hits (外交部 at
66,730 notices) counting was 44 ms, a tenth of the query (``bench/RESULTS.md``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np


class FacetColumn:
    """One facet's values of every docnum, as codes into its distinct values.

    A docnum holds any number of values (one for a department, several for persons);
    None stands for no value and is never counted.
    """

    def __init__(self, values: Sequence[Iterable[str | None]]):
        names: dict[str, int] = {}
        codes: list[int] = []
        ends = [0]
        for held in values:
            for value in held:
                if value is not None:
                    codes.append(names.setdefault(value, len(names)))
            ends.append(len(codes))
        self.names = list(names)
        self._codes = np.array(codes, np.int64)
        bounds = np.array(ends, np.int64)
        self._starts, self._counts = bounds[:-1], np.diff(bounds)
        #: Every docnum holds at most one value: a hit's code is found without a gather.
        self._single = bool((self._counts <= 1).all())
        if self._single:
            # The code of each docnum, and a code past the names for those without one.
            self._by_doc = np.full(len(values), len(self.names), np.int64)
            held = self._counts == 1
            self._by_doc[held] = self._codes[self._starts[held]]

    @classmethod
    def single(cls, values: Sequence[str | None]) -> FacetColumn:
        """Return the column of a facet holding at most one value per docnum."""
        return cls([(value,) for value in values])

    def count(self, hits: np.ndarray) -> Counter:
        """Return {value: number of hits holding it} of the docnums in `hits`."""
        if self._single:
            found = self._by_doc[hits]
        else:
            counts = self._counts[hits]
            # The position of each hit's every value in the codes: its start, plus 0, 1...
            firsts = np.cumsum(counts) - counts
            at = np.repeat(self._starts[hits] - firsts, counts) + np.arange(counts.sum())
            found = self._codes[at]
        tally = np.bincount(found, minlength=len(self.names) + 1)[:len(self.names)]
        held = np.flatnonzero(tally)
        return Counter(dict(zip([self.names[i] for i in held], tally[held].tolist())))
