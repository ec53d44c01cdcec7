"""In-memory driver for tests: the same contract as the file driver.

``local_path`` materializes the blob into a private temporary directory (once
per key), since callers of that method need a real file."""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from onestack.image.drivers.base import ImageStore, ImageWriter


class MemoryImageWriter(ImageWriter):
    def __init__(self, store: MemoryImageStore) -> None:
        self.store = store
        self.parts: list[bytes] = []
        self.done = False

    def write(self, data: bytes) -> None:
        if self.done:
            raise ValueError("writer is closed")
        self.parts.append(bytes(data))

    def finish(self) -> None:
        pass

    def publish(self, key: str) -> None:
        if self.done:
            raise ValueError("writer is closed")
        blob = b"".join(self.parts)
        self.parts = []
        self.done = True
        with self.store.lock:
            self.store.blobs[key] = blob
            stale = self.store.paths.pop(key, None)
        if stale is not None:
            stale.unlink(missing_ok=True)

    def abort(self) -> None:
        self.parts = []
        self.done = True


class MemoryImageStore(ImageStore):
    name = "memory"
    description = "In-memory store (tests)"

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.paths: dict[str, Path] = {}
        self.lock = threading.Lock()
        self._dir: str | None = None

    def writer(self) -> ImageWriter:
        return MemoryImageWriter(self)

    def _get(self, key: str) -> bytes:
        with self.lock:
            return self.blobs[key]

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        blob = self._get(key)
        end = len(blob) if length is None else min(len(blob), start + length)
        return (blob[i:min(i + self.chunk_size, end)] for i in range(start, end, self.chunk_size))

    def size(self, key: str) -> int:
        return len(self._get(key))

    def delete(self, key: str) -> None:
        with self.lock:
            self.blobs.pop(key, None)
            p = self.paths.pop(key, None)
        if p is not None:
            p.unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        blob = self._get(key)
        with self.lock:
            if key in self.paths:
                return self.paths[key]
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="onestack-images-")
                weakref.finalize(self, shutil.rmtree, self._dir, True)
            p = Path(self._dir) / key
            p.write_bytes(blob)
            self.paths[key] = p
            return p
