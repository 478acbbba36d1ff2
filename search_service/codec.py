"""Whoosh's W3 codec with posting blocks pickled at protocol 3 instead of 2, uncompressed.

A W3 block is a pickled (ids, weights, values) tuple, and a position-bearing field's
values are bytes. Protocol 2 has no opcode for bytes: it pickles each value as a call
to ``_codecs.encode`` of a latin-1 string, which unpickling then makes. Protocol 3
writes them as they are. On the corpus's frequent bigram blocks that pickles 7x faster,
unpickles 3.9x faster and is 30% smaller before compression (``bench/RESULTS.md``).

Blocks are not zlib-compressed (W3Codec compresses at level 3): with the positions
packed as arrays (``packed.py``) decompressing was 11% of a query's time on the
throughput workload (those queries ran ~20% faster without it) and compressing 6% of
a rebuild, for an index half as large again (275 → 417 MB for the corpus;
``bench/RESULTS.md``).

A block of a PackedPositions field (the bigram fields runs read) holds its id deltas and
weights as arrays and its values end to end (``packed.Values``): unpickling it makes
three objects instead of one per posting, and a run reads many blocks as numpy arrays
(``runquery.keys_for``).

Stored fields (a pickled dict per notice, the body included) are not zlib-compressed
either: decompressing them was 10% of a worker's time on the throughput workload, where
every hit reads its notice (``bench/RESULTS.md``).

Whoosh's reader unpickles whatever protocol a block was written with, so postings
written by ``W3Codec`` and by this codec read the same. A segment keeps its codec,
pickled, in the index's table of contents: keep this class at this import path, and
keep ``stored_compression``'s class default at what segments pickled before it existed
were written with.
"""

from __future__ import annotations

import functools
import zlib
from array import array
from collections.abc import Iterator
from pickle import dumps

from whoosh import columns
from whoosh.codec.whoosh3 import (
    COMPRESSION_MIN_SIZE,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.formats import Format
from whoosh.matching import FilterMatcher, Matcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

from .packed import PackedPositions, Values, smallest

#: The pickle protocol of a block: the first with bytes opcodes and without framing,
#: which would add 9 bytes to every block.
PROTOCOL = 3
#: zlib level of a block (0: stored as pickled). Readers honour each block's own flag.
COMPRESSION = 0
#: zlib level of the stored-fields column written now (0: not compressed).
STORED_COMPRESSION = 0
#: Postings in a block (W3Codec: 128). A common bigram's postings are read block after
#: block for a run's candidates, and each block costs a header, a seek and an unpickling
#: of its own: at 66,730 notices, 512 a block made `/search` over queries.tsv 5.6% faster
#: in sum and its p95 175 -> 154 ms (one process, both indexes, alternating); at 6,673,
#: within the noise (``bench/RESULTS.md``). Readers follow each block's own length.
BLOCK_LIMIT = 512
#: Postings from which a PackedPositions block is written as arrays (``packed.Values``).
PACKED_FROM = 32
#: Term infos (or their absence) a segment's terms reader keeps, most recent first.
TERM_INFOS_KEPT = 20_000
#: Fields whose every term a segment's terms reader holds in a set (read on first use):
#: the schema's fields with few terms that every query looks its words up in. Most of
#: a query's words are in no title, department or author, and finding that out in the
#: segment's hash file was half of a query's term lookups on the throughput workload.
LISTED_FIELDS = frozenset({"title", "title_key", "department", "author"})


class Codec(W3Codec):
    """W3Codec whose postings writer pickles blocks at ``PROTOCOL``, ``COMPRESSION``, and
    whose stored fields are compressed at ``stored_compression``."""

    #: Segments whose codec was pickled before this attribute have zlib level 3 stored
    #: fields (``whoosh3.STORED_COLUMN``); unpickling does not call ``__init__``.
    stored_compression = 3

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = COMPRESSION,
                 inlinelimit: int = 1, stored_compression: int = STORED_COMPRESSION):
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)
        self.stored_compression = stored_compression

    def stored_column(self) -> columns.Column:
        """Return the column type of this codec's stored fields."""
        if self.stored_compression:
            return columns.PickleColumn(columns.CompressedBytesColumn(self.stored_compression))
        return columns.PickleColumn(columns.VarBytesColumn())

    def per_document_writer(self, storage, segment) -> W3PerDocWriter:
        return PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment) -> W3PerDocReader:
        return PerDocReader(storage, segment, self.stored_column())

    def terms_reader(self, storage, segment) -> W3TermsReader:
        # W3Codec.terms_reader (whoosh3 3.54, pinned), but for the class.
        tiname = segment.make_filename(self.TERMS_EXT)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return TermsReader(self, tifile, storage.file_length(tiname), postfile)

    def postings_writer(self, dbfile, byteids: bool = False) -> W3PostingsWriter:
        return PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                              compression=self._compression, inlinelimit=self._inlinelimit)


