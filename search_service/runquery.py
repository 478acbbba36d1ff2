"""An exact run of consecutive tokens in one field, matched by position-set intersection.

Whoosh's `Phrase` goes through its generic span machinery (`SpanNear2`), which
was ~70% of a slow query's time on bigram fields. A run of bigrams needs much
less: the documents that hold every bigram, then one set intersection of
positions per document, rarest bigram first so most candidates are dropped
after decoding one or two position lists.

The matches are found in bulk when the matcher is made (posting blocks read whole,
deltas summed in C, blocks that cannot hold a candidate skipped), rather than by
leap-frogging matchers document by document; the matcher then walks a list. A run
with many candidates (a common phrase: 外交部, 依法追究刑事责任) intersects every
candidate's positions at once, as sorted arrays of (docnum, position) keys.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator, Sequence
from itertools import accumulate, islice
from pickle import loads

import numpy as np
from whoosh import formats, matching
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import wrappers
from whoosh.query import qcore
from whoosh.system import _INT_SIZE

from .codec import term_postings
from .packed import KEY_SHIFT, ONE_SHORT, PackedPositions, Values, keys, keys_of, only, view


class Run(qcore.Query):
    """Documents where `words` occur at consecutive positions of `fieldname`."""

    def __init__(self, fieldname: str, words: Sequence[str], boost: float = 1.0):
        self.fieldname = fieldname
        self.words = list(words)
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Run) and self.fieldname == other.fieldname
                and self.words == other.words and self.boost == other.boost)

    def __hash__(self) -> int:
        return hash((Run, self.fieldname, tuple(self.words), self.boost))

    def __repr__(self) -> str:
        return f"Run({self.fieldname!r}, {self.words!r}, boost={self.boost})"

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Iterator[tuple[str, str]]:
        for word in self.words:
            yield self.fieldname, word

    def normalize(self) -> qcore.Query:
        return self

    def estimate_size(self, ixreader) -> int:
        return min(ixreader.doc_frequency(self.fieldname, w) for w in self.words)

    def estimate_min_size(self, ixreader) -> int:
        return 0

    def _leaves(self, searcher) -> tuple[list, list[int], object, int] | None:
        """Return the postings of each word, rarest first, their offsets, the scorer and
        the rarest word's document frequency (in this segment)."""
        field = searcher.schema[self.fieldname]
        words = [field.to_bytes(w) for w in self.words]
        found = term_postings(searcher.reader(), self.fieldname, words, field.format)
        if found is None:
            return None
        order = sorted(range(len(words)), key=lambda i: found[i][0])
        return ([found[i][1] for i in order], order, self._scorer(searcher, words),
                found[order[0]][0])

    def _scorer(self, searcher, words: list[bytes]):
        """Return the scorer of the word rarest in the whole index (the first of equals).

        Not the segment's rarest: how a rebuild's processes split the notices into
        segments would then choose the idf, and the same index built twice would rank
        differently.
        """
        # The highest idf is the lowest document frequency (idf falls as it rises), and
        # the top searcher keeps every idf it has computed for the generation's life.
        top = searcher.get_parent()
        idfs = [top.idf(self.fieldname, w) for w in words]
        rarest = words[idfs.index(max(idfs))]
        return searcher.weighting.scorer(searcher, self.fieldname, rarest)

    def matcher(self, searcher, context=None) -> matching.Matcher:
        scorer, counts = self.counts(searcher)
        if scorer is None:
            return matching.NullMatcher()
        return RunMatcher(counts, scorer, self.boost)

    def counts(self, searcher, within: Collection[int] | None = None
               ) -> tuple[object, dict[int, int]]:
        """Return the scorer and {docnum: run count} of every match, found in bulk.

        The same matches and counts as walking the matcher, a posting list at a time:
        each word's postings are read once, candidates are the documents holding every
        word, and positions are decoded only for candidates, rarest word first.
        `within`: only these docnums are candidates (the others are not wanted).
        """
        found = self._leaves(searcher)
        if found is None:
            return None, {}
        leaves, offsets, scorer, rarest = found
        # The field's format, not the matcher's: in a segment with deletions the postings
        # come wrapped in a FilterMatcher, which has none.
        fmt = searcher.schema[self.fieldname].format
        packed = type(fmt) is PackedPositions
        if packed and len(leaves) > 1 and rarest >= BULK:
            # Many candidates: every word's positions as keys, the rarest's included.
            return scorer, _bulk_counts(_starts(leaves[0], within, rarest), leaves[1:],
                                        offsets)
        if within is None or len(within) > rarest:
            # Every posting of the rarest word, less those outside `within`: cheaper than
            # putting a larger `within` in order (every field's Run of a part gets one).
            ids, _, values = read_postings(leaves[0])
            if within is not None:
                ids, values = _kept(ids, values, within)
            first = dict(zip(ids, values))
        else:
            wanted = sorted(within)
            first = values_for(leaves[0], wanted)
            ids = [d for d in wanted if d in first]
        if packed:
            return scorer, _packed_counts(ids, first, leaves[1:], offsets)
        lists = [first]
        for m in leaves[1:]:
            # Only the blocks that can hold a remaining candidate are decoded.
            lists.append(values_for(m, ids))
            ids = [d for d in ids if d in lists[-1]]
        decode = _positions_decoder(fmt)
        pairs = [(values, offset, decode) for values, offset in zip(lists, offsets)]
        out: dict[int, int] = {}
        for docnum in ids:
            starts: set[int] | None = None
            for values, offset, decode in pairs:
                here = decode(values[docnum], offset)
                # intersection() takes the iterator as it is: no set of it is built.
                starts = set(here) if starts is None else starts.intersection(here)
                if not starts:
                    break
            if starts:
                out[docnum] = len(starts)
        return scorer, out


