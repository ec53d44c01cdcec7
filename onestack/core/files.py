"""Small file helpers shared by the byte stores (images, objects)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import tempfile
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


class TempFileWriter:
    """Bytes written to a private temporary file in ``tmp_dir`` and then renamed
    into place: a reader of the destination sees the whole file or nothing.

    ``write`` appends; ``finish`` flushes, fsyncs and closes (once; later calls do
    nothing); ``move_to(dest)`` finishes, renames the file to ``dest`` (making its
    directory) and fsyncs that directory; ``abort`` closes and removes the file (a
    no-op after ``move_to``).  ``tmp_dir`` must be on the destination's filesystem.
    ``writeback``: start writing to disk every ``WRITEBACK_EVERY`` bytes (for big
    files, so the final fsync has little left).
    """

    def __init__(self, tmp_dir: Path, writeback: bool = False) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="w-")
        self.path = Path(name)
        self.f: BinaryIO = os.fdopen(fd, "wb")
        self.done = False
        self.writeback = WritebackTracker() if writeback else None

    def write(self, data: bytes) -> None:
        self.f.write(data)
        if self.writeback is not None and self.writeback.due(len(data)):
            self.f.flush()  # a big file: let the disk start on it now
            self.writeback.kick(self.f.fileno())

    def finish(self) -> None:
        if self.f.closed:
            return
        self.f.flush()
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
