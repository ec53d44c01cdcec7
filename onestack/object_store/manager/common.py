"""What the object store's resource managers share: Swift's limits, the plain
results handed to the API, the hot paths' prepared statements (``_Q``), the
container row helpers every writer goes through, and ``Part``, the base that
holds the config, the database, the blob store and the unit of work."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Config
from onestack.core.db import Database
from onestack.core.errors import BadRequest, NotFound
from onestack.object_store.drivers import BlobStore
from onestack.object_store.models import SwiftAccount, SwiftContainer, SwiftObject

MAX_META_NAME = 128
MAX_META_VALUE = 256
MAX_META_COUNT = 90
MAX_META_OVERALL = 4096
MAX_CONTAINER_NAME = 256
MAX_OBJECT_NAME = 1024


def new_key() -> str:
    return uuid.uuid4().hex


def now_ts() -> float:
    return round(time.time(), 5)


def check_meta(meta: dict[str, str]) -> None:
    """Swift's limits on user metadata (names are the part after ``X-*-Meta-``)."""
    total = 0
    for k, v in meta.items():
        if len(k.encode()) > MAX_META_NAME:
            raise BadRequest(f"Metadata name too long: {k}")
        if len(v.encode()) > MAX_META_VALUE:
            raise BadRequest(f"Metadata value longer than {MAX_META_VALUE}: {k}")
        total += len(k.encode()) + len(v.encode())
    if len(meta) > MAX_META_COUNT:
        raise BadRequest(f"Too many metadata items; max {MAX_META_COUNT}")
    if total > MAX_META_OVERALL:
        raise BadRequest(f"Total metadata too large; max {MAX_META_OVERALL}")


def apply_updates(current: dict[str, str], updates: dict[str, str | None]) -> dict[str, str]:
    out = dict(current)
    for k, v in updates.items():
        if v is None or v == "":
            out.pop(k, None)
        else:
            out[k] = v
    return out


def check_container_name(name: str) -> None:
    if not name or "/" in name or len(name.encode()) > MAX_CONTAINER_NAME:
        raise BadRequest(
            f"Container name length of {len(name.encode())} longer than {MAX_CONTAINER_NAME}"
            if name and "/" not in name
            else "Invalid container name"
        )


# ---- plain results handed to the API layer ---------------------------------------
@dataclass
class AccountInfo:
    project_id: str
    meta: dict[str, str]
    created_at: float
    container_count: int
    object_count: int
    bytes_used: int


@dataclass
class ContainerInfo:
    id: int
    project_id: str
    name: str
    meta: dict[str, str]
    sysmeta: dict[str, str]
    object_count: int
    bytes_used: int
    created_at: float


@dataclass
class ObjectInfo:
    id: int
    project_id: str
    container: str
    name: str
    blob: str
    size: int
    etag: str
    content_type: str
    timestamp: float
    delete_at: int | None
    meta: dict[str, str]
    sysmeta: dict[str, Any]

    @property
    def is_slo(self) -> bool:
        return bool(self.sysmeta.get("slo"))

    @property
    def dlo(self) -> str | None:
        return self.sysmeta.get("manifest")

    @property
    def listing_size(self) -> int:
        return int(self.sysmeta.get("slo_size", self.size)) if self.is_slo else self.size

    @property
    def listing_etag(self) -> str:
        return str(self.sysmeta.get("slo_etag", self.etag)) if self.is_slo else self.etag


class ListedObject(NamedTuple):
    """A container listing's entry: a static large object shows its whole size and
    its manifest's ETag."""

    name: str
    size: int
    etag: str
    content_type: str
    timestamp: float
    slo: bool


@dataclass
class Subdir:
    subdir: str


@dataclass
class ListParams:
    prefix: str = ""
    delimiter: str = ""
    marker: str = ""
    end_marker: str = ""
    limit: int = 10000
    reverse: bool = False


@dataclass
class NewObject:
    """What ``commit_object`` needs besides the blob."""

    content_type: str
    meta: dict[str, str] = field(default_factory=dict)
    sysmeta: dict[str, Any] = field(default_factory=dict)
    delete_at: int | None = None
    if_none_match_any: bool = False


_A, _C, _O = SwiftAccount.__table__, SwiftContainer.__table__, SwiftObject.__table__


