"""Local-disk driver: ``<root>/<key[:2]>/<key>``, written under ``<root>/.tmp``
(the same filesystem), fsynced, then renamed into place with ``os.replace``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from onestack.core.files import TempFileWriter, read_chunks
from onestack.image.drivers.base import ImageStore, ImageWriter


class FileImageWriter(TempFileWriter, ImageWriter):
    def __init__(self, store: FileImageStore) -> None:
        # images are big: past 4 MiB they go to disk with O_DIRECT (core.files)
        super().__init__(store.tmp, direct=True)
        self.store = store

    def publish(self, key: str) -> None:
        self.move_to(self.store.path_for(key))


class FileImageStore(ImageStore):
    name = "file"
    description = "Local disk"
    # downloads hop to a thread per chunk: 1 MiB chunks keep that cost off the
    # transfer (64 KiB chunks capped a 1 GiB download at about a tenth of cp)
    chunk_size = 1024 * 1024

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / ".tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise KeyError(key)
        return self.root / key[:2] / key

    def writer(self) -> ImageWriter:
        return FileImageWriter(self)

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

    def sweep(self, older_than: float) -> None:
        cutoff = time.time() - older_than
        for p in self.tmp.iterdir():
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()

    def local_path(self, key: str) -> Path:
        p = self.path_for(key)
        if not p.is_file():
            raise KeyError(key)
        return p
