"""Small file helpers shared by the byte stores (images, objects)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mmap
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

LOG = logging.getLogger(__name__)
# start writeback every this many bytes of a big write
WRITEBACK_EVERY = 8 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2


def _sync_file_range() -> object | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_SFR = _sync_file_range()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing ``length`` bytes at ``offset`` to disk now
    (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which does not wait), so that
    the ``fsync`` at the end of a big write has little left: the flush overlaps the
    transfer instead of following it.  A no-op where the call does not exist."""
    if _SFR is not None and length > 0:
        _SFR(fd, offset, length, _SYNC_FILE_RANGE_WRITE)  # type: ignore[operator]


class WritebackTracker:
    """For a writer: call ``wrote(n)`` after each write; every ``WRITEBACK_EVERY``
    bytes it starts writeback of what came since (the caller flushes first)."""

    __slots__ = ("written", "kicked")

    def __init__(self) -> None:
        self.written = 0
        self.kicked = 0

    def due(self, n: int) -> bool:
        self.written += n
        return self.written - self.kicked >= WRITEBACK_EVERY

    def kick(self, fd: int) -> None:
        start_writeback(fd, self.kicked, self.written - self.kicked)
        self.kicked = self.written


# a big write goes to disk in blocks of this size with O_DIRECT (``TempFileWriter``)
DIRECT_BLOCK = 4 * 1024 * 1024
_DIRECT_ALIGN = 4096  # offsets and lengths of O_DIRECT writes: a multiple of the block size


class _BlockPool:
    """Page-aligned ``DIRECT_BLOCK`` buffers (anonymous mmaps), reused across writers
    so that their pages stay resident; at most ``keep`` are kept when idle."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.free: list[tuple[mmap.mmap, memoryview]] = []
        self.lock = threading.Lock()

    def get(self) -> tuple[mmap.mmap, memoryview]:
        with self.lock:
            if self.free:
                return self.free.pop()
        m = mmap.mmap(-1, DIRECT_BLOCK)
        return m, memoryview(m)

    def put(self, block: tuple[mmap.mmap, memoryview]) -> None:
        with self.lock:
            if len(self.free) < self.keep:
                self.free.append(block)
                return
        block[1].release()
        block[0].close()


_BLOCKS = _BlockPool()


class TempFileWriter:
    """Bytes written to a private temporary file in ``tmp_dir`` and then renamed
    into place: a reader of the destination sees the whole file or nothing.

    ``write`` appends; ``finish`` flushes, fsyncs and closes (once; later calls do
    nothing); ``move_to(dest)`` finishes, renames the file to ``dest`` (making its
    directory) and fsyncs that directory; ``abort`` closes and removes the file (a
    no-op after ``move_to``).  ``tmp_dir`` must be on the destination's filesystem.

    ``writeback``: start writing to disk every ``WRITEBACK_EVERY`` bytes (for big
    files, so the final fsync has little left).

    ``direct``: past the first ``DIRECT_BLOCK`` bytes, write with ``O_DIRECT`` in
    aligned blocks, bypassing the page cache.  A big upload then costs one copy into
    a reused buffer and a DMA, instead of a copy into freshly allocated page-cache
    pages (on the VMs this project runs on, first-touch pages made buffered writes
    of 256 MiB swing between 250 and 4,000 MiB/s) and writeback behind it; and it does
    not push other files out of the cache.  Small files stay buffered.  Where the
    filesystem refuses ``O_DIRECT`` (tmpfs), the writer stays buffered.
    """

    def __init__(self, tmp_dir: Path, writeback: bool = False, direct: bool = False) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="w-")
        self.path = Path(name)
        self.f: BinaryIO = os.fdopen(fd, "wb")
        self.done = False
        self.writeback = WritebackTracker() if writeback else None
        self.direct = direct and hasattr(os, "O_DIRECT")
        self.size = 0
        # the O_DIRECT side, once the file passed DIRECT_BLOCK: descriptor, block
        # being filled, bytes in it, file offset it goes to
        self._dfd: int | None = None
        self._block: tuple[mmap.mmap, memoryview] | None = None
        self._fill = 0
        self._offset = 0

    def write(self, data: bytes) -> None:
        if self._block is None:
            if not self.direct or self.size + len(data) < DIRECT_BLOCK:
                self._write_buffered(data)
                return
            head = DIRECT_BLOCK - self.size
            view = memoryview(data)
            self._write_buffered(view[:head])
            if not self._start_direct():
                self._write_buffered(view[head:])
                return
            data = view[head:]  # type: ignore[assignment]
        self._write_direct(data)

    def _write_buffered(self, data: bytes | memoryview) -> None:
        self.f.write(data)
        self.size += len(data)
        if self.writeback is not None and self.writeback.due(len(data)):
            self.f.flush()  # a big file: let the disk start on it now
            self.writeback.kick(self.f.fileno())

    def _start_direct(self) -> bool:
        """Switch to O_DIRECT at offset ``DIRECT_BLOCK`` (what came before stays in
        the page cache, flushed by the final fsync)."""
        self.f.flush()
        try:
            self._dfd = os.open(self.path, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
        except OSError as e:  # EINVAL: the filesystem has no O_DIRECT
            LOG.debug("no O_DIRECT for %s: %s", self.path, e)
            self.direct = False
            return False
        self._block = _BLOCKS.get()
        self._fill = 0
        self._offset = self.size
        return True

    def _write_direct(self, data: bytes | memoryview) -> None:
        assert self._block is not None and self._dfd is not None
        buf = self._block[1]
        view = memoryview(data)
        while view:
            n = min(len(view), DIRECT_BLOCK - self._fill)
            buf[self._fill:self._fill + n] = view[:n]
            self._fill += n
            self.size += n
            view = view[n:]
            if self._fill == DIRECT_BLOCK:
                self._pwrite(self._dfd, buf, self._offset)
                self._offset += DIRECT_BLOCK
                self._fill = 0

    @staticmethod
    def _pwrite(fd: int, data: memoryview, offset: int) -> None:
        while data:
            n = os.pwrite(fd, data, offset)
            data, offset = data[n:], offset + n

    def _end_direct(self) -> None:
        """Write what is left in the block: its aligned part with O_DIRECT, the last
        partial block through the page cache."""
        if self._block is None or self._dfd is None:
            return
        buf, fill = self._block[1], self._fill
        aligned = fill - fill % _DIRECT_ALIGN
        if aligned:
            self._pwrite(self._dfd, buf[:aligned], self._offset)
        if fill > aligned:
            self._pwrite(self.f.fileno(), buf[aligned:fill], self._offset + aligned)
        self._release_direct()

    def _release_direct(self) -> None:
        if self._block is not None:
            _BLOCKS.put(self._block)
            self._block = None
        if self._dfd is not None:
            os.close(self._dfd)
            self._dfd = None

    def finish(self) -> None:
        if self.f.closed:
            return
        self.f.flush()
        self._end_direct()
        os.fsync(self.f.fileno())
        self.f.close()

    def move_to(self, dest: Path) -> None:
        self.finish()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, dest)
        self.done = True
        dirfd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        self._release_direct()
        if not self.f.closed:
            self.f.close()
        self.path.unlink(missing_ok=True)


def read_chunks(f: BinaryIO, start: int, length: int | None, chunk_size: int) -> Iterator[bytes]:
    """Yield ``length`` bytes (all to the end when None) from ``start``, in chunks;
    closes ``f`` when done or abandoned."""
    with f:
        f.seek(start)
        left = length
        while left is None or left > 0:
            n = chunk_size if left is None else min(chunk_size, left)
            data = f.read(n)
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data