class _Q:
    """The hot paths' statements, built once (SQLAlchemy then reuses their compiled
    form without building and hashing a new statement per request)."""

    _by_name = (_C.c.project_id == sa.bindparam("p"), _C.c.name == sa.bindparam("n"))
    lock_container = sa.update(_C).where(*_by_name).values(object_count=_C.c.object_count)
    container_for_update = sa.select(_C).where(*_by_name).with_for_update()
    existing = sa.select(_O.c.id, _O.c.size, _O.c.blob, _O.c.timestamp, _O.c.delete_at).where(
        _O.c.container_id == sa.bindparam("cid"), _O.c.name == sa.bindparam("n"))
    delete_object = sa.delete(_O).where(_O.c.id == sa.bindparam("oid"))
    update_object = sa.update(_O).where(_O.c.id == sa.bindparam("oid"))
    insert_object = sa.insert(_O)
    count = sa.update(_C).where(_C.c.id == sa.bindparam("cid")).values(
        object_count=_C.c.object_count + sa.bindparam("dc", type_=sa.BigInteger),
        bytes_used=_C.c.bytes_used + sa.bindparam("db", type_=sa.BigInteger))
    account_meta = sa.select(_A.c.meta).where(_A.c.project_id == sa.bindparam("p"))
    object_read = (
        sa.select(_C.c.id.label("cid"), _O.c.id, _O.c.project_id, _O.c.name, _O.c.blob, _O.c.size,
                  _O.c.etag, _O.c.content_type, _O.c.timestamp, _O.c.delete_at, _O.c.meta,
                  _O.c.sysmeta)
        .select_from(_C.outerjoin(_O, sa.and_(_O.c.container_id == _C.c.id,
                                              _O.c.name == sa.bindparam("o", type_=_O.c.name.type))))
        .where(*_by_name))


def container_info(c: SwiftContainer) -> ContainerInfo:
    return ContainerInfo(c.id, c.project_id, c.name, dict(c.meta or {}), dict(c.sysmeta or {}),
                         c.object_count, c.bytes_used, c.created_at)


def object_info(o: SwiftObject, container: str) -> ObjectInfo:
    return ObjectInfo(o.id, o.project_id, container, o.name, o.blob, o.size, o.etag,
                      o.content_type, o.timestamp, o.delete_at, dict(o.meta or {}),
                      dict(o.sysmeta or {}))


# ---- the container row, as every writer reads and changes it -------------------------
def container_row(s: Session, project_id: str, name: str) -> SwiftContainer:
    c = s.scalar(sa.select(SwiftContainer).where(
        SwiftContainer.project_id == project_id, SwiftContainer.name == name))
    if c is None:
        raise NotFound("container not found")
    return c


def locked_container(s: Session, project_id: str, name: str) -> SwiftContainer:
    """The container, its row locked until the commit: writers of one container
    take turns, and what they read next is current.

    A no-op UPDATE is the lock on every backend (SQLite: it begins the write
    transaction; MariaDB/PostgreSQL: a row lock); the SELECT after it is a
    locking read, so MariaDB's repeatable read sees the latest commit too.
    """
    where = (SwiftContainer.project_id == project_id, SwiftContainer.name == name)
    s.execute(sa.update(SwiftContainer).where(*where)
              .values(object_count=SwiftContainer.object_count)
              .execution_options(synchronize_session=False))
    c = s.scalar(sa.select(SwiftContainer).where(*where).with_for_update()
                 .execution_options(populate_existing=True))
    if c is None:
        raise NotFound("container not found")
    return c


def count(s: Session, c: SwiftContainer, objects: int, size: int) -> None:
    """Add to a container's counters in SQL (``x = x + n``): never a lost update."""
    s.execute(sa.update(SwiftContainer).where(SwiftContainer.id == c.id)
              .values(object_count=SwiftContainer.object_count + objects,
                      bytes_used=SwiftContainer.bytes_used + size)
              .execution_options(synchronize_session=False))


def writers_lock(db: Database) -> contextlib.AbstractContextManager[Any]:
    """SQLite has one writer at a time, and a writer that finds the database busy
    sleeps in steps of up to 100 ms: this process's writers queue here instead."""
    return threading.Lock() if db.engine.dialect.name == "sqlite" else contextlib.nullcontext()


class Part:
    """The base of each resource's manager.  Every part of one ``ObjectStoreManager``
    holds the same config, database, blob store and ``writers`` lock."""

    def __init__(self, conf: Config, db: Database, store: BlobStore,
                 writers: contextlib.AbstractContextManager[Any]) -> None:
        self.conf = conf
        self.db = db
        self.store = store
        self._writers = writers

    @contextlib.contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A unit of work; blobs it orphaned (``s.info``) are deleted after the commit.

        ``write``: it will write (take its turn with this process's other writers).
        """
        with self._writers if write else contextlib.nullcontext(), self.db.session() as s:
            yield s
            orphans = list(s.info.get("after_commit_delete", []))
        for b in orphans:
            self.store.delete(b)
