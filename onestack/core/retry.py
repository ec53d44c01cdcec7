"""Running a unit of work again when it lost a race with another transaction.

A transaction that waits for a row lock can be chosen as a deadlock's victim
(MariaDB, PostgreSQL) or find SQLite's single writer slot busy past its timeout;
and code that creates a row other transactions may create at the same moment
loses with a duplicate key.  Neither is the caller's fault: the whole unit of work
(a new transaction) runs again, and only a caller that keeps losing gets a 409.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc as db_exc

from onestack.core.errors import Conflict

LOG = logging.getLogger(__name__)
T = TypeVar("T")

# what the backends say when the transaction, not the request, was at fault
_TRANSIENT = ("deadlock", "could not serialize", "try restarting transaction", "database is locked",
              "database table is locked")


class RetryRequest(Exception):
    """Raised inside a unit of work that lost a race: it runs again from the start."""


def is_transient(e: db_exc.OperationalError) -> bool:
    text = str(e.orig if e.orig is not None else e).lower()
    return any(w in text for w in _TRANSIENT)


def retry_transaction(fn: Callable[..., T], attempts: int = 30) -> Callable[..., T]:
    """``fn`` (which runs one or more transactions of its own, and nothing that cannot
    run twice before they commit) again while it raises ``RetryRequest`` or a transient
    database error; a 409 after ``attempts``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        delay = 0.005
        for _ in range(attempts):
            try:
                return fn(*args, **kwargs)
            except RetryRequest:
                pass
            except db_exc.OperationalError as e:
                if not is_transient(e):
                    raise
                LOG.debug("%s: transaction lost a race, again: %s", fn.__name__, e.orig)
            time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: racers spread out
            delay = min(delay * 1.5, 0.2)
        raise Conflict("The request could not be completed: too much contention, try again.")

    return wrapper
