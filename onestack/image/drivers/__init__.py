"""Image byte stores, chosen by name (``[image] driver``)."""

from __future__ import annotations

from pathlib import Path

from onestack.image.drivers.base import ImageStore, ImageWriter


def load(name: str, path: Path) -> ImageStore:
    if name == "memory":
        from onestack.image.drivers.fake import MemoryImageStore

        return MemoryImageStore()
    from onestack.image.drivers.file import FileImageStore

    return FileImageStore(path)


__all__ = ["ImageStore", "ImageWriter", "load"]
