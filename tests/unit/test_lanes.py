"""Lanes run a step over a stream's pieces in order, in their own thread, and hand
back the first error to whoever feeds or closes them."""

from __future__ import annotations

import hashlib
import threading

import pytest

from onestack.core.lanes import Lane, abort_all, close_all, put_all


def test_pieces_are_processed_in_order_beside_each_other() -> None:
    pieces = [bytes([i]) * (1000 + i) for i in range(200)]
    md5, seen, threads = hashlib.md5(), [], set()

    def record(d: bytes) -> None:
        threads.add(threading.current_thread().name)
        seen.append(d)

    lanes = [Lane(md5.update, "t-md5"), Lane(record, "t-record")]
    for p in pieces:
        put_all(lanes, p)
    close_all(lanes)
    assert seen == pieces
    assert md5.hexdigest() == hashlib.md5(b"".join(pieces)).hexdigest()
    assert threads == {"t-record"}  # not the caller's thread
    assert not any(lane.thread.is_alive() for lane in lanes)


def test_first_error_is_raised_and_later_pieces_are_skipped() -> None:
    done: list[bytes] = []

    def write(d: bytes) -> None:
        if d == b"bad":
            raise OSError(28, "No space left on device")
        done.append(d)

    lane = Lane(write)
    lane.put(b"a")
    lane.put(b"bad")
    with pytest.raises(OSError, match="No space"):
        for _ in range(10):  # a put after the failure is refused
            lane.put(b"later")
        lane.close()
    with pytest.raises(OSError):
        lane.close()
    assert done == [b"a"]


def test_abort_waits_without_raising() -> None:
    lanes = [Lane(lambda d: (_ for _ in ()).throw(ValueError("x")))]
    put_all(lanes, b"1")
    abort_all(lanes)  # no error
    assert not lanes[0].thread.is_alive() and isinstance(lanes[0].error, ValueError)