class PostingsWriter(W3PostingsWriter):
    """W3PostingsWriter with ``_write_block`` pickling at ``PROTOCOL``."""

    def _write_block(self, last: bool = False) -> None:
        # Whoosh 3.54's W3PostingsWriter._write_block, but for the pickle protocol.
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        if (type(self._format) is PackedPositions and not self._byteids
                and len(self._ids) >= PACKED_FROM):
            data = self._packed_data()
        else:
            data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = dumps(data, PROTOCOL)
        comp = self._compression if len(databytes) >= COMPRESSION_MIN_SIZE else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        # Read by the posting reader to skip a block without decompressing it.
        info = (len(ids), ids[-1], self._maxweight, comp,
                length_to_byte(self._minlength), length_to_byte(self._maxlength))
        infobytes = dumps(info, PROTOCOL)
        blocklength = len(infobytes) + len(databytes)
        postfile.write_int(-blocklength if last else blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def _packed_data(self) -> tuple:
        """Return a PackedPositions block as arrays: id deltas, weights and `Values`.

        The same deltas, weights and values as W3's tuples (Whoosh's matchers read
        either), in three buffers rather than an object per posting. Only for blocks of
        PACKED_FROM postings or more: an array's pickle costs ~50 bytes.
        """
        weights = self._mini_weights()
        if type(weights) is tuple:  # neither all 1.0 nor all the same: kept exactly
            source = self._weights
            weights = array(source.typecode if type(source) is array else "d", weights)
        return smallest(delta_encode(self._ids)), weights, Values.of(self._values)


class PerDocWriter(W3PerDocWriter):
    """W3PerDocWriter whose stored fields go to its codec's ``stored_column``."""

    def _create_column(self, fieldname: str, column: columns.Column) -> None:
        if fieldname == "_stored":
            column = self._codec.stored_column()
        super()._create_column(fieldname, column)


class PerDocReader(W3PerDocReader):
    """W3PerDocReader that reads stored fields with the column type they were written with."""

    def __init__(self, storage, segment, stored_column: columns.Column):
        super().__init__(storage, segment)
        self._stored_column = stored_column

    def stored_fields(self, docnum: int) -> dict:
        found = self._cached_reader("_stored", self._stored_column)[docnum]
        return found if found is not None else {}


class TermsReader(W3TermsReader):
    """W3TermsReader that keeps the term infos it last looked up, and knows every term
    of the ``LISTED_FIELDS``.

    A segment never changes, and a query checks that each of its terms is there, asks
    its document frequency and opens its postings: three hash lookups (an md5 each)
    that were 3% of a query on the throughput workload, for the same common bigrams
    query after query.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self._cached = functools.lru_cache(maxsize=TERM_INFOS_KEPT)(self._look_up)
        self._listed: dict[str, frozenset[bytes]] = {}

    def info(self, fieldname: str, tbytes: bytes) -> W3TermInfo | None:
        """Return a term's info, None when the segment does not have it."""
        if fieldname in LISTED_FIELDS:
            listed = self._listed.get(fieldname)
            if listed is None:
                # Built at most twice when threads race; either copy is the same.
                listed = self._listed[fieldname] = frozenset(self._field_terms(fieldname))
            if tbytes not in listed:
                return None
        return self._cached(fieldname, tbytes)

    def _field_terms(self, fieldname: str) -> Iterator[bytes]:
        """Return the field's terms, read in order from the hash file."""
        prefix = self._keycoder(fieldname, b"")
        width = len(prefix)
        for key in self._tindex.keys_from(prefix):
            if not key.startswith(prefix):
                return
            yield key[width:]

    def _look_up(self, fieldname: str, tbytes: bytes) -> W3TermInfo | None:
        try:
            return super().term_info(fieldname, tbytes)
        except TermNotFound:
            return None

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self.info(*term) is not None

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        info = self.info(fieldname, tbytes)
        if info is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return info

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        info = self.info(fieldname, tbytes)
        if info is None:
            raise KeyError(tbytes)  # as W3TermsReader: SegmentReader answers 0
        return info.doc_frequency()


def term_postings(reader: IndexReader, fieldname: str, words: list[bytes],
                  format_: Format) -> list[tuple[int, Matcher]] | None:
    """Return the document frequency and postings of each word of a field in a segment
    (None when one of them is not there), as the reader's own methods give them.

    On a segment of this codec, each word is looked up once: asking the reader whether
    it has the word, its frequency and its postings looks it up three times and
    encodes it again each time (`Run._leaves` 0.37 → 0.30 ms a query on the throughput
    workload, `bench/RESULTS.md`).
    """
    terms = getattr(reader, "_terms", None)
    if type(terms) is not TermsReader:  # a segment written with Whoosh's W3Codec
        if any((fieldname, w) not in reader for w in words):
            return None
        return [(reader.doc_frequency(fieldname, w), reader.postings(fieldname, w))
                for w in words]
    infos = [terms.info(fieldname, w) for w in words]
    if any(info is None for info in infos):
        return None
    deleted = reader.deleted_docs_set
    found = []
    for word, info in zip(words, infos):
        m = terms._codec.postings_reader(terms._postfile, info, format_, term=(fieldname, word))
        if deleted:  # as SegmentReader.postings
            m = FilterMatcher(m, deleted, exclude=True)
        found.append((info.doc_frequency(), m))
    return found
