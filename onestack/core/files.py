"""Small file helpers shared by the byte stores (images, objects)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO


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
