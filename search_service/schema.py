"""The Whoosh schema and how a notice becomes a Whoosh document.

Two analyses of the same text: character bigrams (``title``, ``body``,
``department``, ``author``) match any run of characters exactly, which is the
contract's recall guarantee; jieba words (``*_words``) rank by the words people
mean. Facets, filters and sorts read precomputed columns, never dates parsed at
query time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pickle import dumps

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from . import packed
from .analysis import JiebaTokenizer, NgramTokenizer, normalised
from .notice import FIELDS, Notice
from .packed import PackedPositions
from .textnorm import collapse_spaces

#: The fields a query part matches, with their n-gram fields' names.
TEXT_FIELDS = ("title", "body", "department", "author")
#: Sort keys for missing dates, so that undated notices come last in both orders.
NO_DATE = 99_999_999


class AnalysedText(TEXT):
    """A TEXT field whose analyzer hands indexing {term: positions} in one call.

    Whoosh's own path makes a Token per occurrence and collects them in its format;
    this builds the same postings (terms, frequencies, weights, encoded positions)
    directly, about half the Python work per occurrence. Queries and highlighting
    still use the analyzer as a Whoosh tokenizer. Whoosh pickles the field into the
    index's table of contents: keep this class at this import path.

    With ``phrase=True`` positions are stored packed (``packed.PackedPositions``).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if type(self.format) is Positions:
            self.format = PackedPositions(field_boost=self.format.field_boost)

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """Yield (term bytes, frequency, weight, encoded value) for each distinct term."""
        if kwargs or not self._fast(value):
            yield from super().index(value, **kwargs)
            return
        for term, freq, weight, encoded in self.term_postings(value):
            yield term.encode("utf-8"), freq, weight, encoded

    def term_postings(self, value: object) -> Iterator[tuple[str, int, float, bytes]]:
        """Yield what ``index`` does with each term as text, not yet encoded."""
        found = self.term_values(value)
        if found is None:
            for tbytes, freq, weight, encoded in super().index(value):
                yield tbytes.decode("utf-8"), freq, weight, encoded
            return
        positions, values = found
        boost = self.format.field_boost
        for (term, poses), encoded in zip(positions.items(), values):
            freq = len(poses)
            yield term, freq, float(freq) * boost, encoded

    def term_values(self, value: object) -> tuple[dict[str, list[int]], list[bytes]] | None:
        """Return ({term: positions}, each term's encoded value in the same order).

        None when only Whoosh's own ``index`` can index value (not text, or a format
        this does not build). ``segwriter.ArraySegmentWriter`` appends these straight
        to its postings: a term's frequency is its number of positions and its weight
        that times the field's boost, as ``index`` gives them.
        """
        if not self._fast(value):
            return None
        positions = self.analyzer.term_positions(value)
        kind = type(self.format)
        if kind is PackedPositions:
            one, many = _one_packed, packed.encode
        elif kind is Frequency:
            return positions, [_count_bytes(len(poses)) for poses in positions.values()]
        else:
            one, many = _one_position_bytes, _positions_bytes
        return positions, [one(poses[0]) if len(poses) == 1 else many(poses)
                           for poses in positions.values()]

    def _fast(self, value: object) -> bool:
        return (isinstance(value, str) and hasattr(self.analyzer, "term_positions")
                and type(self.format) in (PackedPositions, Positions, Frequency))


class NormalisedColumn(COLUMN):
    """A column of a text as ``textnorm.normalise`` gives it, UTF-8; given the text.

    The writer adds fields in name order, so the body's column is written between its
    bigram and word analyses, and ``analysis.normalised`` has its answer already.
    """

    def __init__(self) -> None:
        super().__init__(VarBytesColumn())

    def to_column_value(self, value: object) -> bytes:
        return normalised(str(value)).encode("utf-8")


# Whoosh's writer holds every posting of a run in memory until it sorts them: sharing
# one bytes object per small value saves ~40 bytes a posting.
@functools.lru_cache(maxsize=4096)
def _count_bytes(freq: int) -> bytes:
    """Return what Frequency encodes for a count."""
    return pack_uint(freq)


@functools.lru_cache(maxsize=200_000)
def _one_packed(pos: int) -> bytes:
    """Return what PackedPositions encodes for a term that occurs once, at pos."""
    return packed.encode((pos,))


def _positions_bytes(poses: list[int]) -> bytes:
    """Return what Positions.encode writes: a count, then the pickled deltas."""
    deltas = [poses[0]]
    deltas.extend(b - a for a, b in zip(poses, poses[1:]))
    return pack_uint(len(poses)) + dumps(deltas, 2)


