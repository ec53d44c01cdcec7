"""Byte stores for object data, chosen by name (``[object_store] driver``)."""

from __future__ import annotations

from pathlib import Path

from onestack.object_store.drivers.base import BlobStore, BlobWriter, Recovery


def load(name: str, path: Path) -> BlobStore:
    if name == "memory":
        from onestack.object_store.drivers.fake import MemoryBlobStore

        return MemoryBlobStore()
    from onestack.object_store.drivers.file import FileBlobStore

    return FileBlobStore(path)


__all__ = ["BlobStore", "BlobWriter", "Recovery", "load"]
