"""mapped.MappedStorage reads an index as whoosh's FileStorage does, copying no file."""

from __future__ import annotations

import mmap
import random

import pytest
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

from search_service.mapped import MappedFile, MappedStorage, ViewFile
from search_service.searcher import NoticeSearcher, SearchRequest

QUERIES = ["巡视整改", "新闻发布会", "中华人民共和国", "国务院办公厅", "条例", "记者"]


def test_the_served_index_is_read_through_maps(small_home) -> None:
    ix = small_home.open()
    assert type(ix.storage) is MappedStorage
    views = 0
    with ix.reader() as reader:
        for sub, _ in reader.leaf_readers():
            files = sub._storage.a  # the segment's .seg, before the index directory
            assert isinstance(files, CompoundStorage)
            assert isinstance(files._file, MappedFile)
            for name in files.list():
                opened = files.open_file(name)
                assert type(opened) is ViewFile
                assert isinstance(opened._buf.obj, mmap.mmap)  # a view of the map: no copy
                opened.close()
                views += 1
    assert views >= 5


def test_every_stored_field_reads_as_whoosh_reads_it(small_home) -> None:
    ours = small_home.open()
    theirs = FileStorage(str(small_home.current_path())).open_index()
    with ours.reader() as a, theirs.reader() as b:
        assert a.doc_count_all() == b.doc_count_all() == 38
        assert list(a.all_stored_fields()) == list(b.all_stored_fields())
        for field in ("title", "body", "body_words"):
            terms = list(a.lexicon(field))
            assert terms == list(b.lexicon(field)) and len(terms) > 100
            for term in terms[::max(len(terms) // 300, 1)]:
                assert list(a.postings(field, term).all_items()) == \
                    list(b.postings(field, term).all_items())


def test_searches_answer_the_same_as_over_whoosh_storage(small_home, small_searcher,
                                                         monkeypatch) -> None:
    ours = [small_searcher.search(SearchRequest(q=q)) for q in QUERIES]
    assert [r["total"] for r in ours] != [0] * len(QUERIES)
    import search_service.store as store

    monkeypatch.setattr(store, "MappedStorage", FileStorage)
    plain = NoticeSearcher(small_home, reload_interval=0)
    assert type(plain.snapshot().index.storage) is FileStorage
    theirs = [plain.search(SearchRequest(q=q)) for q in QUERIES]
    for a, b in zip(ours, theirs):
        a.pop("took_ms"), b.pop("took_ms")
        assert a == b


def test_a_view_reads_like_a_buffer_file() -> None:
    """Random seeks and reads of every kind: the same answers as whoosh's BufferFile."""
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(50_000))
    mapped = mmap.mmap(-1, len(data))
    mapped.write(data)
    view, plain = ViewFile(memoryview(mapped)), BufferFile(data)
    for _ in range(2_000):
        pos = rng.randrange(len(data) - 64)
        view.seek(pos)
        plain.seek(pos)
        kind = rng.randrange(5)
        if kind == 0:
            n = rng.randrange(1, 9000)
            assert view.read(n) == plain.read(n)
        elif kind == 1:
            assert view.read_varint() == plain.read_varint()
        elif kind == 2:
            assert (view.read_int(), view.read_long()) == (plain.read_int(), plain.read_long())
        elif kind == 3:
            n = rng.randrange(0, 100)
            assert view.get(pos, n) == plain.get(pos, n)
        else:
            assert list(view.read_array("I", 8)) == list(plain.read_array("I", 8))
        assert view.tell() == plain.tell()
    view.seek(0, 2)
    assert view.tell() == len(data) and view.read(10) == b""
    view.close()
    del view
    mapped.close()


def test_an_empty_file_opens_without_a_map(tmp_path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "full").write_bytes(b"abc")
    storage = MappedStorage(str(tmp_path))
    empty, full = storage.open_file("empty"), storage.open_file("full")
    assert type(empty) is not MappedFile and empty.read() == b""
    assert type(full) is MappedFile and full.read(3) == b"abc" and full.get(1, 2) == b"bc"
    empty.close()
    full.close()
    full.close()  # closing twice is harmless
    with pytest.raises(ValueError):
        ViewFile(memoryview(b"xy")).seek(-1)