#: Documents of a run's rarest word from which the run's positions are intersected as
#: arrays, all at once (``_bulk_counts``); below it, candidate by candidate.
BULK = 96


def _packed_counts(ids: list[int], first: dict[int, bytes], leaves: list,
                   offsets: list[int]) -> dict[int, int]:
    """Return {docnum: run count} for the candidates `ids` of the rarest word (fewer
    than BULK), whose PackedPositions values are `first`; `leaves` are the other words'
    postings.

    A word at a time, each candidate keeps the positions of the word last intersected
    that still begin a run; moving to the next word shifts them by the two words'
    distance, then keeps those the next word has (the shift is over the few survivors,
    the word's own positions are read straight from their bytes). A candidate is
    dropped as soon as none is left, so the next words' postings are read only in the
    blocks of the candidates still in the running.

    A candidate's positions are its raw value until first read, then an int when there
    is one (most candidates: checked by comparing two ints, no set made), else a set.
    """
    if not leaves:
        return {d: len(view(first[d])) for d in ids}
    starts: dict[int, int | set[int] | bytes] = dict(zip(ids, map(first.__getitem__, ids)))
    before = offsets[0]
    for m, offset in zip(leaves, offsets[1:]):
        shift, before = offset - before, offset
        values = values_for(m, list(starts))
        kept: dict[int, int | set[int] | bytes] = {}
        for docnum, here in starts.items():
            value = values.get(docnum)
            if value is None:
                continue
            if type(here) is bytes:
                here = only(here) if len(here) == ONE_SHORT else view(here)
            if type(here) is int:
                at = here + shift
                if (only(value) == at) if len(value) == ONE_SHORT else (at in view(value)):
                    kept[docnum] = at
                continue
            found = set(map(shift.__add__, here)).intersection(view(value))
            if found:
                kept[docnum] = found.pop() if len(found) == 1 else found
        if not kept:
            return {}
        starts = kept
    return {d: 1 if type(found) is int else len(found) for d, found in starts.items()}


def _starts(m: matching.Matcher, within: Collection[int] | None, rarest: int) -> np.ndarray:
    """Return the keys of the rarest word's postings `m` (of `rarest` documents), only
    those of the documents in `within` when it is given."""
    if within is None:
        return keys_for(m)
    if len(within) > rarest:  # cheaper than putting a larger `within` in order
        starts = keys_for(m)
        return starts[np.isin(starts >> KEY_SHIFT, np.fromiter(within, np.int64, len(within)))]
    return keys_for(m, np.array(sorted(within), np.int64))


def _bulk_counts(starts: np.ndarray, leaves: list, offsets: list[int]) -> dict[int, int]:
    """_packed_counts for many candidates: the same counts, a word at a time in C.

    Every position of a word is a key `docnum << KEY_SHIFT | position` (packed.keys),
    ascending. The run's starts are the rarest word's keys; each other word keeps the
    starts whose key plus the two words' distance is one of its own keys (a sorted
    search), and reads its postings only for the documents still holding a start.
    """
    for m, offset in zip(leaves, offsets[1:]):
        docs = starts >> KEY_SHIFT
        # Sorted: each document's starts are together, so its first one marks it.
        there = keys_for(m, docs[np.flatnonzero(np.diff(docs, prepend=-1))])
        if not len(there):
            return {}
        targets = starts + (offset - offsets[0])
        at = np.searchsorted(there, targets)
        at[at == len(there)] = 0
        starts = starts[there[at] == targets]
        if not len(starts):
            return {}
    docs, counts = np.unique(starts >> KEY_SHIFT, return_counts=True)
    return dict(zip(docs.tolist(), counts.tolist()))


