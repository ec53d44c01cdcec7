"""Local-disk driver: one file per blob under ``<root>/objects/<k[:2]>/<k[2:4]>/<k>``.

Writes go to ``<root>/tmp`` (same filesystem), are fsynced, then renamed into
place with ``os.replace`` — a reader sees the whole file or nothing.

Every process that opens the store holds a shared ``flock`` on ``<root>/.lock``
for its lifetime.  A process that finds no other holder (an exclusive lock
succeeds) is the only user, so whatever sits in ``tmp/`` — and any blob the
database does not reference — was left by a process that died (``kill -9``,
power loss): ``recover`` removes it.  With another live process (uvicorn
workers, a CLI command next to a server) ``recover`` does nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import weakref
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from onestack.core.files import TempFileWriter, read_chunks
from onestack.object_store.drivers.base import BlobStore, BlobWriter, Recovery

LOG = logging.getLogger(__name__)


class FileBlobWriter(TempFileWriter, BlobWriter):
    def __init__(self, store: FileBlobStore) -> None:
        # objects can be big, and their PUT answers after the fsync: past 4 MiB they go
        # to disk with O_DIRECT (core.files.TempFileWriter); writeback for the rest
        super().__init__(store.tmp, writeback=True, direct=True)
        self.store = store

    def publish(self, key: str) -> None:
        self.move_to(self.store.path_for(key))


class FileBlobStore(BlobStore):
    # reads of 1 MiB: a 256 MiB GET is 256 thread hops and sends, not 4,096
    chunk_size = 1024 * 1024

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.objects = self.root / "objects"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.objects.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._unlock = weakref.finalize(self, os.close, fd)  # held for the store's life
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.sole = True
        except BlockingIOError:
            self.sole = False
        fcntl.flock(fd, fcntl.LOCK_SH)  # live, like every other user

    def close(self) -> None:
        """Stop counting as a live user of the store (the lock goes with the file)."""
        self._unlock()

    def blob_keys(self) -> Iterator[str]:
        for d1 in os.scandir(self.objects):
            if not d1.is_dir(follow_symlinks=False):
                continue
            for d2 in os.scandir(d1.path):
                if not d2.is_dir(follow_symlinks=False):
                    continue
                for f in os.scandir(d2.path):
                    if f.is_file(follow_symlinks=False):
                        yield f.name

    def recover(self, referenced: Callable[[], Collection[str]] | None = None) -> Recovery:
        if not self.sole:
            return Recovery()
        self.sole = False  # once
        out = Recovery(ran=True)
        for f in os.scandir(self.tmp):
            if f.is_file(follow_symlinks=False) or f.is_symlink():
                os.unlink(f.path)
                out.temp_files += 1
        if referenced is not None:
            keys = list(self.blob_keys())
            if keys:
                try:
                    live = set(referenced())
                except LookupError as e:
                    LOG.warning("object store %s: not checking %d blob(s) for orphans: %s",
                                self.root, len(keys), e)
                    live = set(keys)
                for k in keys:
                    if k not in live:
                        self.delete(k)
                        out.orphans += 1
        if out.temp_files or out.orphans:
            LOG.warning("object store %s: removed %d temporary file(s) and %d unreferenced "
                        "blob(s) left by an earlier process", self.root, out.temp_files, out.orphans)
        return out

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
        return read_chunks(f, start, length, self.chunk_size)

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
