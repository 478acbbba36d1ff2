"""A Whoosh segment writer that keeps postings grouped by term, for full builds.

Whoosh's ``SegmentWriter`` puts every posting in a sorting pool as a tuple, sorts them
all at commit, then feeds them one at a time to the postings writer, which checks and
appends each to a block and looks up the document's field length for it. That is most
of a build's time and ~180 bytes a posting. This writer appends each posting to its
term's arrays as it is added (~60 bytes, terms included), sorts only the terms, and
hands the postings writer whole blocks: the same W3 blocks, term infos and files, byte
for byte (``tests/test_segwriter.py``), written by the block code of ``codec.Codec``
(the default here) or of any other W3 codec it is given.

It is for new segments of a fresh generation: no deletions, merges, spelling words or
term vectors (the schema has none), which is what ``indexer`` uses it for. Memory is
bounded by ``limitmb``: past it, the postings so far are written as a finished segment
and the writer goes on with a new one (a build of N processes has N segments or more).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from contextlib import contextmanager

from whoosh.codec.whoosh3 import W3PostingsWriter
from whoosh.filedb.structfile import StructFile
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from .codec import Codec

#: A term's postings: document numbers, weights, encoded values, in document order.
#: Weights are kept as doubles: a block's maximum is taken before they become floats.
Postings = tuple[array, array, list]
#: Memory a posting costs while it is held, term and values included: 749 MB a process
#: at peak for 7.7M postings in a build of the corpus, ~300 MB of it the dictionaries.
POSTING_BYTES = 60


class ArraySegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` for a new segment whose postings are kept per term."""

    def __init__(self, ix, limitmb: int = 1024, **kwargs: object) -> None:
        kwargs.setdefault("codec", Codec())
        super().__init__(ix, **kwargs)
        self._max_postings = max(1, limitmb * 1024 * 1024 // POSTING_BYTES)
        self._held = 0  # postings held since the last segment was written
        self._written: list = []  # segments written when the limit was reached
        for name, field in self.schema.items():
            if field.separate_spelling() or field.vector:
                raise ValueError(f"field {name!r}: spelling and vectors are not supported")
        #: Per field, its terms' postings; keyed by text where the field hands terms
        #: as text (schema.AnalysedText.term_postings), else by Whoosh's term bytes.
        self._postings: dict[str, dict[str | bytes, Postings]] = {}
        self._text_keyed = {name for name, field in self.schema.items()
                            if hasattr(field, "term_postings")}
        #: Per field, the length byte of each document (what the lengths column holds).
        self._length_bytes: dict[str, array] = {}

    def add_document(self, **fields: object) -> None:
        """Add a document, as ``SegmentWriter.add_document`` does."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        held = 0
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    terms = self._postings.get(fieldname)
                    if terms is None:
                        terms = self._postings[fieldname] = {}
                    found = field.term_values(value) if fieldname in self._text_keyed else None
                    if found is None:
                        items = (field.term_postings(value) if fieldname in self._text_keyed
                                 else field.index(value))
                        count, length = _add_postings(terms, docnum, boost, items)
                    else:
                        count, length = _add_values(terms, docnum, field.format.field_boost,
                                                    boost, *found)
                    held += count
                    if not field.scorable:
                        length = 0
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None,
                                       length)
                if length:
                    self._set_length_byte(fieldname, docnum, length_to_byte(length))
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column,
                                                  field.to_column_value(stored))
        except ValueError:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        self._held += held
        if self._held >= self._max_postings:
            self._write_segment_and_go_on()

    def _write_segment_and_go_on(self) -> None:
        """Write what is held as a finished segment; go on with a new, empty one."""
        self._written.append(self._finalize_segment())
        codec, storage = self.codec, self.storage
        self.newsegment = codec.new_segment(storage, self.indexname)
        self.compound = self.compound and self.newsegment.should_assemble()
        self.perdocwriter = codec.per_document_writer(storage, self.newsegment)
        self.fieldwriter = codec.field_writer(storage, self.newsegment)
        self.docnum = self.docbase
        self._added = False
        self._held = 0
        self._postings = {}
        self._length_bytes = {}

    def finished_segments(self) -> list:
        """Write what is held; return every segment this writer wrote."""
        if self._added:
            self._written.append(self._finalize_segment())
        else:
            self._close_segment()
        return self._written

    def _commit_toc(self, segments: list) -> None:
        super()._commit_toc(self._written + segments)

    def _set_length_byte(self, fieldname: str, docnum: int, byte: int) -> None:
        column = self._length_bytes.get(fieldname)
        if column is None:
            column = self._length_bytes[fieldname] = array("B")
        if len(column) <= docnum:
            column.extend(bytes(docnum + 1 - len(column)))
        column[docnum] = byte

    def _flush_segment(self) -> None:
        if self.pool.current or self.pool.runs:
            raise RuntimeError("postings were pooled: this writer does not merge segments")
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        with _telling(fieldwriter, "_postfile"), _telling(fieldwriter._tindex, "dbfile"):
            for fieldname in sorted(self._postings):
                terms = self._postings[fieldname]
                if terms:
                    self._write_field(fieldname, terms)
                del self._postings[fieldname]  # give the memory back as fields are written
        fieldwriter.close()

    def _write_field(self, fieldname: str, terms: dict[str | bytes, Postings]) -> None:
        fieldwriter = self.fieldwriter
        lengths = _lengths_by_docnum(self._length_bytes.get(fieldname))
        fieldwriter.start_field(fieldname, self.schema[fieldname])
        text_keyed = fieldname in self._text_keyed
        # Text sorts as its UTF-8 bytes do: both follow code points.
        for term in sorted(terms):
            fieldwriter.start_term(term.encode("utf-8") if text_keyed else term)
            _write_blocks(fieldwriter._postwriter, terms[term], lengths)
            fieldwriter.finish_term()
        fieldwriter.finish_field()


def _add_values(terms: dict, docnum: int, field_boost: float, boost: float,
                positions: dict[str, list[int]], values: list[bytes]) -> tuple[int, int]:
    """Append one document's analysed terms to a field's postings.

    Returns (postings added, the field's length in words). A weight is computed as
    ``index`` would give it and ``_add_postings`` would then scale it, in that order,
    so the floats are the same bit for bit.
    """
    get = terms.get
    for (term, poses), encoded in zip(positions.items(), values):
        postings = get(term)
        if postings is None:
            postings = terms[term] = (array("I"), array("d"), [])
        ids, weights, vals = postings
        ids.append(docnum)
        weights.append(len(poses) * field_boost * boost)
        vals.append(encoded)
    return len(positions), sum(map(len, positions.values()))


def _add_postings(terms: dict, docnum: int, boost: float, items) -> tuple[int, int]:
    """Append (term, freq, weight, value) items to a field's postings; as _add_values."""
    count = length = 0
    for term, freq, weight, vbytes in items:
        postings = terms.get(term)
        if postings is None:
            postings = terms[term] = (array("I"), array("d"), [])
        postings[0].append(docnum)
        postings[1].append(weight * boost)
        postings[2].append(vbytes)
        count += 1
        length += freq
    return count, length


def _lengths_by_docnum(length_bytes: array | None) -> list[int | None]:
    """Return each document's field length as the postings writer is given it.

    Whoosh reads it back from the lengths column: a length byte of 0 (a length of 0
    or 1) reads as None and counts for nothing in a block's minimum and maximum.
    """
    if length_bytes is None:
        return []
    return [byte_to_length(b) if b else None for b in length_bytes]


def _write_blocks(writer: W3PostingsWriter, postings: Postings,
                  lengths: list[int | None]) -> None:
    """Write a term's postings as the blocks ``add_posting`` one at a time would make."""
    ids, weights, values = postings
    limit = writer._blocklimit
    count = len(ids)
    known = len(lengths)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        block_lengths = [lengths[d] for d in block_ids if d < known and lengths[d]]
        writer._ids = block_ids
        writer._weights = array("f", block_weights)
        writer._values = [v for v in values[start:end] if v]
        writer._maxweight = max(0, max(block_weights))
        writer._minlength = min(block_lengths) if block_lengths else None
        writer._maxlength = max(block_lengths) if block_lengths else 0
        writer._write_block(last=end == count)


@contextmanager
def _telling(owner: object, attribute: str) -> Iterator[None]:
    """Give owner's file a position of its own while terms are written, then put it back.

    A buffered file's tell() is a system call, and the postings and term writers ask
    three times a term. Writing the terms only calls write() and tell(); the rest of
    the file's methods (some write past write()) get the real file back.
    """
    real = getattr(owner, attribute)
    setattr(owner, attribute, _TellingFile(real))
    try:
        yield
    finally:
        setattr(owner, attribute, real)


class _TellingFile(StructFile):
    """A file that counts what is written through it to know its position."""

    def __init__(self, wrapped: StructFile) -> None:
        super().__init__(wrapped, name=wrapped._name)
        self._position = wrapped.tell()

    def write(self, data: bytes) -> int:
        self._position += len(data)
        return self.file.write(data)

    def tell(self) -> int:
        return self._position

    def seek(self, *args: object) -> None:
        raise NotImplementedError("postings are written in order")


class _ArraySubWriterTask(SubWriterTask):
    """Whoosh's sub-process of a multi-process writer, writing with ArraySegmentWriter."""

    def run(self) -> None:
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = ArraySegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        # MpWriter takes one result a process: its segment, here a list of them.
        self.resultqueue.put((None, writer.pool.fieldnames, writer.finished_segments()),
                             timeout=5)


class ArrayMpWriter(MpWriter):
    """Whoosh's multi-process writer (one segment per process) with ArraySegmentWriter."""

    def __init__(self, ix, procs: int, limitmb: int = 1024, batchsize: int = 100) -> None:
        codec = Codec()
        super().__init__(ix, procs=procs, batchsize=batchsize, multisegment=True,
                         subargs={"limitmb": limitmb, "codec": codec}, codec=codec)

    def _commit_toc(self, segments: list) -> None:
        flat = []
        for item in segments:
            flat.extend(item if isinstance(item, list) else [item])
        super()._commit_toc(flat)

    def _new_task(self) -> _ArraySubWriterTask:
        task = _ArraySubWriterTask(self.storage, self.indexname, self.jobqueue,
                                   self.resultqueue, self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task
