"""Local-disk driver: one file per blob under ``<root>/objects/<k[:2]>/<k[2:4]>/<k>``.

Writes go to ``<root>/tmp`` (same filesystem), are fsynced, then renamed into
place with ``os.replace`` — a reader sees the whole file or nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from onestack.object_store.drivers.base import BlobStore, BlobWriter


class FileBlobWriter(BlobWriter):
    def __init__(self, store: FileBlobStore) -> None:
        self.store = store
        fd, name = tempfile.mkstemp(dir=store.tmp, prefix="w-")
        self.path = Path(name)
        self.f = os.fdopen(fd, "wb")
        self.done = False

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def finish(self) -> None:
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()

    def publish(self, key: str) -> None:
        if not self.f.closed:
            self.finish()
        dest = self.store.path_for(key)
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


class FileBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.objects = self.root / "objects"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.objects.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise KeyError(key)
        return self.objects / key[:2] / key[2:4] / key

    def writer(self) -> BlobWriter:
        return FileBlobWriter(self)

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            f = open(self.path_for(key), "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError:
            raise KeyError(key) from None
        return self._chunks(f, start, length)

    def _chunks(self, f: object, start: int, length: int | None) -> Iterator[bytes]:
        import io

        assert isinstance(f, io.BufferedReader)
        with f:
            f.seek(start)
            left = length
            while left is None or left > 0:
                n = self.chunk_size if left is None else min(self.chunk_size, left)
                data = f.read(n)
                if not data:
                    return
                if left is not None:
                    left -= len(data)
                yield data

    def size(self, key: str) -> int:
        try:
            return self.path_for(key).stat().st_size
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        try:
            self.path_for(key).unlink(missing_ok=True)
        except KeyError:
            pass
