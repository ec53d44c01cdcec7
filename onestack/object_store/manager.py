"""Object-store logic, no HTTP: accounts, containers, objects, listings.

Rows describe, blobs hold bytes.  A write streams into a private driver writer,
then ``commit_object`` *publishes* the blob (atomic rename) under a fresh key and,
in one database transaction, checks the container and quotas and inserts/updates
the row.  If the transaction fails the fresh blob is deleted; an old blob is
deleted only after the commit that stopped pointing at it.  So a crash can leave
an unreferenced blob (or a writer's temp file) behind, never a listing entry
without bytes; ``BlobStore.recover`` removes those at the next start.

Writers of one container take turns (``_locked_container``) and change its
counters in SQL (``_count``), so concurrent uploads, overwrites and deletes keep
``object_count``/``bytes_used`` equal to the listing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from onestack.core.config import Config
from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from onestack.object_store.drivers import BlobStore, BlobWriter, load
from onestack.object_store.errors import PreconditionFailed, Unprocessable
from onestack.object_store.models import SwiftAccount, SwiftContainer, SwiftObject

MAX_META_NAME = 128
MAX_META_VALUE = 256
MAX_META_COUNT = 90
MAX_META_OVERALL = 4096
MAX_CONTAINER_NAME = 256
MAX_OBJECT_NAME = 1024

LOG = logging.getLogger(__name__)


def new_key() -> str:
    return uuid.uuid4().hex


def now_ts() -> float:
    return round(time.time(), 5)


def _upper(prefix: str) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    b = bytearray(prefix.encode("utf-8"))
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return None
    b[-1] += 1
    return bytes(b)


# The account quotas set with X-Account-Quota-Bytes/-Count live in the account's
# metadata under "quota:<kind>": a header name cannot contain ":", so no
# X-Account-Meta-* header can read or write them.
QUOTA_KEY = "quota:"
QUOTA_KINDS = ("bytes", "count")


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


def _container_info(c: SwiftContainer) -> ContainerInfo:
    return ContainerInfo(c.id, c.project_id, c.name, dict(c.meta or {}), dict(c.sysmeta or {}),
                         c.object_count, c.bytes_used, c.created_at)


# what a container listing reads of each object (not its user metadata)
LISTED = (SwiftObject.id, SwiftObject.project_id, SwiftObject.name, SwiftObject.blob,
          SwiftObject.size, SwiftObject.etag, SwiftObject.content_type, SwiftObject.timestamp,
          SwiftObject.delete_at, SwiftObject.sysmeta)


def _object_info(o: SwiftObject, container: str) -> ObjectInfo:
    return ObjectInfo(o.id, o.project_id, container, o.name, o.blob, o.size, o.etag,
                      o.content_type, o.timestamp, o.delete_at, dict(o.meta or {}),
                      dict(o.sysmeta or {}))


class ObjectStoreManager:
    def __init__(self, conf: Config, db: Database, store: BlobStore) -> None:
        self.conf = conf
        self.db = db
        self.store = store
        # SQLite has one writer at a time, and a writer that finds the database busy
        # sleeps in steps of up to 100 ms: this process's writers queue here instead
        self._writers: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if db.engine.dialect.name == "sqlite" else contextlib.nullcontext())
        self._expirer: tuple[threading.Event, threading.Thread] | None = None

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

    @classmethod
    def from_config(cls, conf: Config, db: Database) -> ObjectStoreManager:
        osc = conf.object_store
        path = Path(osc.data_path) if osc.data_path else conf.data_path / "object-store"
        mgr = cls(conf, db, load(osc.driver, path))
        mgr.store.recover(mgr.referenced_blobs)
        return mgr

    def referenced_blobs(self) -> set[str]:
        """Every blob key a row points at — what ``recover`` must keep.

        Raises ``LookupError`` (so nothing is removed) when the database has no
        object-store tables yet or has no container at all: a database that never
        held these blobs is no evidence that they are unreferenced.
        """
        try:
            with self.db.session() as s:
                if s.scalar(sa.select(SwiftContainer.id).limit(1)) is None:
                    raise LookupError("no containers")
                return set(s.scalars(sa.select(SwiftObject.blob)))
        except sa.exc.DBAPIError as e:
            raise LookupError(str(e)) from e

    # ---- accounts -------------------------------------------------------------
    def account_info(self, project_id: str) -> AccountInfo:
        with self.session() as s:
            acct = s.get(SwiftAccount, project_id)
            count, objects, used = s.execute(
                sa.select(sa.func.count(SwiftContainer.id),
                          sa.func.coalesce(sa.func.sum(SwiftContainer.object_count), 0),
                          sa.func.coalesce(sa.func.sum(SwiftContainer.bytes_used), 0))
                .where(SwiftContainer.project_id == project_id)
            ).one()
            return AccountInfo(project_id, dict(acct.meta) if acct else {},
                               acct.created_at if acct else now_ts(), int(count), int(objects),
                               int(used))

    def _account(self, s: Session, project_id: str) -> SwiftAccount:
        acct = s.get(SwiftAccount, project_id)
        if acct is None:
            acct = SwiftAccount(project_id=project_id, meta={}, created_at=now_ts())
            s.add(acct)
            s.flush()
        return acct

    def update_account(self, project_id: str, updates: dict[str, str | None]) -> None:
        with self.session(write=True) as s:
            acct = self._account(s, project_id)
            meta = apply_updates(acct.meta or {}, updates)
            check_meta(meta)
            acct.meta = meta

    def list_containers(self, project_id: str, p: ListParams) -> list[ContainerInfo | Subdir]:
        with self.session() as s:
            rows = self._listing(s, SwiftContainer, [SwiftContainer.project_id == project_id], p)
            return [r if isinstance(r, Subdir) else _container_info(r) for r in rows]

    # ---- containers -----------------------------------------------------------
    def _container(self, s: Session, project_id: str, name: str) -> SwiftContainer:
        c = s.scalar(sa.select(SwiftContainer).where(
            SwiftContainer.project_id == project_id, SwiftContainer.name == name))
        if c is None:
            raise NotFound("container not found")
        return c

    def _locked_container(self, s: Session, project_id: str, name: str) -> SwiftContainer:
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

    @staticmethod
    def _count(s: Session, c: SwiftContainer, objects: int, size: int) -> None:
        """Add to a container's counters in SQL (``x = x + n``): never a lost update."""
        s.execute(sa.update(SwiftContainer).where(SwiftContainer.id == c.id)
                  .values(object_count=SwiftContainer.object_count + objects,
                          bytes_used=SwiftContainer.bytes_used + size)
                  .execution_options(synchronize_session=False))

    def get_container(self, project_id: str, name: str) -> ContainerInfo:
        with self.session() as s:
            return _container_info(self._container(s, project_id, name))

    def find_container(self, project_id: str, name: str) -> ContainerInfo | None:
        try:
            return self.get_container(project_id, name)
        except NotFound:
            return None

    def put_container(self, project_id: str, name: str, meta: dict[str, str | None],
                      sysmeta: dict[str, str | None]) -> bool:
        """Create or update; True when created."""
        check_container_name(name)
        with self.session(write=True) as s:
            self._account(s, project_id)
            c = s.scalar(sa.select(SwiftContainer).where(
                SwiftContainer.project_id == project_id, SwiftContainer.name == name))
            created = c is None
            if c is None:
                c = SwiftContainer(project_id=project_id, name=name, meta={}, sysmeta={},
                                   object_count=0, bytes_used=0, created_at=now_ts())
                s.add(c)
            self._apply_container(c, meta, sysmeta)
            try:
                s.flush()
            except sa.exc.IntegrityError:
                s.rollback()
                return False
            return created

    def _apply_container(self, c: SwiftContainer, meta: dict[str, str | None],
                         sysmeta: dict[str, str | None]) -> None:
        m = apply_updates(c.meta or {}, meta)
        check_meta(m)
        sm = apply_updates(c.sysmeta or {}, sysmeta)
        if sm.get("versions_location") and sm.get("history_location"):
            raise BadRequest("Only one of X-Versions-Location or X-History-Location may be specified")
        c.meta, c.sysmeta = m, sm

    def post_container(self, project_id: str, name: str, meta: dict[str, str | None],
                       sysmeta: dict[str, str | None]) -> None:
        with self.session(write=True) as s:
            self._apply_container(self._container(s, project_id, name), meta, sysmeta)

    def delete_container(self, project_id: str, name: str) -> None:
        with self.session(write=True) as s:
            c = self._locked_container(s, project_id, name)
            self._reap(s, c, locked=True)
            if s.scalar(sa.select(SwiftObject.id).where(SwiftObject.container_id == c.id).limit(1)):
                raise Conflict("There was a conflict when trying to complete your request.")
            s.delete(c)

    def list_objects(self, project_id: str, container: str, p: ListParams) -> list[ObjectInfo | Subdir]:
        with self.session() as s:
            c = self._container(s, project_id, container)
            self._reap(s, c)
            rows = self._listing(s, SwiftObject, [SwiftObject.container_id == c.id], p,
                                 columns=LISTED)
            # plain rows, not ORM objects: a 10,000-entry page is most of a request's work
            return [r if isinstance(r, Subdir) else
                    ObjectInfo(r.id, r.project_id, container, r.name, r.blob, r.size, r.etag,
                               r.content_type, r.timestamp, r.delete_at, {}, r.sysmeta or {})
                    for r in rows]

    def _listing(self, s: Session, model: Any, where: list[Any], p: ListParams,
                 columns: tuple[Any, ...] = ()) -> list[Any]:
        """prefix/delimiter/marker/end_marker/limit/reverse, pushed down to SQL.

        With a delimiter, each run of names sharing a sub-prefix becomes one Subdir
        and the query resumes past it, so the work is bounded by ``limit``.
        ``columns``: select these (rows with attributes) instead of whole ``model``s.
        """
        col = model.name
        conds = list(where)
        if p.prefix:
            conds.append(col >= p.prefix)
            upper = _upper(p.prefix)
            if upper is not None:
                conds.append(col < upper)
        if p.reverse:
            if p.end_marker:
                conds.append(col > p.end_marker)
        elif p.end_marker:
            conds.append(col < p.end_marker)
        out: list[Any] = []
        # the moving bound: (value, inclusive)
        bound: tuple[Any, bool] | None = (p.marker, False) if p.marker else None
        while len(out) < p.limit:
            q = (sa.select(*columns) if columns else sa.select(model)).where(*conds)
            if bound is not None:
                v, incl = bound
                if p.reverse:
                    q = q.where(col <= v if incl else col < v)
                else:
                    q = q.where(col >= v if incl else col > v)
            want = p.limit - len(out)
            q = q.order_by(col.desc() if p.reverse else col.asc()).limit(want)
            rows = list(s.execute(q).all() if columns else s.scalars(q))
            if not rows:
                break
            restart = False
            for r in rows:
                if p.delimiter:
                    rest = r.name[len(p.prefix):]
                    i = rest.find(p.delimiter)
                    if i >= 0:
                        sub = p.prefix + rest[: i + len(p.delimiter)]
                        out.append(Subdir(sub))
                        if p.reverse:
                            bound = (sub, False)
                        else:
                            up = _upper(sub)
                            if up is None:
                                return out
                            bound = (up, True)
                        restart = True
                        break
                out.append(r)
                bound = (r.name, False)
                if len(out) >= p.limit:
                    break
            if not restart and len(rows) < want:
                break
        return out

    # ---- objects: reads -----------------------------------------------------------
    def _reap(self, s: Session, c: SwiftContainer, locked: bool = False) -> int:
        """Delete expired objects of one container (X-Delete-At in the past); how many."""
        now = int(time.time())
        q = sa.select(SwiftObject).where(
            SwiftObject.container_id == c.id, SwiftObject.delete_at.is_not(None),
            SwiftObject.delete_at <= now)
        gone = list(s.scalars(q))
        if gone and not locked:  # look again, in turn with the container's writers
            self._locked_container(s, c.project_id, c.name)
            gone = list(s.scalars(q.with_for_update().execution_options(populate_existing=True)))
        blobs = []
        for o in gone:
            self._count(s, c, -1, -o.size)
            blobs.append(o.blob)
            s.delete(o)
        if gone:
            s.flush()
            s.info.setdefault("after_commit_delete", []).extend(blobs)
        return len(gone)

    def expire_due(self) -> int:
        """The object expirer's pass: delete every object whose ``X-Delete-At`` has
        passed, with its bytes, container by container.  Returns how many went.

        Reads already treat such objects as gone; this gives back their space."""
        now = int(time.time())
        with self.session() as s:
            due = list(s.scalars(sa.select(SwiftObject.container_id).where(
                SwiftObject.delete_at.is_not(None), SwiftObject.delete_at <= now).distinct()))
        removed = 0
        for cid in due:
            with self.session(write=True) as s:
                c = s.get(SwiftContainer, cid)
                if c is not None:
                    removed += self._reap(s, c)
        return removed

    def start(self) -> None:
        """Run the object expirer in a thread every ``expirer_interval`` seconds."""
        interval = self.conf.object_store.expirer_interval
        if interval <= 0 or self._expirer is not None:
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    n = self.expire_due()
                    if n:
                        LOG.info("object expirer: removed %d expired objects", n)
                except Exception:  # the next pass tries again
                    LOG.exception("object expirer pass failed")

        t = threading.Thread(target=loop, name="object-expirer", daemon=True)
        self._expirer = (stop, t)
        t.start()

    def stop(self) -> None:
        if self._expirer is not None:
            stop, t = self._expirer
            stop.set()
            t.join(timeout=10)
            self._expirer = None

    def get_object(self, project_id: str, container: str, name: str) -> ObjectInfo:
        # the hot path of every GET and HEAD: one plain-SQL read, no ORM session
        with self.db.engine.connect() as conn:
            row = conn.execute(_Q.object_read, {"p": project_id, "n": container, "o": name}).first()
        if row is None:
            raise NotFound("container not found")
        if row.id is None:
            raise NotFound("object not found")
        if row.delete_at is None or row.delete_at > time.time():
            return ObjectInfo(row.id, row.project_id, container, row.name, row.blob, row.size,
                              row.etag, row.content_type, row.timestamp, row.delete_at,
                              dict(row.meta or {}), dict(row.sysmeta or {}))
        return self._expire_object(project_id, container, name)

    def _expire_object(self, project_id: str, container: str, name: str) -> ObjectInfo:
        """A read found the object past its X-Delete-At: delete it (in turn with the
        container's writers) and answer 404."""
        expired: str | None = None
        with self.session(write=True) as s:
            c = self._container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name))
            if o is None:
                raise NotFound("object not found")
            if o.delete_at is None or o.delete_at > time.time():
                return _object_info(o, container)
            c = self._locked_container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name,
                SwiftObject.delete_at <= time.time()).with_for_update()
                .execution_options(populate_existing=True))
            if o is not None:
                self._count(s, c, -1, -o.size)
                expired = o.blob
                s.delete(o)
        if expired:
            self.store.delete(expired)
        raise NotFound("object not found")

    def find_object(self, project_id: str, container: str, name: str) -> ObjectInfo | None:
        try:
            return self.get_object(project_id, container, name)
        except NotFound:
            return None

    def read(self, blob: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        return self.store.read(blob, start, length)

    def read_all(self, blob: str, limit: int = 8 * 1024 * 1024) -> bytes:
        """Small blobs only (manifests)."""
        data = b"".join(self.store.read(blob, 0, limit + 1))
        if len(data) > limit:
            raise BadRequest("manifest too large")
        return data

    def dlo_segments(self, project_id: str, manifest: str) -> list[ObjectInfo]:
        container, _, prefix = manifest.partition("/")
        with self.session() as s:
            c = s.scalar(sa.select(SwiftContainer).where(
                SwiftContainer.project_id == project_id, SwiftContainer.name == container))
            if c is None:
                return []
            p = ListParams(prefix=prefix, limit=self.conf.object_store.container_listing_limit)
            rows = self._listing(s, SwiftObject, [SwiftObject.container_id == c.id], p)
            return [_object_info(r, container) for r in rows if isinstance(r, SwiftObject)]

    # ---- objects: writes ----------------------------------------------------------
    def check_quota(self, project_id: str, container: ContainerInfo, add_bytes: int,
                    add_count: int = 1, s: Session | Connection | None = None) -> None:
        """Raise 413 if adding an object would pass a container or account quota."""
        qb = container.meta.get("quota-bytes")
        if qb and qb.isdigit() and container.bytes_used + add_bytes > int(qb):
            raise PayloadTooLarge("Upload exceeds quota.")
        qc = container.meta.get("quota-count")
        if qc and qc.isdigit() and container.object_count + add_count > int(qc):
            raise PayloadTooLarge("Upload exceeds quota.")
        if s is None:
            with self.session() as s2:
                return self.check_quota(project_id, container, add_bytes, add_count, s2)
        ameta = s.execute(_Q.account_meta, {"p": project_id}).scalar() or {}
        limits = [int(q) for q in (ameta.get("quota-bytes"), ameta.get(QUOTA_KEY + "bytes"))
                  if q and q.isdigit()]
        qcount = ameta.get(QUOTA_KEY + "count")
        if limits or (qcount and qcount.isdigit()):
            used, count = s.execute(
                sa.select(sa.func.coalesce(sa.func.sum(SwiftContainer.bytes_used), 0),
                          sa.func.coalesce(sa.func.sum(SwiftContainer.object_count), 0))
                .where(SwiftContainer.project_id == project_id)).one()
            if any(int(used) + add_bytes > q for q in limits):
                raise PayloadTooLarge("Upload exceeds quota.")
            if qcount and qcount.isdigit() and add_count and int(count) + add_count > int(qcount):
                raise PayloadTooLarge("Upload exceeds quota.")

    def check_put(self, project_id: str, container: str, add_bytes: int | None) -> ContainerInfo:
        """Before receiving a body: the container exists and (``add_bytes`` given) the
        upload fits its quotas.  One unit of work."""
        with self.session() as s:
            info = _container_info(self._container(s, project_id, container))
            if add_bytes is not None:
                self.check_quota(project_id, info, add_bytes, s=s)
            return info

    def put_object_bytes(self, project_id: str, container: str, name: str, data: bytes,
                         want_etag: str, new: NewObject) -> ObjectInfo:
        """A small object received whole: check its ETag, write, commit.  The commit
        checks the container, the quotas and ``If-None-Match``."""
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if want_etag and want_etag != etag:
            raise Unprocessable()
        writer = self.store.writer()
        try:
            writer.write(data)
            writer.finish()
            return self.commit_object(project_id, container, name, writer, len(data), etag, new)
        except BaseException:
            writer.abort()
            raise

    def commit_object(self, project_id: str, container: str, name: str, writer: BlobWriter,
                      size: int, etag: str, new: NewObject) -> ObjectInfo:
        """Make a finished writer the object's content, atomically with its row."""
        key = new_key()
        old_blobs: list[str] = []
        # published before the transaction (a crash now leaves an orphan blob, which
        # recovery removes at start), so the container's turn is only database work
        writer.publish(key)
        try:
            result: ObjectInfo | None = None
            # the common case on a bare connection (no ORM session: this is the hot
            # path of every small PUT)
            with self._writers, self.db.engine.begin() as conn:
                c = self._lock_container_row(conn, project_id, container)
                sysmeta = c.sysmeta or {}
                if not (sysmeta.get("versions_location") or sysmeta.get("history_location")):
                    result = self._commit(conn, c, project_id, container, name, key, size, etag,
                                          new, old_blobs)
            if result is None:  # a versioned container: objects move aside (ORM work)
                with self.session(write=True) as s:
                    result = self._commit_versioned(s, project_id, container, name, key, size,
                                                    etag, new, old_blobs)
            # committed
        except BaseException:
            self.store.delete(key)
            raise
        for b in old_blobs:
            self.store.delete(b)
        return result

    def _lock_container_row(self, conn: Connection, project_id: str, name: str) -> Any:
        """``_locked_container`` in plain SQL: the container's row, locked until the commit."""
        conn.execute(_Q.lock_container, {"p": project_id, "n": name})
        row = conn.execute(_Q.container_for_update, {"p": project_id, "n": name}).first()
        if row is None:
            raise NotFound("container not found")
        return row

    def _commit(self, conn: Connection, c: Any, project_id: str, container: str, name: str,
                key: str, size: int, etag: str, new: NewObject, old_blobs: list[str]) -> ObjectInfo:
        """The common case (no versioning), with prepared plain-SQL statements."""
        ex = conn.execute(_Q.existing, {"cid": c.id, "n": name}).first()
        d_count = d_bytes = 0
        if ex is not None and ex.delete_at is not None and ex.delete_at <= time.time():
            conn.execute(_Q.delete_object, {"oid": ex.id})  # expired: as if absent
            old_blobs.append(ex.blob)
            d_count, d_bytes = -1, -ex.size
            ex = None
        if new.if_none_match_any and ex is not None:
            raise PreconditionFailed()
        info = ContainerInfo(c.id, c.project_id, c.name, dict(c.meta or {}), dict(c.sysmeta or {}),
                             c.object_count + d_count, c.bytes_used + d_bytes, c.created_at)
        self.check_quota(project_id, info, size - (ex.size if ex else 0), 0 if ex else 1, conn)
        ts = now_ts()
        if ex is not None and ex.timestamp >= ts:
            ts = round(ex.timestamp + 0.00001, 5)
        fields = dict(blob=key, size=size, etag=etag, content_type=new.content_type, timestamp=ts,
                      delete_at=new.delete_at, meta=new.meta, sysmeta=new.sysmeta)
        if ex is not None:  # an overwrite: the row takes the new content in place
            conn.execute(_Q.update_object, {"oid": ex.id, **fields})
            old_blobs.append(ex.blob)
            oid = ex.id
            d_bytes += size - ex.size
        else:
            oid = conn.execute(_Q.insert_object, {"project_id": project_id, "container_id": c.id,
                                                  "name": name, **fields}).inserted_primary_key[0]
            d_count += 1
            d_bytes += size
        if d_count or d_bytes:
            conn.execute(_Q.count, {"cid": c.id, "dc": d_count, "db": d_bytes})
        return ObjectInfo(oid, project_id, container, name, key, size, etag, new.content_type, ts,
                          new.delete_at, dict(new.meta), dict(new.sysmeta))

    def _commit_versioned(self, s: Session, project_id: str, container: str, name: str, key: str,
                          size: int, etag: str, new: NewObject, old_blobs: list[str]) -> ObjectInfo:
        """A container with X-Versions-Location / X-History-Location: an overwritten
        object moves aside (``_archive``) instead of being replaced."""
        c = self._locked_container(s, project_id, container)
        info = _container_info(c)
        existing = s.scalar(sa.select(SwiftObject).where(
            SwiftObject.container_id == c.id, SwiftObject.name == name))
        if existing is not None and existing.delete_at is not None and existing.delete_at <= time.time():
            self._count(s, c, -1, -existing.size)
            old_blobs.append(existing.blob)
            s.delete(existing)
            s.flush()
            existing = None
        if new.if_none_match_any and existing is not None:
            raise PreconditionFailed()
        self.check_quota(project_id, info, size - (existing.size if existing else 0),
                         0 if existing else 1, s)
        ts = now_ts()
        if existing is not None and existing.timestamp >= ts:
            ts = round(existing.timestamp + 0.00001, 5)
        fields = dict(blob=key, size=size, etag=etag, content_type=new.content_type,
                      timestamp=ts, delete_at=new.delete_at, meta=new.meta,
                      sysmeta=new.sysmeta)
        if existing is not None and not self._archive(s, c, existing):
            old_blobs.append(existing.blob)
            self._count(s, c, 0, size - existing.size)
            for k, v in fields.items():
                setattr(existing, k, v)
            o = existing
        else:
            o = SwiftObject(project_id=project_id, container_id=c.id, name=name, **fields)
            s.add(o)
            self._count(s, c, 1, size)
        s.flush()
        return _object_info(o, container)

    def _archive(self, s: Session, c: SwiftContainer, o: SwiftObject) -> bool:
        """X-Versions-Location / X-History-Location: move the old row aside (no byte copy)."""
        loc = (c.sysmeta or {}).get("versions_location") or (c.sysmeta or {}).get("history_location")
        if not loc:
            return False
        target = s.scalar(sa.select(SwiftContainer).where(
            SwiftContainer.project_id == c.project_id, SwiftContainer.name == loc))
        if target is None:
            raise PreconditionFailed("versions container does not exist")
        vname = f"{len(o.name.encode()):03x}{o.name}/{o.timestamp:016.5f}"
        self._count(s, c, -1, -o.size)
        self._count(s, target, 1, o.size)
        o.container_id = target.id
        o.name = vname
        s.flush()
        return True

    def post_object(self, project_id: str, container: str, name: str, meta: dict[str, str],
                    sysmeta_updates: dict[str, Any], content_type: str | None,
                    delete_at: int | None | bool) -> None:
        """Replace user metadata (Swift's POST semantics). ``delete_at`` False = unchanged."""
        check_meta(meta)
        with self.session(write=True) as s:
            c = self._locked_container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name))
            if o is None or (o.delete_at is not None and o.delete_at <= time.time()):
                raise NotFound("object not found")
            o.meta = meta
            o.sysmeta = {k: v for k, v in {**(o.sysmeta or {}), **sysmeta_updates}.items()
                         if v is not None}
            if content_type:
                o.content_type = content_type
            if delete_at is not False:
                o.delete_at = delete_at  # type: ignore[assignment]

    def delete_object(self, project_id: str, container: str, name: str) -> ObjectInfo:
        blobs: list[str] = []
        with self.session(write=True) as s:
            c = self._locked_container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name))
            sysmeta = c.sysmeta or {}
            expired = o is not None and o.delete_at is not None and o.delete_at <= time.time()
            if sysmeta.get("history_location") and o is not None and not expired:
                archived = _object_info(o, container)
                self._archive(s, c, o)
                return archived
            if o is None and not sysmeta.get("versions_location"):
                raise NotFound("object not found")
            info: ObjectInfo | None = _object_info(o, container) if o is not None else None
            if o is not None:
                self._count(s, c, -1, -o.size)
                blobs.append(o.blob)
                s.delete(o)
                s.flush()
            if sysmeta.get("versions_location"):
                restored = self._restore(s, c, name)
                if info is None:
                    if restored is None:
                        raise NotFound("object not found")
                    info = restored
            if expired:
                raise NotFound("object not found")
        for b in blobs:
            self.store.delete(b)
        assert info is not None
        return info

    def _restore(self, s: Session, c: SwiftContainer, name: str) -> ObjectInfo | None:
        vc = s.scalar(sa.select(SwiftContainer).where(
            SwiftContainer.project_id == c.project_id,
            SwiftContainer.name == c.sysmeta["versions_location"]))
        if vc is None:
            return None
        prefix = f"{len(name.encode()):03x}{name}/"
        rows = self._listing(s, SwiftObject, [SwiftObject.container_id == vc.id],
                             ListParams(prefix=prefix, limit=1, reverse=True))
        if not rows or isinstance(rows[0], Subdir):
            return None
        v: SwiftObject = rows[0]
        self._count(s, vc, -1, -v.size)
        self._count(s, c, 1, v.size)
        v.container_id = c.id
        v.name = name
        s.flush()
        return _object_info(v, c.name)
