"""The contract every object-data driver keeps.

A blob is an immutable run of bytes under a key the manager chooses (a fresh
random key per write; blobs are never overwritten).  Writing is two-phase so the
bytes are whole under their key before the database transaction that points a row
at them (the manager publishes, then commits; a crash between the two leaves an
unreferenced blob, which ``recover`` removes at the next start):

1. ``writer = store.writer()`` then ``writer.write(chunk)`` any number of times:
   bytes go somewhere private (a temp file) and are not visible under any key.
2. ``writer.finish()`` makes them durable (fsync) but still invisible;
   it returns nothing and may be called once.
3. ``writer.publish(key)`` makes them visible under ``key`` atomically (rename);
   after it returns, ``open``/``size`` see the whole blob, never part of it.
4. ``writer.abort()`` discards everything (safe to call at any point, and after
   ``publish`` it is a no-op).

Reads never load a whole blob: ``read(key, start, length)`` yields chunks of at
most ``chunk_size`` bytes.  ``delete`` of a missing key is not an error.
Methods are blocking; async callers run them in a thread.  ``recover()`` runs
once at start (see ``ObjectStoreManager.from_config``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

CHUNK = 64 * 1024


@dataclass
class Recovery:
    """What ``BlobStore.recover`` did."""

    ran: bool = False
    temp_files: int = 0
    orphans: int = 0


class BlobWriter(abc.ABC):
    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Append bytes (not visible until ``publish``)."""

    @abc.abstractmethod
    def finish(self) -> None:
        """Make the written bytes durable (e.g. fsync); they stay invisible."""

    @abc.abstractmethod
    def publish(self, key: str) -> None:
        """Atomically make the bytes visible under ``key``."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Discard the bytes; a no-op after ``publish``."""


class BlobStore(abc.ABC):
    chunk_size: int = CHUNK

    @abc.abstractmethod
    def writer(self) -> BlobWriter:
        """A new private writer."""

    @abc.abstractmethod
    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the bytes of ``key`` from ``start`` (``length`` of them, or to the end).

        Raises ``KeyError`` if the key does not exist (checked before the first chunk).
        """

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """The blob's length; ``KeyError`` if missing."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; missing keys are ignored."""

    def recover(self, referenced: Callable[[], Collection[str]] | None = None) -> Recovery:
        """At start: discard what a crashed process left behind.

        Removes private (temp) files of writers that never published, and, when
        ``referenced`` is given, published blobs whose key it does not return (a
        crash between ``publish`` and the database commit, or between the commit
        and the old blob's delete).  A driver only does this when no other live
        process uses the same store; otherwise it does nothing.
        """
        return Recovery()

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except KeyError:
            return False
        return True
