"""Database access: one SQLAlchemy engine per process, chosen by URL.

SQLite (WAL) is the embedded default; MariaDB and PostgreSQL run the same code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.schema import CreateTable
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


# ---- MySQL/MariaDB DDL: the same semantics as SQLite and PostgreSQL -------------------
# Every migration (and create_all) goes through these, so no migration has to spell
# them out.  Generic types keep their meaning on the other backends.
def _mysql_collation(dialect: Any) -> str:
    """Exact, case-sensitive, trailing-space-sensitive comparison (as SQLite and
    PostgreSQL compare): without it "Foo" == "foo" == "foo " in names, unique keys and
    primary keys."""
    version = dialect.server_version_info or ()
    if dialect.is_mariadb:
        return "utf8mb4_nopad_bin" if version >= (10, 2) else "utf8mb4_bin"
    return "utf8mb4_0900_bin" if version >= (8, 0) else "utf8mb4_bin"


@compiles(CreateTable, "mysql")
@compiles(CreateTable, "mariadb")
def _mysql_create_table(element: CreateTable, compiler: Any, **kw: Any) -> str:
    text = compiler.visit_create_table(element, **kw)
    opts = {k.lower() for k in element.element.kwargs}
    if not opts & {"mysql_charset", "mysql_default charset", "mariadb_charset", "mysql_collate", "mariadb_collate"}:
        text = text.rstrip() + f" DEFAULT CHARSET=utf8mb4 COLLATE={_mysql_collation(compiler.dialect)}\n\n"
    return text


@compiles(sa.DateTime, "mysql")
@compiles(sa.DateTime, "mariadb")
def _mysql_datetime(type_: sa.DateTime, compiler: Any, **kw: Any) -> str:
    # DATETIME alone drops microseconds (MariaDB truncates, MySQL rounds up)
    return "DATETIME(6)"


@compiles(sa.Text, "mysql")
@compiles(sa.Text, "mariadb")
def _mysql_text(type_: sa.Text, compiler: Any, **kw: Any) -> str:
    # TEXT holds 64 KiB; request bodies may be 1 MiB (descriptions, JSON extras, blobs)
    return "MEDIUMTEXT"


@compiles(sa.Float, "mysql")
@compiles(sa.Float, "mariadb")
def _mysql_float(type_: sa.Float, compiler: Any, **kw: Any) -> str:
    # FLOAT is single precision on MySQL (an epoch timestamp would lose minutes)
    return "DOUBLE"


class JSONText(TypeDecorator[Any]):
    """JSON stored as TEXT: the same bytes on every backend."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value == "{}":  # the common case, and listings decode thousands of these
            return {}
        return json.loads(value)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Naive UTC in the database, aware UTC in Python."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if url.startswith("mysql://"):
        url = "mysql+pymysql://" + url[len("mysql://"):]
    if url.startswith("mariadb://"):
        url = "mariadb+pymysql://" + url[len("mariadb://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs: dict[str, Any] = {"pool_size": pool_size, "pool_pre_ping": True, "echo": echo}
    if "mysql" in url or "mariadb" in url:
        kwargs["pool_recycle"] = 3600
        if "charset=" not in url:
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return sa.create_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()
