"""Objects: reads (the single-query GET/HEAD), writes (publish the blob, then
commit its row), metadata updates and deletes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, NotFound
from onestack.object_store.drivers import BlobWriter
from onestack.object_store.errors import PreconditionFailed, Unprocessable
from onestack.object_store.manager import quotas
from onestack.object_store.manager.common import (
    _Q,
    ContainerInfo,
    ListParams,
    NewObject,
    ObjectInfo,
    Part,
    check_meta,
    container_info,
    container_row,
    count,
    locked_container,
    new_key,
    now_ts,
    object_info,
)
from onestack.object_store.manager.listing import listing
from onestack.object_store.manager.versions import archive, commit_versioned, restore
from onestack.object_store.models import SwiftContainer, SwiftObject


class Objects(Part):
    # ---- reads ------------------------------------------------------------------------
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
            c = container_row(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name))
            if o is None:
                raise NotFound("object not found")
            if o.delete_at is None or o.delete_at > time.time():
                return object_info(o, container)
            c = locked_container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name,
                SwiftObject.delete_at <= time.time()).with_for_update()
                .execution_options(populate_existing=True))
            if o is not None:
                count(s, c, -1, -o.size)
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
            rows = listing(s, SwiftObject, [SwiftObject.container_id == c.id], p)
            return [object_info(r, container) for r in rows if isinstance(r, SwiftObject)]

    # ---- writes -----------------------------------------------------------------------
    def check_quota(self, project_id: str, container: ContainerInfo, add_bytes: int,
                    add_count: int = 1, s: Session | Connection | None = None) -> None:
        """Raise 413 if adding an object would pass a container or account quota."""
        if s is not None:
            return quotas.check_quota(s, project_id, container, add_bytes, add_count)
        with self.session() as s2:
            return quotas.check_quota(s2, project_id, container, add_bytes, add_count)

    def check_put(self, project_id: str, container: str, add_bytes: int | None) -> ContainerInfo:
        """Before receiving a body: the container exists and (``add_bytes`` given) the
        upload fits its quotas.  One unit of work."""
        with self.session() as s:
            info = container_info(container_row(s, project_id, container))
            if add_bytes is not None:
                quotas.check_quota(s, project_id, info, add_bytes)
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
                    result = commit_versioned(s, project_id, container, name, key, size, etag,
                                              new, old_blobs)
            # committed
        except BaseException:
            self.store.delete(key)
            raise
        for b in old_blobs:
            self.store.delete(b)
        return result

    @staticmethod
    def _lock_container_row(conn: Connection, project_id: str, name: str) -> Any:
        """``locked_container`` in plain SQL: the container's row, locked until the commit."""
        conn.execute(_Q.lock_container, {"p": project_id, "n": name})
        row = conn.execute(_Q.container_for_update, {"p": project_id, "n": name}).first()
        if row is None:
            raise NotFound("container not found")
        return row

    @staticmethod
    def _commit(conn: Connection, c: Any, project_id: str, container: str, name: str,
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
        quotas.check_quota(conn, project_id, info, size - (ex.size if ex else 0), 0 if ex else 1)
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

    def post_object(self, project_id: str, container: str, name: str, meta: dict[str, str],
                    sysmeta_updates: dict[str, Any], content_type: str | None,
                    delete_at: int | None | bool) -> None:
        """Replace user metadata (Swift's POST semantics). ``delete_at`` False = unchanged."""
        check_meta(meta)
        with self.session(write=True) as s:
            c = locked_container(s, project_id, container)
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
            c = locked_container(s, project_id, container)
            o = s.scalar(sa.select(SwiftObject).where(
                SwiftObject.container_id == c.id, SwiftObject.name == name))
            sysmeta = c.sysmeta or {}
            expired = o is not None and o.delete_at is not None and o.delete_at <= time.time()
            if sysmeta.get("history_location") and o is not None and not expired:
                archived = object_info(o, container)
                archive(s, c, o)
                return archived
            if o is None and not sysmeta.get("versions_location"):
                raise NotFound("object not found")
            info: ObjectInfo | None = object_info(o, container) if o is not None else None
            if o is not None:
                count(s, c, -1, -o.size)
                blobs.append(o.blob)
                s.delete(o)
                s.flush()
            if sysmeta.get("versions_location"):
                restored = restore(s, c, name)
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
