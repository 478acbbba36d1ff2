"""ArraySegmentWriter writes the very segment files Whoosh's own SegmentWriter writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from search_service.enrich import Enricher
from search_service.schema import build_schema, to_document
from search_service.segwriter import ArrayMpWriter, ArraySegmentWriter
from search_service.sources import Parsed, read_sources

from .conftest import SAMPLES, SMALL


def _documents(path: Path) -> list[dict[str, object]]:
    enricher = Enricher.from_dir()
    notices = [item.notice for item in read_sources([path]) if isinstance(item, Parsed)]
    return [to_document(n, enricher.links(n)) for n in notices]


def _segment_files(directory: Path, writer_class, documents) -> dict[str, bytes]:
    """Write documents as one uncompounded segment; return its files by extension.

    Whoosh's pool must not spill: postings read back from a run are new bytes objects
    where the analyzer shared one, and pickle then writes a block's equal values in
    full instead of by reference (the same postings, other bytes).
    """
    directory.mkdir()
    ix = FileStorage(str(directory)).create_index(build_schema())
    writer = writer_class(ix, compound=False, limitmb=1024)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    (segment,) = ix._segments()
    prefix = segment.segment_id()
    files = {p.name[len(prefix):]: p.read_bytes()
             for p in directory.iterdir() if p.name.startswith(prefix)}
    assert files, "the segment wrote no files"
    return files


@pytest.mark.parametrize("source", [SMALL, SAMPLES / "notices.jsonl"],
                         ids=["small", "samples"])
def test_segment_files_are_byte_identical(tmp_path: Path, source: Path) -> None:
    documents = _documents(source)
    whoosh = _segment_files(tmp_path / "whoosh", SegmentWriter, documents)
    ours = _segment_files(tmp_path / "ours", ArraySegmentWriter, documents)
    assert sorted(ours) == sorted(whoosh)
    assert {".trm", ".pst"} <= set(ours)
    for name in whoosh:
        assert ours[name] == whoosh[name], name


def test_multiprocess_build_searches_like_one_process(tmp_path: Path) -> None:
    documents = _documents(SAMPLES / "notices.jsonl")
    indexes = {}
    for name, make in (("one", lambda ix: ArraySegmentWriter(ix)),
                       ("two", lambda ix: ArrayMpWriter(ix, procs=2, batchsize=20))):
        (tmp_path / name).mkdir()
        ix = FileStorage(str(tmp_path / name)).create_index(build_schema())
        writer = make(ix)
        for document in documents:
            writer.add_document(**document)
        writer.commit()
        indexes[name] = ix
    assert len(indexes["two"]._segments()) == 2
    for field in ("body", "title_words", "numbers", "id"):
        with indexes["one"].reader() as a, indexes["two"].reader() as b:
            terms = sorted(a.field_terms(field))
            assert terms == sorted(b.field_terms(field))
            for term in terms[::7]:
                ids_a = sorted(a.stored_fields(d)["id"] for d in a.postings(field, term).all_ids())
                ids_b = sorted(b.stored_fields(d)["id"] for d in b.postings(field, term).all_ids())
                assert ids_a == ids_b, (field, term)
                assert a.doc_frequency(field, term) == b.doc_frequency(field, term)
    with indexes["two"].searcher() as searcher:
        assert searcher.doc_count() == len(documents) == 270
        assert {f["id"] for f in searcher.all_stored_fields()} == {d["id"] for d in documents}
