"""Index files read through one shared memory map each, never copied into the process.

whoosh3 maps a compound segment file, but hands each file inside it out as a
``BufferFile``, whose ``BytesIO(memoryview)`` copies the slice: a searcher opening
its segments held the whole index once more in its private memory (1.25 GB a worker
at 6,673 notices, 8.7 GB at 66,730; ``bench/RESULTS.md``). Here a segment's files
are views of the map: the reads whoosh does at an offset (``get``) slice it, and its
sequential reads (varints, pickles) go through a C ``BufferedReader`` that copies a
few kilobytes at a time. The pages stay the page cache's, shared by every worker.

`MappedStorage` is Whoosh's ``FileStorage`` with reading changed and nothing else.
"""

from __future__ import annotations

import io
import mmap
import os

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

#: Bytes a view's reader copies at a time for sequential reads.
READ_BUFFER = 4096


class MappedStorage(FileStorage):
    """A FileStorage whose files are read from memory maps (module docstring)."""

    # CompoundStorage maps a file itself and copies out of that map when this is True;
    # False makes it ask the opened file for subset() views instead.
    supports_mmap = False

    def open_file(self, name: str, **kwargs) -> StructFile:
        path = self._fpath(name)
        if os.path.getsize(path) == 0:  # an empty file cannot be mapped
            return super().open_file(name, **kwargs)
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(mapped, name=name, **kwargs)


class MappedFile(StructFile):
    """A whole file, mapped read-only; subset() hands out views that copy nothing."""

    def __init__(self, mapped: mmap.mmap, name: str | None = None, **kwargs):
        super().__init__(mapped, name=name, **kwargs)
        self._map = mapped

    def get(self, position: int, length: int) -> bytes:
        return self._map[position:position + length]

    def subset(self, offset: int, length: int, name: str | None = None) -> ViewFile:
        return ViewFile(memoryview(self._map)[offset:offset + length], name=name or self._name)

    def close(self) -> None:
        if self.is_closed:
            return
        if self.onclose:
            self.onclose(self)
        self.is_closed = True
        try:
            self._map.close()
        except BufferError:
            # A view is still held (a reader not yet collected): the map closes when
            # the last view goes.
            pass


class ViewFile(BufferFile):
    """Whoosh's BufferFile over a memoryview, without BufferFile's copy of it."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = io.BufferedReader(_ViewReader(buf), READ_BUFFER)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False


class _ViewReader(io.RawIOBase):
    """A raw, seekable, read-only stream over a memoryview."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        start = self._pos
        size = min(len(buffer), len(self._view) - start)
        if size <= 0:
            return 0
        buffer[:size] = self._view[start:start + size]
        self._pos = start + size
        return size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            offset += len(self._view)
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._pos = offset
        return offset

    def tell(self) -> int:
        return self._pos
