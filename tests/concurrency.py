"""Firing requests at the same moment, for the tests that prove quotas and
allocations hold under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

THREADS = 16


def race(call: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """``call(i)`` for i in 0..n-1, all started together; the results in order."""
    start = threading.Barrier(n)

    def go(i: int) -> Any:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))
