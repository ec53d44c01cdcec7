"""The contract every image byte store keeps.

Keys are opaque strings the manager chooses (``<image_id>`` for an image's data,
``<image_id>.stage`` for bytes staged by interoperable import).  Writing is
two-phase so that nothing half-written is ever visible:

1. ``w = store.writer()``, then ``w.write(chunk)`` any number of times: the
   bytes go somewhere private (a temporary file) and are not visible under any
   key.  Nothing is ever held whole in memory by the file driver.
2. ``w.finish()`` makes them durable (fsync) and still invisible; idempotent.
3. ``w.publish(key)`` makes them visible under ``key`` atomically (rename),
   replacing whatever was there; afterwards ``read``/``size`` see the whole
   blob, never part of it.
4. ``w.abort()`` discards everything; safe at any point, a no-op after
   ``publish``.

``read(key, start, length)`` yields chunks of at most ``chunk_size`` bytes and
raises ``KeyError`` (before the first chunk) when the key is missing.
``sweep(older_than)`` removes writers' leftovers from a crash.
``local_path(key)`` is a file on the local disk holding exactly the blob's bytes
(for QEMU and friends); callers must not modify it.  ``delete`` of a missing key
is not an error.  Every method blocks; async callers run them in a thread.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from pathlib import Path

CHUNK = 64 * 1024


class ImageWriter(abc.ABC):
    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Append bytes (not visible until ``publish``)."""

    @abc.abstractmethod
    def finish(self) -> None:
        """Make the written bytes durable; they stay invisible."""

    @abc.abstractmethod
    def publish(self, key: str) -> None:
        """Atomically make the bytes visible under ``key``."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Discard the bytes; a no-op after ``publish``."""


class ImageStore(abc.ABC):
    """Where image bytes live.  ``name`` is what ``/v2/info/stores`` shows."""

    name: str = "store"
    description: str = ""
    chunk_size: int = CHUNK

    @abc.abstractmethod
    def writer(self) -> ImageWriter:
        """A new private writer."""

    @abc.abstractmethod
    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the bytes of ``key`` from ``start`` (``length`` of them, or to the end)."""

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """The blob's length; ``KeyError`` if missing."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; missing keys are ignored."""

    @abc.abstractmethod
    def local_path(self, key: str) -> Path:
        """A local file with the blob's bytes; ``KeyError`` if missing."""

    def sweep(self, older_than: float) -> None:
        """Remove private (unpublished) bytes older than ``older_than`` seconds,
        left by a process that died mid-write.  Default: nothing to do."""
        return None

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except KeyError:
            return False
        return True
