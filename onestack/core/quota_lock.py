"""Quotas that hold under concurrency (compute and volume alike).

A unit of work that consumes quota runs in a ``quota_session`` and first takes the
project's lock (``take_lock``), then counts usage and inserts what it creates in
that same transaction; the caller wraps the whole unit in
``core.retry.retry_transaction``.  Without the lock, concurrent creates each count
the same usage and all go through: 16 concurrent creates against a quota of 5 made
7 to 16 resources on SQLite, MariaDB and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as db_exc
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.core.retry import RetryRequest

LOCK_ROW = "__lock__"  # the resource name of a project's lock row in a quota table
QUOTA_SESSION = "onestack.quota_session"  # set in Session.info by quota_session


@contextlib.contextmanager
def quota_session(db: Database) -> Iterator[Session]:
    """A session that reads committed on every backend, so that what it counts after
    taking the lock includes all that the project's other transactions committed:
    SQLite's writer reads the latest commits, PostgreSQL reads committed by default,
    MariaDB's repeatable read would answer from the snapshot of the transaction's
    first read, taken before the lock."""
    with db.session() as s:
        if s.get_bind().dialect.name in ("mysql", "mariadb"):
            s.connection(execution_options={"isolation_level": "READ COMMITTED"})
        s.info[QUOTA_SESSION] = True
        yield s


def take_lock(s: Session, model: Any, **key: Any) -> None:
    """Hold the lock row of ``model`` (a quota table with a ``hard_limit`` column)
    matching ``key`` until ``s`` commits.

    A no-op UPDATE of the row is the lock on every backend (SQLite: it begins the
    write transaction, and writers take turns; MariaDB/PostgreSQL: a row lock).  The
    row is made by the first transaction that needs it; of two making it at once,
    the one that loses the primary key runs again (``RetryRequest``)."""
    if not s.info.get(QUOTA_SESSION):
        raise RuntimeError("a quota lock needs a quota_session()")
    where = [getattr(model, k) == v for k, v in key.items()]
    found = s.execute(sa.update(model).where(*where).values(hard_limit=model.hard_limit)
                      .execution_options(synchronize_session=False)).rowcount
    if found:
        return
    try:
        s.execute(sa.insert(model).values(**key, hard_limit=-1))
    except db_exc.IntegrityError:
        raise RetryRequest from None
