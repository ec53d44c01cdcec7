"""Small file helpers shared by the byte stores (images, objects)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Iterator
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
