"""codec.Codec writes posting blocks Whoosh reads back as it reads its own codec's."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from search_service.codec import Codec
from search_service.enrich import Enricher
from search_service.packed import KEY_SHIFT, Values
from search_service.runquery import Run, keys_for, values_for
from search_service.schema import build_schema, to_document
from search_service.sources import Parsed, read_sources

from .conftest import SAMPLES
from .served import containing

SOURCE = SAMPLES / "notices.jsonl"


def _index(directory: Path, codec):
    """Index the bundled 270 notices as one segment written with codec."""
    enricher = Enricher.from_dir()
    ix = FileStorage(str(directory)).create_index(build_schema())
    writer = SegmentWriter(ix, compound=False, codec=codec)
    for item in read_sources([SOURCE]):
        if isinstance(item, Parsed):
            writer.add_document(**to_document(item.notice, enricher.links(item.notice)))
    writer.commit()
    return ix


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory):
    """The same notices indexed with our codec, Whoosh's and Whoosh's uncompressed."""
    return (_index(tmp_path_factory.mktemp("ours"), Codec()),
            _index(tmp_path_factory.mktemp("whoosh"), W3Codec()),
            _index(tmp_path_factory.mktemp("plain"), W3Codec(compression=0)))


def _postings(reader) -> dict[tuple[str, bytes], tuple[list, list, list]]:
    """Every posting of every 7th term and of every term in more than one block."""
    out = {}
    terms = list(reader.all_terms())
    for i, (field, term) in enumerate(terms):
        if i % 7 and reader.doc_frequency(field, term) <= 128:
            continue
        m = reader.postings(field, term)
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
        out[field, term] = ids, weights, values
    return out


def test_postings_read_back_as_whoosh_codecs_do(indexes) -> None:
    ours, whoosh, _ = indexes
    with ours.reader() as a, whoosh.reader() as b:
        postings = _postings(a)
        assert postings == _postings(b)
        # Every field, and terms of several of Whoosh's blocks (more than 128 postings).
        assert {field for field, _ in postings} >= {"body", "title", "body_words", "id"}
        assert max(len(ids) for ids, _, _ in postings.values()) > 128
    # A run's matches, found from the raw block values, are the notices holding it.
    records = {r.notice.id: vars(r.notice) for r in read_sources([SOURCE])
               if isinstance(r, Parsed)}
    with ours.searcher() as a, whoosh.searcher() as b:
        run = Run("body", ["人民", "民政", "政府"])
        found = run.counts(a)[1]
        assert found == run.counts(b)[1]
        expected = containing(records, "人民政府", fields=("body",))
        assert {a.stored_fields(d)["id"] for d in found} == expected
        assert len(expected) > 128


def _postings_file(ix) -> bytes:
    (segment,) = ix._segments()
    return (Path(ix.storage.folder) / f"{segment.segment_id()}.pst").read_bytes()


def test_blocks_hold_bytes_without_codecs_calls(indexes) -> None:
    # Protocol 2 pickles every bytes value as a _codecs.encode call; protocol 3 does not.
    ours, whoosh, plain = indexes
    assert b"_codecs" in _postings_file(whoosh)
    assert b"_codecs" in _postings_file(plain)
    assert b"_codecs" not in _postings_file(ours)
    # The same blocks, uncompressed both: protocol 3 is the smaller.
    assert len(_postings_file(ours)) < len(_postings_file(plain))


def _block_kinds(m) -> list[str]:
    """Whether each block of a postings matcher holds `Values` or W3's tuple."""
    kinds = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        kinds.append("values" if type(m._data[2]) is Values else "tuple")
        m._next_block()
    return kinds


