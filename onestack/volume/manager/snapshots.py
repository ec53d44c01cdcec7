"""Snapshots: create (202, creating -> available), list, show, update, delete,
metadata, admin reset-status and force-delete."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.retry import retry_transaction
from onestack.volume.drivers.base import VolumeDriverError
from onestack.volume.manager import messages as msg
from onestack.volume.manager.common import State, check_metadata, new_id, parse_bool, set_names
from onestack.volume.manager.listing import ListQuery, page_matching, parse_dict
from onestack.volume.manager.metadata import Metadata
from onestack.volume.manager.quotas import QuotaManager
from onestack.volume.models import Snapshot, Volume, VolumeType

LOG = logging.getLogger(__name__)
SORT_KEYS = ("id", "name", "display_name", "status", "size", "created_at", "updated_at", "volume_id", "project_id")
SNAPSHOT_STATUSES = ("creating", "available", "deleting", "error", "error_deleting", "backing-up", "restoring",
                     "unmanaging")


class SnapshotManager:
    def __init__(self, st: State, quotas: QuotaManager) -> None:
        self.st = st
        self.quotas = quotas
        self.metadata = Metadata(st, st.snapshot, "meta", "volume:get_snapshot_metadata",
                                 "volume:update_snapshot_metadata", "volume:delete_snapshot_metadata",
                                 "Snapshot {id} has no metadata with key {key}.")

    @retry_transaction  # the quota check locks the project
    def create(self, ctx: RequestContext, body: dict[str, Any], allow_in_use: bool) -> Snapshot:
        st = self.st
        if "volume_id" not in body:
            raise BadRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property")
        volume_id = body["volume_id"]
        if volume_id is None:
            raise NotFound("Volume None could not be found.")
        if not isinstance(volume_id, str) or not volume_id:
            raise BadRequest("Invalid input received: volume_id must be a string.")
        force = parse_bool(body.get("force", False), "force")
        meta = check_metadata(body.get("metadata") or {})
        with self.quotas.session() as s:
            v = st.volume(s, ctx, volume_id, lock=True)
            st.enforce(ctx, "volume:create_snapshot", v.project_id)
            ok = ("available", "in-use") if (force or allow_in_use) else ("available",)
            if v.status not in ok:
                raise BadRequest(f"Invalid volume: Volume {v.id} status must be {' or '.join(ok)}, but "
                                 f"current status is: {v.status}.")
            t = s.get(VolumeType, v.volume_type_id) if v.volume_type_id else None
            self.quotas.check(s, v.project_id, t.name if t else None, snapshots=1, gigabytes=v.size)
            snap = Snapshot(id=new_id(), project_id=v.project_id, user_id=ctx.user_id or "", volume_id=v.id,
                            name=body.get("name", body.get("display_name")),
                            description=body.get("description", body.get("display_description")),
                            size=v.size, status="creating", progress="0%", meta=meta, created_at=utcnow())
            s.add(snap)
        st.submit(self._create_job, snap.id, volume_id, snap.project_id, ctx.request_id)
        return snap

    def _create_job(self, snapshot_id: str, volume_id: str, project_id: str = "", request_id: str = "") -> None:
        try:
            self.st.driver.create_snapshot(snapshot_id, volume_id)
        except VolumeDriverError as e:
            self._set(snapshot_id, "error", status_reason=str(e))
            self.st.messages.record(project_id, request_id, "SNAPSHOT", snapshot_id, msg.SNAPSHOT_CREATE,
                                    msg.SNAPSHOT_CREATE_ERROR)
            return
        self._set(snapshot_id, "available", progress="100%")

    def _set(self, snapshot_id: str, status: str, **extra: Any) -> None:
        with self.st.db.session() as s:
            snap = s.get(Snapshot, snapshot_id)
            if snap is None:
                return
            if snap.status == "deleting" and status != "error_deleting":
                return
            snap.status, snap.updated_at = status, utcnow()
            for k, v in extra.items():
                setattr(snap, k, v)

    def get(self, ctx: RequestContext, snapshot_id: str) -> Snapshot:
        with self.st.db.session() as s:
            snap = self.st.snapshot(s, ctx, snapshot_id)
            self.st.enforce(ctx, "volume:get_snapshot", snap.project_id)
            return snap

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Snapshot], int | None]:
        st = self.st
        st.enforce(ctx, "volume:get_all_snapshots")
        stmt, f = st.listing(ctx, Snapshot, q)
        meta_filter = None
        for key, val in f.items():
            like = key.endswith("~")
            key = key.rstrip("~")
            if key in ("name", "display_name"):
                stmt = stmt.where(Snapshot.name.contains(val) if like else Snapshot.name == val)
            elif key == "status":
                stmt = stmt.where(Snapshot.status == val)
            elif key == "volume_id":
                stmt = stmt.where(Snapshot.volume_id == val)
            elif key == "metadata":
                meta_filter = parse_dict(val, "metadata")
        with st.db.session() as s:
            return page_matching(s, stmt, Snapshot, q, "snapshot", {"meta": meta_filter})

    def update(self, ctx: RequestContext, snapshot_id: str, body: dict[str, Any]) -> Snapshot:
        with self.st.db.session() as s:
            snap = self.st.snapshot(s, ctx, snapshot_id, lock=True)
            self.st.enforce(ctx, "volume:update_snapshot", snap.project_id)
            set_names(snap, body)
            snap.updated_at = utcnow()
            return snap

    def delete(self, ctx: RequestContext, snapshot_id: str, force: bool = False) -> None:
        st = self.st
        with st.db.session() as s:
            snap = st.snapshot(s, ctx, snapshot_id, lock=True)
            st.enforce(ctx, "volume_extension:snapshot_admin_actions:force_delete" if force
                       else "volume:delete_snapshot", snap.project_id)
            if not force and snap.status not in ("available", "error", "error_deleting"):
                raise BadRequest(f"Invalid snapshot: Volume Snapshot status must be available or error or "
                                 f"error_deleting, but current status is: {snap.status}.")
            snap.status, snap.updated_at = "deleting", utcnow()
        st.submit(self._delete_job, snapshot_id)

    def _delete_job(self, snapshot_id: str) -> None:
        try:
            self.st.driver.delete_snapshot(snapshot_id)
        except VolumeDriverError as e:
            self._set(snapshot_id, "error_deleting", status_reason=str(e))
            return
        with self.st.db.session() as s:
            s.execute(sa.delete(Snapshot).where(Snapshot.id == snapshot_id))

    def reset_status(self, ctx: RequestContext, snapshot_id: str, status: Any) -> None:
        with self.st.db.session() as s:
            snap = self.st.snapshot(s, ctx, snapshot_id, lock=True)
            self.st.enforce(ctx, "volume_extension:snapshot_admin_actions:reset_status", snap.project_id)
            if status not in SNAPSHOT_STATUSES:
                raise BadRequest(f"Invalid input received: Invalid snapshot status: {status}")
            snap.status, snap.updated_at = status, utcnow()

    def update_status(self, ctx: RequestContext, snapshot_id: str, status: Any, progress: Any) -> None:
        """``os-update_snapshot_status``, what a backend that snapshots out of band
        reports: creating -> available/error, deleting -> error_deleting."""
        allowed = {"creating": ("creating", "available", "error"), "deleting": ("deleting", "error_deleting")}
        with self.st.db.session() as s:
            snap = self.st.snapshot(s, ctx, snapshot_id, lock=True)
            self.st.enforce(ctx, "snapshot_extension:snapshot_actions:update_snapshot_status", snap.project_id)
            if status not in allowed.get(snap.status, ()):
                raise BadRequest(f"Invalid input received: Snapshot status {snap.status} not allowed for "
                                 f"update_snapshot_status to {status}.")
            if progress is not None:
                if not isinstance(progress, str) or len(progress) > 8:
                    raise BadRequest("Invalid input received: progress must be a short string like '50%'.")
                snap.progress = progress
            snap.status, snap.updated_at = status, utcnow()


__all__ = ["SnapshotManager", "Volume"]