def _kept(ids: list[int], values: list, within: Collection[int]) -> tuple[list, list]:
    """Return the ids in `within` and their values, in order."""
    picked = [i for i, d in enumerate(ids) if d in within]
    return [ids[i] for i in picked], [values[i] for i in picked]


class RunMatcher(matching.Matcher):
    """Walks the documents of a run, found in bulk by `Run.counts`, in docnum order."""

    def __init__(self, counts: dict[int, int], scorer, boost: float):
        self._ids = sorted(counts)
        self._counts = counts
        self._i = 0
        self.scorer = scorer
        self.boost = boost

    def is_active(self) -> bool:
        return self._i < len(self._ids)

    def id(self) -> int:
        return self._ids[self._i]

    def next(self) -> None:
        self._i += 1

    def skip_to(self, target: int) -> None:
        if self._i < len(self._ids) and self._ids[self._i] < target:
            self._i = bisect_left(self._ids, target, self._i)

    def weight(self) -> float:
        return float(self._counts[self._ids[self._i]])

    def score(self) -> float:
        return self.scorer.score(self) * self.boost

    def max_quality(self) -> float:
        # The rarest bigram occurs at least as often as the run, so its bound holds.
        try:
            return self.scorer.max_quality() * self.boost
        except Exception:  # a weighting without quality bounds
            return float("inf")

    def supports(self, astype: str) -> bool:
        return False

    def supports_block_quality(self) -> bool:
        return False

    def copy(self) -> RunMatcher:
        raise NotImplementedError("RunMatcher is single-pass")

    def term(self):
        return None

    def reset(self) -> None:
        raise NotImplementedError("RunMatcher is single-pass")


def _positions_decoder(fmt: formats.Format):
    """Return f(value, offset) → the positions - offset of a posting value of this format."""
    if type(fmt) is formats.Positions:
        def decode(value: bytes, offset: int) -> Iterator[int]:
            # Positions.decode_positions (a pickled list of deltas), summed in C.
            if not value.endswith(b"."):
                value += b"."
            return islice(accumulate(loads(value[_INT_SIZE:]), initial=-offset), 1, None)
        return decode
    slow = fmt.decoder("positions")
    return lambda value, offset: (p - offset for p in slow(value))


def read_postings(m: matching.Matcher, values: bool = True) -> tuple[list, list, list]:
    """Return (ids, weights, values) of a postings matcher from where it stands, to its end.

    The matcher is consumed. Values are the raw encoded posting values (only when asked).
    Reads the blocks of whoosh3's W3LeafMatcher directly (the version is pinned).
    """
    ids: list[int] = []
    weights: list[float] = []
    vals: list = []
    if type(m) is W3LeafMatcher:
        while m.is_active():
            if m._ids is None:
                if m._data is None:
                    m._read_data()
                raw = m._data[0]
                # The same running sum as whoosh.util.numlists.delta_decode, in C.
                m._ids = raw if m._byteids else tuple(accumulate(raw))
            if m._weights is None:
                m._read_weights()
            i = m._i
            ids.extend(m._ids[i:])
            weights.extend(m._weights[i:])
            if values:
                if m._values is None:
                    m._read_values()
                vals.extend(m._values[i:])
            m._i = m._blocklength
            m._next_block()
        return ids, weights, vals
    if type(m) is wrappers.FilterMatcher:
        cids, cweights, cvals = read_postings(m.child, values)
        keep = m._ids
        exclude = m._exclude
        picked = [i for i, d in enumerate(cids) if (d in keep) != exclude]
        return ([cids[i] for i in picked], [cweights[i] for i in picked],
                [cvals[i] for i in picked] if values else [])
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return ids, weights, vals


def values_for(m: matching.Matcher, wanted: list[int]) -> dict[int, bytes]:
    """Return {docnum: raw value} of a postings matcher's postings for the wanted docnums.

    `wanted` is sorted. Blocks of a W3LeafMatcher that end before the next wanted docnum
    are skipped without being decompressed. The matcher is consumed.
    """
    if type(m) is not W3LeafMatcher:
        ids, _, values = read_postings(m)
        keep = set(wanted)
        return {d: v for d, v in zip(ids, values) if d in keep}
    return _wanted(m, wanted, "_values", m._read_values)


