"""Lanes: a thread of its own working through pieces of a byte stream in order.

A big upload is hashed (MD5 for Swift's ETag, MD5 and SHA-512 for Glance's
checksum and multihash) and written; each step releases the GIL on big buffers, so
on separate threads they run side by side while the event loop receives the next
piece.  Handing each piece to a shared pool only after the previous one finished
leaves a step idle for an event-loop round trip per piece (a third of the time for
a 256 MiB object); a lane is fed through a bounded queue instead and never waits for
the loop.  It is a thread of its own, not a pool thread: an upload holds it for its
whole length, which would starve the pool's other users.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

DEPTH = 2  # pieces waiting in a lane at most: memory is bounded by DEPTH x piece size


class Lane:
    """``fn(piece)`` for each piece ``put``, in order, in the lane's thread.

    The first error ``fn`` raises is kept: later pieces are skipped, and ``put`` and
    ``close`` raise it.  ``close`` waits for the pieces queued so far; call it (or
    ``abort``) exactly when the stream ends, on every path."""

    def __init__(self, fn: Callable[[bytes], Any], name: str = "lane", depth: int = DEPTH) -> None:
        self.fn = fn
        self.q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.q.get()) is not None:
            if self.error is None:
                try:
                    self.fn(data)
                except BaseException as e:  # noqa: BLE001 (handed to whoever puts or closes)
                    self.error = e

    def try_put(self, data: bytes) -> bool:
        """Queue ``data`` if there is room now (for an event loop: no blocking)."""
        if self.error is not None:
            raise self.error
        try:
            self.q.put_nowait(data)
        except queue.Full:
            return False
        return True

    def put(self, data: bytes) -> None:
        """Queue ``data``, waiting for room."""
        if self.error is not None:
            raise self.error
        self.q.put(data)

    def close(self) -> None:
        """Wait for what is queued; raise the lane's error, if any."""
        self.abort()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        """Wait for what is queued (the lane's error is not raised)."""
        if self.thread.is_alive():
            self.q.put(None)
            self.thread.join()


def put_all(lanes: list[Lane], data: bytes) -> None:
    for lane in lanes:
        lane.put(data)


def abort_all(lanes: list[Lane]) -> None:
    """Wait for every lane's queue (errors are not raised)."""
    for lane in lanes:
        lane.abort()


def close_all(lanes: list[Lane]) -> None:
    """Close every lane (each waits for its queue); then raise the first error."""
    abort_all(lanes)
    for lane in lanes:
        if lane.error is not None:
            raise lane.error
