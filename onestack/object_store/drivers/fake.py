"""In-memory driver for tests: the same contract as the file driver."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

from onestack.object_store.drivers.base import BlobStore, BlobWriter


class MemoryBlobWriter(BlobWriter):
    def __init__(self, store: MemoryBlobStore) -> None:
        self.store = store
        self.buf: io.BytesIO | None = io.BytesIO()

    def write(self, data: bytes) -> None:
        assert self.buf is not None, "writer already published or aborted"
        self.buf.write(data)

    def finish(self) -> None:
        pass

    def publish(self, key: str) -> None:
        assert self.buf is not None, "writer already published or aborted"
        with self.store.lock:
            self.store.blobs[key] = self.buf.getvalue()
        self.buf = None

    def abort(self) -> None:
        self.buf = None


class MemoryBlobStore(BlobStore):
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def writer(self) -> BlobWriter:
        return MemoryBlobWriter(self)

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        data = self.blobs[key]
        end = len(data) if length is None else min(len(data), start + length)

        def gen() -> Iterator[bytes]:
            for i in range(start, end, self.chunk_size):
                yield data[i : min(end, i + self.chunk_size)]

        return gen()

    def size(self, key: str) -> int:
        return len(self.blobs[key])

    def delete(self, key: str) -> None:
        with self.lock:
            self.blobs.pop(key, None)
