"""Backups: full and incremental, restore to a new or an existing volume, delete.

The volume is read in chunks (``CHUNK_SIZE``); every chunk that is not a hole is
stored as one object named ``<backup id>/<offset>``; an incremental backup
stores only the chunks whose SHA-256 differs from its parent's and refers to
the parent's objects for the rest.  The index (offset, hash, object) is kept in
the backup's row.  Objects go to the object store (container ``volumebackups``
of the project's account) when that service runs, to a local directory
otherwise."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest
from onestack.core.retry import retry_transaction
from onestack.volume.drivers.base import CHUNK_SIZE, VolumeDriverError
from onestack.volume.manager import messages as msg
from onestack.volume.manager.common import State, check_metadata, new_id, parse_bool
from onestack.volume.manager.listing import ListQuery, page
from onestack.volume.manager.quotas import QuotaManager
from onestack.volume.models import Backup, Snapshot, Volume

LOG = logging.getLogger(__name__)
SORT_KEYS = ("id", "name", "status", "size", "created_at", "updated_at", "volume_id", "project_id",
             "container", "availability_zone")
CONTAINER = "volumebackups"


class LocalStore:
    """Backup objects as files under ``<volume data path>/backups``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, project_id: str, container: str, name: str) -> Path:
        return self.root / project_id / container / name.replace("/", "_")

    def put(self, project_id: str, container: str, name: str, data: bytes) -> None:
        p = self._path(project_id, container, name)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, p)

    def get(self, project_id: str, container: str, name: str) -> bytes:
        return self._path(project_id, container, name).read_bytes()

    def delete(self, project_id: str, container: str, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(project_id, container, name).unlink()


class SwiftStore:
    """Backup objects in the object store, through its manager."""

    def __init__(self, object_store: Any) -> None:
        self.os = object_store

    def put(self, project_id: str, container: str, name: str, data: bytes) -> None:
        from onestack.object_store.manager import NewObject

        if self.os.find_container(project_id, container) is None:
            self.os.put_container(project_id, container, {}, {})
        w = self.os.store.writer()
        try:
            w.write(data)
            w.finish()
            self.os.commit_object(project_id, container, name, w, len(data), hashlib.md5(data).hexdigest(),
                                  NewObject(content_type="application/octet-stream"))
        except BaseException:
            with contextlib.suppress(Exception):
                w.abort()
            raise

    def get(self, project_id: str, container: str, name: str) -> bytes:
        info = self.os.get_object(project_id, container, name)
        return b"".join(self.os.read(info.blob))

    def delete(self, project_id: str, container: str, name: str) -> None:
        with contextlib.suppress(Exception):
            self.os.delete_object(project_id, container, name)


class BackupManager:
    def __init__(self, st: State, quotas: QuotaManager) -> None:
        self.st = st
        self.quotas = quotas
        if st.object_store is not None:
            self.store: LocalStore | SwiftStore = SwiftStore(st.object_store)
        else:
            self.store = LocalStore(st.driver.state_path / "backups")

    # ---- create --------------------------------------------------------------------------
    @retry_transaction  # the quota check locks the project
    def create(self, ctx: RequestContext, body: dict[str, Any], with_meta: bool) -> Backup:
        st = self.st
        volume_id = body.get("volume_id")
        if not isinstance(volume_id, str) or not volume_id:
            raise BadRequest("Invalid input received: volume_id must be given.")
        incremental = parse_bool(body.get("incremental", False), "incremental")
        force = parse_bool(body.get("force", False), "force")
        meta = check_metadata(body.get("metadata") or {}) if with_meta else {}
        container = body.get("container") or CONTAINER
        if not isinstance(container, str) or len(container) > 255 or "/" in container:
            raise BadRequest("Invalid input received: invalid container name.")
        az = body.get("availability_zone") or st.conf.volume.availability_zone
        if az != st.conf.volume.availability_zone:
            raise BadRequest(f"Invalid input received: Availability zone '{az}' is invalid.")
        with self.quotas.session() as s:
            v = st.volume(s, ctx, volume_id, lock=True)
            st.enforce(ctx, "backup:create", v.project_id)
            snapshot_id = body.get("snapshot_id")
            if snapshot_id:
                snap = st.snapshot(s, ctx, str(snapshot_id))
                if snap.volume_id != v.id or snap.status != "available":
                    raise BadRequest("Invalid snapshot: the snapshot must be available and of this volume.")
            ok = ("available", "in-use") if force else ("available",)
            if v.status not in ok:
                raise BadRequest(f"Invalid volume: Volume to be backed up must be available or in-use, but the "
                                 f"current status is \"{v.status}\".")
            parent = None
            if incremental:
                parent = s.scalar(sa.select(Backup).where(Backup.volume_id == v.id, Backup.status == "available",
                                                          Backup.project_id == v.project_id)
                                  .order_by(Backup.created_at.desc(), Backup.id.desc()).limit(1))
                if parent is None:
                    raise BadRequest("Invalid backup: No backups available to do an incremental backup.")
            self.quotas.check(s, v.project_id, None, backups=1, backup_gigabytes=v.size)
            b = Backup(id=new_id(), project_id=v.project_id, user_id=ctx.user_id or "", volume_id=v.id,
                       snapshot_id=snapshot_id, parent_id=parent.id if parent else None,
                       name=body.get("name"), description=body.get("description"), size=v.size,
                       status="creating", availability_zone=az, container=container,
                       is_incremental=parent is not None, object_count=0, chunks=[], meta=meta,
                       volume_meta={"metadata": dict(v.meta), "image_metadata": dict(v.image_meta),
                                    "bootable": v.bootable},
                       data_timestamp=utcnow(), created_at=utcnow())
            s.add(b)
            previous = v.status
            if not snapshot_id:
                v.status, v.updated_at = "backing-up", utcnow()
        st.submit(self._backup_job, b.id, previous, bool(snapshot_id))
        return b

    def _backup_job(self, backup_id: str, previous: str, from_snapshot: bool) -> None:
        with self.st.db.session() as s:
            b = s.get(Backup, backup_id)
            if b is None:
                return
            parent = s.get(Backup, b.parent_id) if b.parent_id else None
            base = {c[0]: c for c in (parent.chunks if parent else [])}
            project, container, volume_id = b.project_id, b.container or CONTAINER, b.volume_id
        index: list[list[Any]] = []
        stored = 0
        try:
            for off, data in self.st.driver.read_chunks(volume_id, CHUNK_SIZE):
                if data is None or data.count(0) == len(data):
                    index.append([off, None, None])
                    continue
                digest = hashlib.sha256(data).hexdigest()
                old = base.get(off)
                if old is not None and old[1] == digest:
                    index.append([off, digest, old[2]])
                    continue
                name = f"{backup_id}/{off:016d}"
                self.store.put(project, container, name, data)
                stored += 1
                index.append([off, digest, name])
        except (VolumeDriverError, OSError, Exception) as e:
            LOG.warning("backup %s failed: %s", backup_id, e)
            for _, _, name in index:
                if name and name.startswith(backup_id):
                    self.store.delete(project, container, name)
            self._finish(backup_id, "error", volume_id, previous, from_snapshot, fail_reason=str(e))
            self.st.messages.record(project, "", "VOLUME_BACKUP", backup_id, msg.BACKUP_CREATE, msg.UNKNOWN_ERROR)
            return
        self._finish(backup_id, "available", volume_id, previous, from_snapshot, chunks=index,
                     object_count=stored)

    def _finish(self, backup_id: str, status: str, volume_id: str, previous: str, from_snapshot: bool,
                **extra: Any) -> None:
        with self.st.db.session() as s:
            b = s.get(Backup, backup_id)
            if b is not None:
                b.status, b.updated_at = status, utcnow()
                for k, v in extra.items():
                    setattr(b, k, v)
            v = s.get(Volume, volume_id)
            if v is not None and not from_snapshot and v.status == "backing-up":
                v.status, v.updated_at = previous, utcnow()

    # ---- read ----------------------------------------------------------------------------------
    def get(self, ctx: RequestContext, backup_id: str) -> Backup:
        with self.st.db.session() as s:
            b = self.st.backup(s, ctx, backup_id)
            self.st.enforce(ctx, "backup:get", b.project_id)
            return b

    def has_dependents(self, backup_ids: list[str]) -> set[str]:
        if not backup_ids:
            return set()
        with self.st.db.session() as s:
            return set(s.scalars(sa.select(Backup.parent_id).where(Backup.parent_id.in_(backup_ids))))

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Backup], int | None]:
        st = self.st
        st.enforce(ctx, "backup:get_all")
        stmt, f = st.listing(ctx, Backup, q)
        for key, val in f.items():
            if key == "name":
                stmt = stmt.where(Backup.name == val)
            elif key == "status":
                stmt = stmt.where(Backup.status == val)
            elif key == "volume_id":
                stmt = stmt.where(Backup.volume_id == val)
        with st.db.session() as s:
            return page(s, stmt, Backup, q, "backup")

    def update(self, ctx: RequestContext, backup_id: str, body: dict[str, Any]) -> Backup:
        with self.st.db.session() as s:
            b = self.st.backup(s, ctx, backup_id, lock=True)
            self.st.enforce(ctx, "backup:update", b.project_id)
            if "name" in body:
                b.name = body["name"]
            if "description" in body:
                b.description = body["description"]
            if "metadata" in body:
                b.meta = check_metadata(body["metadata"])
            b.updated_at = utcnow()
            return b

    # ---- delete ------------------------------------------------------------------------------------
    def delete(self, ctx: RequestContext, backup_id: str, force: bool = False) -> None:
        with self.st.db.session() as s:
            b = self.st.backup(s, ctx, backup_id, lock=True)
            self.st.enforce(ctx, "volume_extension:backup_admin_actions:force_delete" if force
                            else "backup:delete", b.project_id)
            if b.status not in ("available", "error") and not force:
                raise BadRequest(f"Invalid backup: Backup status must be available or error, but current "
                                 f"status is: {b.status}.")
            if s.scalar(sa.select(Backup.id).where(Backup.parent_id == b.id).limit(1)):
                raise BadRequest("Invalid backup: Incremental backups exist for this backup.")
            b.status, b.updated_at = "deleting", utcnow()
        self.st.submit(self._delete_job, backup_id)

    def _delete_job(self, backup_id: str) -> None:
        with self.st.db.session() as s:
            b = s.get(Backup, backup_id)
            if b is None:
                return
            project, container, chunks = b.project_id, b.container or CONTAINER, list(b.chunks)
        for _, _, name in chunks:
            if name and name.startswith(backup_id):
                self.store.delete(project, container, name)
        with self.st.db.session() as s:
            s.execute(sa.delete(Backup).where(Backup.id == backup_id))

    def reset_status(self, ctx: RequestContext, backup_id: str, status: Any) -> None:
        with self.st.db.session() as s:
            b = self.st.backup(s, ctx, backup_id, lock=True)
            self.st.enforce(ctx, "volume_extension:backup_admin_actions:reset_status", b.project_id)
            if status not in ("available", "error"):
                raise BadRequest(f"Invalid input received: Invalid backup status: {status}")
            b.status, b.updated_at = status, utcnow()

    # ---- export / import of the backup record (admin) ----------------------------------------------
    def service_name(self) -> str:
        kind = "swift" if isinstance(self.store, SwiftStore) else "posix"
        return f"cinder.backup.drivers.{kind}"

    def export_record(self, ctx: RequestContext, backup_id: str) -> dict[str, str]:
        import base64
        import json

        with self.st.db.session() as s:
            b = self.st.backup(s, ctx, backup_id)
            self.st.enforce(ctx, "backup:export-import", b.project_id)
            if b.status != "available":
                raise BadRequest(f"Invalid backup: Backup status must be available and not {b.status}.")
            record = {"id": b.id, "project_id": b.project_id, "user_id": b.user_id, "volume_id": b.volume_id,
                      "snapshot_id": b.snapshot_id, "parent_id": b.parent_id, "display_name": b.name,
                      "display_description": b.description, "size": b.size, "container": b.container,
                      "availability_zone": b.availability_zone, "is_incremental": b.is_incremental,
                      "object_count": b.object_count, "chunks": b.chunks, "metadata": b.meta,
                      "volume_meta": b.volume_meta}
        url = base64.b64encode(json.dumps(record).encode()).decode()
        return {"backup_service": self.service_name(), "backup_url": url}

    def import_record(self, ctx: RequestContext, service: Any, url: Any) -> Backup:
        import base64
        import binascii
        import json

        self.st.enforce(ctx, "backup:backup-import")
        if service != self.service_name():
            raise BadRequest(f"Invalid input received: Backup service {service!r} is not supported "
                             f"(this cloud runs {self.service_name()}).")
        try:
            record = json.loads(base64.b64decode(str(url), validate=True))
            assert isinstance(record, dict)
            bid, size = str(record["id"]), int(record["size"])
            chunks = [[int(c[0]), c[1], c[2]] for c in record.get("chunks") or []]
        except (ValueError, KeyError, TypeError, AssertionError, binascii.Error, IndexError):
            raise BadRequest("Invalid input received: the backup_url is not a backup record.") from None
        if not 0 < len(bid) <= 36 or size < 1:
            raise BadRequest("Invalid input received: the backup record has a bad id or size.")
        with self.st.db.session() as s:
            if s.get(Backup, bid) is not None:
                raise BadRequest(f"Invalid backup: Backup {bid} already exists.")
            b = Backup(id=bid, project_id=ctx.project_id or "", user_id=ctx.user_id or "",
                       volume_id=str(record.get("volume_id") or ""), snapshot_id=None,
                       parent_id=record.get("parent_id"), name=record.get("display_name"),
                       description=record.get("display_description"), size=size, status="available",
                       availability_zone=self.st.conf.volume.availability_zone,
                       container=str(record.get("container") or CONTAINER)[:255],
                       is_incremental=bool(record.get("is_incremental")),
                       object_count=int(record.get("object_count") or 0), chunks=chunks,
                       meta=check_metadata(record.get("metadata") or {}),
                       volume_meta=record.get("volume_meta") if isinstance(record.get("volume_meta"), dict)
                       else {}, data_timestamp=utcnow(), created_at=utcnow())
            # the objects stay in the exporting project's account: read them from there
            b.volume_meta = {**b.volume_meta, "source_project": str(record.get("project_id") or "")}
            s.add(b)
            return b

    # ---- restore -------------------------------------------------------------------------------------
    def restore(self, ctx: RequestContext, backup_id: str, volume_id: str | None, name: str | None,
                volumes: Any) -> dict[str, Any]:
        st = self.st
        with st.db.session() as s:
            b = st.backup(s, ctx, backup_id, lock=True)
            st.enforce(ctx, "backup:restore", b.project_id)
            if b.status != "available":
                raise BadRequest(f"Invalid backup: Backup status must be available, but current status is: "
                                 f"{b.status}.")
        if volume_id is None:
            v = volumes.create(ctx, {"size": b.size, "name": name or f"restore_backup_{b.id}",
                                     "backup_id": b.id})
            return {"backup_id": b.id, "volume_id": v.id, "volume_name": v.name}
        with st.db.session() as s:
            b = st.backup(s, ctx, backup_id, lock=True)
            v = st.volume(s, ctx, volume_id, lock=True)
            if v.status != "available":
                raise BadRequest(f"Invalid volume: Volume to be restored to must be available, but the current "
                                 f"status is \"{v.status}\".")
            if v.size < b.size:
                raise BadRequest(f"Invalid volume: volume size {v.size}GB is too small to restore backup of "
                                 f"size {b.size}GB.")
            if b.status != "available":
                raise BadRequest("Invalid backup: Backup status must be available.")
            v.status, v.updated_at = "restoring-backup", utcnow()
            b.status, b.updated_at = "restoring", utcnow()
            vname = v.name
        st.submit(self.restore_job, backup_id, volume_id, False)
        return {"backup_id": backup_id, "volume_id": volume_id, "volume_name": vname}

    def restore_job(self, backup_id: str, volume_id: str, new_volume: bool) -> None:
        drv = self.st.driver
        with self.st.db.session() as s:
            b = s.get(Backup, backup_id)
            v = s.get(Volume, volume_id)
            if b is None or v is None:
                return
            project, container, chunks, size = b.project_id, b.container or CONTAINER, list(b.chunks), v.size
            project = (b.volume_meta or {}).get("source_project") or project
            bsize = b.size
        try:
            if new_volume:
                drv.create_volume(volume_id, size)

            def pieces() -> Any:
                for off, _digest, name in chunks:
                    if name is None:
                        if not new_volume:
                            length = min(CHUNK_SIZE, bsize * 1024**3 - off)
                            yield off, bytes(length)
                        continue
                    yield off, self.store.get(project, container, name)

            drv.write_chunks(volume_id, pieces())
        except (VolumeDriverError, OSError, Exception) as e:
            LOG.warning("restore of backup %s onto %s failed: %s", backup_id, volume_id, e)
            self._restored(backup_id, volume_id, "error_restoring", str(e))
            self.st.messages.record(project, "", "VOLUME_BACKUP", backup_id, msg.BACKUP_RESTORE, msg.UNKNOWN_ERROR)
            return
        self._restored(backup_id, volume_id, "available", None)

    def _restored(self, backup_id: str, volume_id: str, status: str, reason: str | None) -> None:
        with self.st.db.session() as s:
            b = s.get(Backup, backup_id)
            if b is not None and b.status == "restoring":
                b.status, b.updated_at = "available", utcnow()
            v = s.get(Volume, volume_id)
            if v is not None:
                v.status, v.status_reason, v.updated_at = status, reason, utcnow()
                if status == "available" and v.launched_at is None:
                    v.launched_at = utcnow()
                if status == "available" and b is not None and b.volume_meta:
                    # as Cinder: the source volume's metadata comes back with its data
                    saved = b.volume_meta
                    v.meta = {**v.meta, **(saved.get("metadata") or {})}
                    v.image_meta = {**v.image_meta, **(saved.get("image_metadata") or {})}
                    v.bootable = bool(saved.get("bootable", v.bootable))


__all__ = ["BackupManager", "Snapshot"]