@functools.lru_cache(maxsize=200_000)
def _one_position_bytes(pos: int) -> bytes:
    """Return what Positions (generations before PackedPositions) encodes for one pos."""
    return pack_uint(1) + dumps([pos], 2)


def build_schema() -> Schema:
    """Return the schema every generation of the index is built with."""
    ngrams = NgramTokenizer()
    words = JiebaTokenizer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=AnalysedText(analyzer=ngrams, stored=True, phrase=True),
        body=AnalysedText(analyzer=ngrams, stored=True, phrase=True),
        department=AnalysedText(analyzer=ngrams, stored=True, phrase=True),
        author=AnalysedText(analyzer=ngrams, stored=True, phrase=True),
        title_words=AnalysedText(analyzer=words, phrase=False),
        # The whole normalised title as one term: a query that is a title finds it first.
        title_key=ID(),
        body_words=AnalysedText(analyzer=words, phrase=False),
        department_facet=ID(sortable=True),
        author_facet=ID(sortable=True),
        date=ID(stored=True, sortable=True),
        date_key=NUMERIC(numtype=int, bits=32, sortable=True),
        url=STORED(),
        extra=STORED(),
        content_hash=ID(stored=True, sortable=True),
        # The notice's own document number (发文字号), normalised: the doc_number filter.
        doc_number=ID(stored=True, sortable=True),
        # Every document number it carries or cites, normalised: a query that is a number.
        numbers=KEYWORD(lowercase=False, scorable=True),
        # What links.py resolves across notices (citations, people, versions, SimHash).
        links=COLUMN(VarBytesColumn()),
        # The body as textnorm.normalise gives it, UTF-8: a hit's snippet is found in it,
        # which is cheaper than normalising the stored body of every hit.
        body_norm=NormalisedColumn(),
    )


def to_document(notice: Notice, links: dict[str, object] | None = None) -> dict[str, object]:
    """Return the Whoosh document for a notice (only fields that have values).

    `links` is what :class:`enrich.Enricher` extracted from the notice, if anything.
    """
    doc: dict[str, object] = {
        "id": notice.id,
        "title": notice.title,
        "body": notice.body,
        "title_words": notice.title,
        "title_key": title_key(notice.title),
        "body_words": notice.body,
        "content_hash": notice.content_hash(),
        "body_norm": notice.body,
        "date_key": int(notice.date.replace("-", "")) if notice.date else NO_DATE,
    }
    if notice.date:
        doc["date"] = notice.date
    if notice.department:
        doc["department"] = notice.department
        doc["department_facet"] = notice.department
    if notice.author:
        doc["author"] = notice.author
        doc["author_facet"] = notice.author
    if notice.url:
        doc["url"] = notice.url
    if notice.extra:
        doc["extra"] = json.dumps(notice.extra, ensure_ascii=False)
    if links:
        doc["links"] = json.dumps(links, ensure_ascii=False, separators=(",", ":")).encode()
        numbers = [c["number"] for c in links.get("cites", ()) if c.get("number")]
        if links.get("doc_number"):
            doc["doc_number"] = links["doc_number"]
            numbers.insert(0, links["doc_number"])
        if numbers:
            doc["numbers"] = " ".join(numbers)
    return doc


def title_key(text: str) -> str:
    """Return the exact-title key of a title or a query: normalised, spaces collapsed."""
    return collapse_spaces(text)


def notice_from_stored(stored: dict[str, object]) -> Notice:
    """Return the Notice a document was made from (its stored fields keep all of it)."""
    extra = stored.get("extra")
    return Notice(
        id=str(stored["id"]),
        title=str(stored.get("title") or ""),
        date=stored.get("date"),  # type: ignore[arg-type]
        department=stored.get("department"),  # type: ignore[arg-type]
        author=stored.get("author"),  # type: ignore[arg-type]
        url=stored.get("url"),  # type: ignore[arg-type]
        body=str(stored.get("body") or ""),
        extra=json.loads(extra) if isinstance(extra, str) else {},
    )


def from_stored(stored: dict[str, object]) -> dict[str, object]:
    """Return the contract's notice object from a document's stored fields."""
    out: dict[str, object] = {name: stored.get(name) for name in FIELDS}
    out["body"] = out["body"] or ""
    extra = stored.get("extra")
    if isinstance(extra, str):
        for key, value in json.loads(extra).items():
            out.setdefault(key, value)
    return out
