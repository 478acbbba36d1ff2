"""ArraySegmentWriter writes the very segment files Whoosh's own SegmentWriter writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from search_service.codec import Codec
from search_service.enrich import Enricher
from search_service.schema import build_schema, to_document
from search_service.segwriter import ArrayMpWriter, ArraySegmentWriter
from search_service.sources import Parsed, read_sources

from .conftest import SAMPLES, SMALL


def _documents(path: Path) -> list[dict[str, object]]:
    enricher = Enricher.from_dir()
    notices = [item.notice for item in read_sources([path]) if isinstance(item, Parsed)]
    return [to_document(n, enricher.links(n)) for n in notices]


def _segment_files(directory: Path, writer_class, documents, codec) -> dict[str, bytes]:
    """Write documents as one uncompounded segment; return its files by extension.

    Whoosh's pool must not spill: postings read back from a run are new bytes objects
    where the analyzer shared one, and pickle then writes a block's equal values in
    full instead of by reference (the same postings, other bytes).
    """
    directory.mkdir()
    ix = FileStorage(str(directory)).create_index(build_schema())
    writer = writer_class(ix, compound=False, limitmb=1024, codec=codec)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    (segment,) = ix._segments()
    prefix = segment.segment_id()
    files = {p.name[len(prefix):]: p.read_bytes()
             for p in directory.iterdir() if p.name.startswith(prefix)}
    assert files, "the segment wrote no files"
    return files


@pytest.mark.parametrize("source, codec", [(SMALL, W3Codec), (SMALL, Codec),
                                           (SAMPLES / "notices.jsonl", Codec)],
                         ids=["small-w3", "small-ours", "samples-ours"])
def test_segment_files_are_byte_identical(tmp_path: Path, source: Path, codec) -> None:
    # With Whoosh's own codec and with ours (the one builds use): the writer changes
    # how postings are gathered, not what the codec writes.
    documents = _documents(source)
    whoosh = _segment_files(tmp_path / "whoosh", SegmentWriter, documents, codec())
    ours = _segment_files(tmp_path / "ours", ArraySegmentWriter, documents, codec())
    assert sorted(ours) == sorted(whoosh)
    assert {".trm", ".pst"} <= set(ours)
    for name in whoosh:
        assert ours[name] == whoosh[name], name


@pytest.fixture(scope="module")
def sample_documents() -> list[dict[str, object]]:
    return _documents(SAMPLES / "notices.jsonl")


@pytest.fixture(scope="module")
def one_segment(sample_documents, tmp_path_factory: pytest.TempPathFactory):
    return _build(tmp_path_factory.mktemp("one"), ArraySegmentWriter, sample_documents)


def _build(directory: Path, make, documents):
    ix = FileStorage(str(directory)).create_index(build_schema())
    writer = make(ix)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    return ix


@pytest.mark.parametrize("variant", ["two-processes", "memory-bound", "both"])
def test_other_builds_index_what_one_segment_does(tmp_path: Path, variant: str,
                                                  sample_documents, one_segment) -> None:
    # Two processes write a segment each; a writer past its memory limit writes what it
    # holds as a segment and goes on with a new one. Either way: the same index.
    makers = {
        "two-processes": lambda ix: ArrayMpWriter(ix, procs=2, batchsize=20),
        "memory-bound": lambda ix: ArraySegmentWriter(ix, limitmb=1),
        "both": lambda ix: ArrayMpWriter(ix, procs=2, limitmb=1, batchsize=20),
    }
    other = _build(tmp_path, makers[variant], sample_documents)
    segments = len(other._segments())
    assert len(one_segment._segments()) == 1
    assert segments == 2 if variant == "two-processes" else segments > 10
    with one_segment.reader() as a, other.reader() as b:
        assert b.doc_count() == a.doc_count() == 270
        ids_a, ids_b = _stored_ids(a), _stored_ids(b)
        assert sorted(ids_b.values()) == sorted(d["id"] for d in sample_documents)
        for field in ("body", "title_words", "numbers", "id"):
            terms = sorted(a.field_terms(field))
            assert terms == sorted(b.field_terms(field))
            for term in terms[::23]:
                assert (sorted(ids_a[d] for d in a.postings(field, term).all_ids())
                        == sorted(ids_b[d] for d in b.postings(field, term).all_ids()))
            assert a.field_length(field) == b.field_length(field)


def _stored_ids(reader) -> dict[int, str]:
    return {docnum: stored["id"] for docnum, stored in reader.iter_docs()}