def weights_for(m: W3LeafMatcher, wanted: list[int]) -> dict[int, float]:
    """Return {docnum: weight} of a W3LeafMatcher's postings for the wanted docnums.

    As values_for: `wanted` is sorted, blocks that cannot hold one are not read.
    """
    return _wanted(m, wanted, "_weights", m._read_weights)


def keys_for(m: matching.Matcher, wanted: np.ndarray | None = None) -> np.ndarray:
    """Return packed.keys of a PackedPositions postings matcher's postings (only those
    of the wanted docnums, sorted, when given), ascending. The matcher is consumed.

    A W3LeafMatcher's blocks that cannot hold a wanted docnum are skipped, as in
    values_for; the others are read as arrays (``packed.Values`` blocks, each a few
    buffers) and joined, and the wanted postings picked from them with masks.
    """
    if type(m) is not W3LeafMatcher:
        if wanted is None:
            ids, _, values = read_postings(m)
            return keys(ids, values)
        found = values_for(m, wanted.tolist())
        return keys(list(found), list(found.values()))
    deltas: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    blobs: list[bytes] = []
    for _ in _blocks(m, None if wanted is None else wanted.tolist()):
        raw, _, values = m._data
        if type(values) is Values:
            deltas.append(np.frombuffer(raw, raw.typecode))
            lengths.append(np.frombuffer(values.lengths, values.lengths.typecode))
            blobs.append(values.blob)
        else:  # a small block, or one written before Values: W3's tuples
            deltas.append(np.array(raw, np.int64))
            lengths.append(np.fromiter(map(len, values), np.int64, len(values)))
            blobs.append(b"".join(values))
    if not deltas:
        return np.zeros(0, np.int64)
    # Each block's deltas start from 0: a running sum over all of them, less what the
    # blocks before each one added up to.
    sizes = np.fromiter(map(len, deltas), np.int64, len(deltas))
    ids = np.cumsum(np.concatenate(deltas), dtype=np.int64)
    ids -= np.repeat(np.concatenate(([0], ids[np.cumsum(sizes)[:-1] - 1])), sizes)
    all_lengths = np.concatenate(lengths).astype(np.int64)
    raw = np.frombuffer(b"".join(blobs), np.uint8)
    if wanted is not None:
        at = np.searchsorted(wanted, ids)
        at[at == len(wanted)] = 0
        picked = wanted[at] == ids
        if not picked.all():
            raw = raw[np.repeat(picked, all_lengths)]
            ids, all_lengths = ids[picked], all_lengths[picked]
    return keys_of(ids, all_lengths, raw)


#: A block holding fewer than one wanted docnum in this many is searched by bisection.
_DENSE = 4


def _wanted(m: W3LeafMatcher, wanted: list[int], attribute: str, read) -> dict:
    """Return {docnum: the block attribute's item} of the wanted docnums, block by block.

    A block holding few of them finds each by bisection; one holding many, by a dict of
    the block (building it costs about as much as bisecting for a quarter of a block).
    """
    out: dict = {}
    for i, end in _blocks(m, wanted):
        raw = m._data[0]
        ids = raw if m._byteids else tuple(accumulate(raw))
        if getattr(m, attribute) is None:
            read()
        items = getattr(m, attribute)
        first = m._i
        if (end - i) * _DENSE < len(ids) - first:
            for d in wanted[i:end]:
                k = bisect_left(ids, d, first)
                if ids[k] == d:  # k < len(ids): d <= ids[-1]
                    out[d] = items[k]
                    first = k + 1
        else:
            block = dict(zip(ids[first:], items[first:]))
            for d in wanted[i:end]:
                found = block.get(d)
                if found is not None:
                    out[d] = found
    return out


def _blocks(m: W3LeafMatcher, wanted: list[int] | None) -> Iterator[tuple[int, int]]:
    """Stop at each block of m that can hold a wanted docnum (sorted; None: every block),
    its data read, and yield the range [i, end) of `wanted` it spans. Consumes m.

    Blocks that end before the next wanted docnum are skipped on their headers alone.
    """
    i, count = 0, 0 if wanted is None else len(wanted)
    while m.is_active() and (wanted is None or i < count):
        maxid = m._maxid
        if wanted is not None and maxid < wanted[i]:
            m._next_block()
            continue
        end = count if wanted is None else bisect_right(wanted, maxid, i)
        if m._data is None:
            m._read_data()
        yield i, end
        i = end
        m._i = m._blocklength
        m._next_block()