def test_packed_blocks_read_as_arrays_and_as_whoosh_reads_them(tmp_path, indexes) -> None:
    # Blocks of 40: a common bigram spans several blocks of Values and ends in a small
    # block of W3 tuples. keys_for over them, for any wanted docnums, is every position
    # of those documents as Whoosh's own matcher decodes it.
    small = _index(tmp_path, Codec(blocklimit=40))
    _, whoosh, _ = indexes
    rng = random.Random(4)
    kinds: set[tuple[str, ...]] = set()
    with small.reader() as reader, whoosh.reader() as theirs:
        assert _postings(reader) == _postings(theirs)
        for field, term in reader.all_terms():
            if field != "body" or reader.doc_frequency(field, term) < 20:
                continue
            kinds.add(tuple(sorted(set(_block_kinds(reader.postings(field, term))))))
            positions = dict(theirs.postings(field, term).items_as("positions"))
            docs = sorted(positions)
            every = keys_for(reader.postings(field, term))
            assert every.tolist() == [d << KEY_SHIFT | p for d in docs for p in positions[d]]
            for wanted in (docs, sorted(rng.sample(docs, len(docs) // 3)),
                           sorted(rng.sample(range(300), 40)), docs[-1:], []):
                expected = [d << KEY_SHIFT | p for d in wanted if d in positions
                            for p in positions[d]]
                found = keys_for(reader.postings(field, term), np.array(wanted, np.int64))
                assert found.tolist() == expected, (term, wanted)
                by_value = values_for(reader.postings(field, term), wanted)
                assert by_value == {d: theirs_value for d, theirs_value in
                                    zip(*_values(theirs, field, term)) if d in set(wanted)}
    assert {("values",), ("tuple",), ("tuple", "values")} <= kinds


def _values(reader, field: str, term: bytes) -> tuple[list, list]:
    m = reader.postings(field, term)
    ids, values = [], []
    while m.is_active():
        ids.append(m.id())
        values.append(m.value())
        m.next()
    return ids, values


def _block_compressions(ix) -> set[int]:
    """The zlib level of every block of every term in more than one block."""
    levels = set()
    with ix.reader() as reader:
        for field, term in reader.all_terms():
            if reader.doc_frequency(field, term) <= 128:
                continue
            m = reader.postings(field, term)
            while m.is_active():
                levels.add(m._compression)
                m._next_block()
    return levels


def test_blocks_are_stored_uncompressed(indexes) -> None:
    ours, whoosh, _ = indexes
    assert _block_compressions(ours) == {0}
    assert 3 in _block_compressions(whoosh)  # its blocks under 80 bytes are not


def _stored_file(ix) -> bytes:
    """The stored-fields column of a segment written with compound=False."""
    (segment,) = ix._segments()
    return (Path(ix.storage.folder) / f"{segment.segment_id()}._stored.col").read_bytes()


def test_stored_fields_are_written_uncompressed_and_read_back(indexes) -> None:
    ours, whoosh, _ = indexes
    with ours.reader() as a, whoosh.reader() as b:
        assert a.doc_count_all() == b.doc_count_all() == 270
        stored = [a.stored_fields(n) for n in range(a.doc_count_all())]
        assert stored == [b.stored_fields(n) for n in range(b.doc_count_all())]
    # A body's text is in our column file as it is (pickled UTF-8), not in Whoosh's.
    body = max((s["body"] for s in stored), key=len).encode("utf-8")
    assert len(body) > 10_000
    assert body in _stored_file(ours)
    assert body not in _stored_file(whoosh)


def test_a_codec_pickled_before_stored_compression_reads_compressed_fields(tmp_path) -> None:
    # Segments written before the attribute existed carry a Codec without it, and their
    # stored fields are compressed as whoosh3's STORED_COLUMN compresses them.
    old = Codec()
    del old.stored_compression
    assert old.stored_compression == 3
    ix = _index(tmp_path, old)
    body = None
    with ix.reader() as reader:
        (segment,) = ix._segments()
        assert "stored_compression" not in vars(segment.codec())
        body = reader.stored_fields(0)["body"]
    assert body and body.encode("utf-8") not in _stored_file(ix)


@pytest.mark.parametrize("which", [0, 1], ids=["ours", "whoosh"])
def test_weights_and_values_for_wanted_documents_skip_nothing_they_hold(indexes,
                                                                          which) -> None:
    from search_service.runquery import read_postings, values_for, weights_for

    # Ours has blocks of BLOCK_LIMIT postings, Whoosh's of 128: more of them, skipped.
    with indexes[which].reader() as reader:
        long_terms = [(f, t) for f, t in reader.all_terms()
                      if f in ("body", "body_words") and reader.doc_frequency(f, t) > 128]
        assert len(long_terms) > 20
        for k, (field, term) in enumerate(long_terms):
            ids, weights, values = read_postings(reader.postings(field, term))
            # Every document, every 7th and every 61st, and one past the last: blocks
            # are read whole (a dict of each), searched (bisection) or skipped.
            for step in (1, 7, 61):
                wanted = list(range(k % step, reader.doc_count_all() + 1, step))
                keep = set(wanted)
                assert weights_for(reader.postings(field, term), wanted) == {
                    d: w for d, w in zip(ids, weights) if d in keep}
                assert values_for(reader.postings(field, term), wanted) == {
                    d: v for d, v in zip(ids, values) if d in keep}
            assert weights_for(reader.postings(field, term), []) == {}


def test_terms_reader_keeps_lookups_that_answer_as_whooshs(indexes) -> None:
    from whoosh.codec.whoosh3 import W3TermsReader

    from search_service import codec

    ours, _, _ = indexes
    with ours.reader() as reader:
        (leaf, _), = reader.leaf_readers()
        kept = leaf._terms
        assert type(kept) is codec.TermsReader
        (segment,) = ours._segments()
        plain = W3Codec().terms_reader(ours.storage, segment)
        assert type(plain) is W3TermsReader
        # Every term of the fields kept as sets, a sample of the others, and misses.
        missing = [(field, "没有这个".encode()) for field in ("body", *sorted(codec.LISTED_FIELDS))]
        terms = [t for i, t in enumerate(reader.all_terms())
                 if t[0] in codec.LISTED_FIELDS or i % 50 == 0] + missing + [("nofield", b"x")]
        assert {field for field, _ in terms} >= codec.LISTED_FIELDS
        for _ in range(2):  # the second time from what was kept
            for term in terms:
                assert (term in kept) == (term in plain)
                if term in plain:
                    assert vars(kept.term_info(*term)) == vars(plain.term_info(*term))
                    assert kept.doc_frequency(*term) == plain.doc_frequency(*term)
        assert kept._cached.cache_info().hits >= len(terms)
        assert not any(term in kept for term in missing)


def test_blocks_hold_up_to_block_limit_postings(indexes) -> None:
    from search_service.codec import BLOCK_LIMIT

    ours, whoosh, _ = indexes
    with ours.reader() as a, whoosh.reader() as b:
        term = max(((f, t) for f, t in a.all_terms() if f == "body"),
                   key=lambda ft: a.doc_frequency(*ft))
        frequency = a.doc_frequency(*term)
        assert frequency > 128
        assert a.postings(*term)._blocklength == min(frequency, BLOCK_LIMIT)
        assert b.postings(*term)._blocklength == 128
