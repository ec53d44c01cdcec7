"""Volumes: create (empty, from image, snapshot, volume or backup), list, show,
update, delete (cascade), extend, metadata, bootable/readonly flags, upload to
an image.  Slow work runs in the background worker and moves the status."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import ApiError, BadRequest
from onestack.core.retry import retry_transaction
from onestack.volume.drivers.base import VolumeDriverError
from onestack.volume.manager import messages as msg
from onestack.volume.manager.common import (
    DELETABLE,
    EXTENDING_TO,
    VOLUME_STATUSES,
    State,
    check_metadata,
    end_extend,
    new_id,
    parse_bool,
    require_status,
    set_names,
    unmet_spec,
)
from onestack.volume.manager.listing import ListQuery, page_matching, parse_dict
from onestack.volume.manager.metadata import Metadata
from onestack.volume.manager.quotas import QuotaManager
from onestack.volume.models import Attachment, Backup, Snapshot, Transfer, Volume, VolumeType

LOG = logging.getLogger(__name__)
SORT_KEYS = ("id", "name", "status", "size", "availability_zone", "created_at", "updated_at", "bootable",
             "project_id", "user_id", "volume_type_id", "display_name")
# image properties that never become volume_image_metadata
_IMAGE_SKIP = {"id", "name", "status", "visibility", "protected", "tags", "owner", "file", "schema", "self",
               "created_at", "updated_at", "locations", "direct_url", "os_hash_algo", "os_hash_value",
               "os_hidden", "stores", "virtual_size"}


class VolumeManager:
    def __init__(self, st: State, quotas: QuotaManager) -> None:
        self.st = st
        self.quotas = quotas
        # set by the facade: the backup manager's restore (backup_id, volume_id, new volume?)
        self.restore_job: Any = None
        # set by the facade: the attachment manager (the old attach actions live there)
        self.attachments: Any = None
        self.metadata = Metadata(
            st, st.volume, "meta", "volume:get_volume_metadata", "volume:update_volume_metadata",
            "volume:delete_volume_metadata", "Volume {id} has no metadata with key {key}.",
            writable=_not_in_maintenance)
        # the os-set/unset/show_image_metadata actions
        self.image_metadata = Metadata(
            st, st.volume, "image_meta", "volume_extension:volume_image_metadata:show",
            "volume_extension:volume_image_metadata:set", "volume_extension:volume_image_metadata:remove",
            "Glance metadata for volume {id} with key {key} not found.")

    # the old attach/detach actions, where Nova's code looks for them
    def reserve(self, ctx: RequestContext, volume_id: str) -> None:
        self.attachments.reserve(ctx, volume_id)

    def unreserve(self, ctx: RequestContext, volume_id: str) -> None:
        self.attachments.unreserve(ctx, volume_id)

    def begin_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        self.attachments.begin_detaching(ctx, volume_id)

    def roll_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        self.attachments.roll_detaching(ctx, volume_id)

    # ---- create -----------------------------------------------------------------------
    @retry_transaction  # the quota check locks the project
    def create(self, ctx: RequestContext, body: dict[str, Any]) -> Volume:
        st = self.st
        st.enforce(ctx, "volume:create")
        image_id = body.get("imageRef") or body.get("image_id")
        if image_id:
            st.enforce(ctx, "volume:create_from_image")
        meta = check_metadata(body.get("metadata") or {})
        az = body.get("availability_zone") or st.conf.volume.availability_zone
        if az != st.conf.volume.availability_zone:
            raise BadRequest(f"Invalid input received: Availability zone '{az}' is invalid.")
        size = _size(body.get("size"))
        multiattach = parse_bool(body.get("multiattach", False), "multiattach")
        image: dict[str, Any] | None = None
        if image_id:
            image = self._image(ctx, str(image_id))
        with self.quotas.session() as s:
            src_snap = src_vol = src_backup = None
            if body.get("snapshot_id"):
                src_snap = st.snapshot(s, ctx, str(body["snapshot_id"]))
                if src_snap.status != "available":
                    raise BadRequest(f"Invalid snapshot: Originating snapshot status must be one of "
                                     f"'available' values but is {src_snap.status}.")
            if body.get("source_volid"):
                src_vol = st.volume(s, ctx, str(body["source_volid"]))
                if src_vol.status not in ("available", "in-use"):
                    raise BadRequest(f"Invalid volume: Source volume status must be available or in-use, "
                                     f"but is {src_vol.status}.")
            if body.get("backup_id"):
                src_backup = st.backup(s, ctx, str(body["backup_id"]))
                if src_backup.status != "available":
                    raise BadRequest(f"Invalid backup: Backup status must be available, but is "
                                     f"{src_backup.status}.")
            sources = [x for x in (src_snap, src_vol, src_backup, image) if x is not None]
            if len(sources) > 1:
                raise BadRequest("Invalid input received: only one of snapshot_id, source_volid, backup_id "
                                 "and imageRef may be given.")
            src_size = None
            if src_snap is not None:
                src_size = src_snap.size
            elif src_vol is not None:
                src_size = src_vol.size
            elif src_backup is not None:
                src_size = src_backup.size
            if size is None:
                if src_size is None:
                    raise BadRequest("Invalid input received: Volume size must be an integer and greater "
                                     "than 0.")
                size = src_size
            if src_size is not None and size < src_size:
                raise BadRequest(f"Invalid input received: Volume size '{size}'GB cannot be smaller than the "
                                 f"source size {src_size}GB.")
            if image is not None:
                need = max(int(image.get("min_disk") or 0), -(-int(image.get("size") or 0) // 1024**3))
                if size < need:
                    raise BadRequest(f"Invalid input received: Volume size {size}GB cannot be smaller than "
                                     f"the image minDisk size {need}GB.")
            # the type: given, else the source volume's, else the default
            if body.get("volume_type"):
                vtype = st.type_by_name_or_id(s, ctx, str(body["volume_type"]))
            elif src_vol is not None and src_vol.volume_type_id:
                vtype = s.get(VolumeType, src_vol.volume_type_id) or st.default_type(s)
            elif src_snap is not None:
                parent = s.get(Volume, src_snap.volume_id)
                vtype = (s.get(VolumeType, parent.volume_type_id) if parent and parent.volume_type_id
                         else None) or st.default_type(s)
            else:
                vtype = st.default_type(s)
            if vtype.extra_specs.get("multiattach", "").lower() in ("<is> true", "true"):
                multiattach = True
            if multiattach:
                st.enforce(ctx, "volume:multiattach")
            self.quotas.check(s, ctx.project_id or "", vtype.name, volumes=1, gigabytes=size)
            v = Volume(
                id=new_id(), project_id=ctx.project_id or "", user_id=ctx.user_id or "",
                name=body.get("name", body.get("display_name")),
                description=body.get("description", body.get("display_description")),
                size=size, status="creating", attach_status="detached", availability_zone=az,
                volume_type_id=vtype.id, host=st.host, bootable=False, multiattach=multiattach,
                snapshot_id=src_snap.id if src_snap else None, source_volid=src_vol.id if src_vol else None,
                image_id=image["id"] if image else None, backup_id=src_backup.id if src_backup else None,
                meta=meta, image_meta={}, admin_meta={}, created_at=utcnow())
            if src_vol is not None:
                v.bootable, v.image_meta = src_vol.bootable, dict(src_vol.image_meta)
            if src_snap is not None:
                parent = s.get(Volume, src_snap.volume_id)
                if parent is not None:
                    v.bootable, v.image_meta = parent.bootable, dict(parent.image_meta)
            if image is not None:
                v.bootable = True
                v.image_meta = _image_meta(image)
            if src_backup is not None:
                v.status = "restoring-backup"
            unmet = unmet_spec(vtype.extra_specs, st.capabilities()) if vtype.extra_specs else None
            unplaceable = unmet is not None
            if unplaceable:
                # as Cinder's scheduler: the volume exists, in error, with nowhere to go
                v.status = "error"
                v.status_reason = f"No valid backend was found. The backend does not satisfy {unmet!r}."
                v.host = None
            s.add(v)
            if src_backup is not None:
                src_backup.status = "restoring"
        if unplaceable:
            st.messages.record(v.project_id, ctx.request_id, "VOLUME", v.id, msg.SCHEDULE_ALLOCATE_VOLUME,
                               msg.NO_BACKEND_AVAILABLE)
            if src_backup is not None:
                with st.db.session() as s:
                    s.execute(sa.update(Backup).where(Backup.id == src_backup.id).values(status="available"))
            return v
        if src_backup is not None:
            st.submit(self.restore_job, src_backup.id, v.id, True)
        else:
            st.submit(self._create_job, v.id, size, src_snap.id if src_snap else None,
                      src_vol.id if src_vol else None, image, ctx.request_id)
        return v

    def _image(self, ctx: RequestContext, image_id: str) -> dict[str, Any]:
        if self.st.image is None:
            raise BadRequest("Invalid input received: the image service is not available.")
        try:
            image = self.st.image.get_image(ctx, image_id)
        except ApiError:
            raise BadRequest(f"Invalid image identifier or unable to access requested image. "
                             f"(image {image_id})") from None
        if image.get("status") != "active":
            raise BadRequest(f"Invalid input received: Image {image_id} is not active.")
        return dict(image)

    def _create_job(self, volume_id: str, size: int, snapshot_id: str | None, src_volid: str | None,
                    image: dict[str, Any] | None, request_id: str = "") -> None:
        drv = self.st.driver
        try:
            if snapshot_id:
                drv.create_from_snapshot(volume_id, snapshot_id, size)
            elif src_volid:
                drv.clone_volume(volume_id, src_volid, size)
            elif image is not None:
                path = self.st.image.data_path(image["id"])
                drv.create_from_image(volume_id, size, Path(path), str(image.get("disk_format") or "raw"))
            else:
                drv.create_volume(volume_id, size)
        except (VolumeDriverError, ApiError, OSError) as e:
            LOG.warning("volume %s: creation failed: %s", volume_id, e)
            with contextlib.suppress(Exception):
                drv.delete_volume(volume_id)
            self.st.set_status(volume_id, "error", status_reason=str(e))
            self._message(volume_id, request_id,
                          msg.COPY_IMAGE_TO_VOLUME if image is not None else msg.CREATE_VOLUME_FROM_BACKEND,
                          msg.UNKNOWN_ERROR)
            return
        with self.st.db.session() as s:
            v = s.get(Volume, volume_id)
            if v is None or v.status != "creating":
                # deleted (or force-deleted) while we worked: do not leak the bytes
                gone = True
            else:
                gone = False
                v.status, v.launched_at, v.updated_at = "available", utcnow(), utcnow()
        if gone:
            with contextlib.suppress(Exception):
                drv.delete_volume(volume_id)

    def _message(self, volume_id: str, request_id: str, action: tuple[str, str], detail: tuple[str, str]
                 ) -> None:
        with self.st.db.session() as s:
            v = s.get(Volume, volume_id)
            project = v.project_id if v is not None else ""
        self.st.messages.record(project, request_id, "VOLUME", volume_id, action, detail)

    # ---- read ------------------------------------------------------------------------------
    def get(self, ctx: RequestContext, volume_id: str) -> Volume:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id)
            self.st.enforce(ctx, "volume:get", v.project_id)
            return v

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Volume], int | None]:
        st = self.st
        st.enforce(ctx, "volume:get_all")
        stmt, f = st.listing(ctx, Volume, q)
        meta_filter = image_filter = None
        for key, val in f.items():
            like = key.endswith("~")
            key = key.rstrip("~")
            if key in ("name", "display_name"):
                stmt = stmt.where(Volume.name.contains(val) if like else Volume.name == val)
            elif key == "status":
                stmt = stmt.where(Volume.status == val)
            elif key == "availability_zone":
                stmt = stmt.where(Volume.availability_zone == val)
            elif key == "bootable":
                stmt = stmt.where(Volume.bootable == parse_bool(val, "bootable"))
            elif key == "size":
                try:
                    stmt = stmt.where(Volume.size == int(val))
                except ValueError:
                    raise BadRequest("Invalid input received: size must be an integer") from None
            elif key == "volume_type":
                with st.db.session() as s:
                    t = s.scalar(sa.select(VolumeType).where(
                        sa.or_(VolumeType.id == val, VolumeType.name == val)))
                stmt = stmt.where(Volume.volume_type_id == (t.id if t else val))
            elif key == "metadata":
                meta_filter = parse_dict(val, "metadata")
            elif key in ("image_metadata", "glance_metadata"):
                image_filter = parse_dict(val, "image_metadata")
            elif key in ("id", "snapshot_id", "source_volid", "user_id", "multiattach", "group_id"):
                if key == "multiattach":
                    stmt = stmt.where(Volume.multiattach == parse_bool(val, "multiattach"))
                elif key != "group_id":
                    stmt = stmt.where(getattr(Volume, key) == val)
                else:
                    stmt = stmt.where(sa.false())
            elif key in ("created_at", "updated_at"):
                stmt = stmt.where(_time_filter(getattr(Volume, key), val))
            # unknown filters are ignored, as upstream does for non-admins
        with st.db.session() as s:
            return page_matching(s, stmt, Volume, q, "volume",
                                 {"meta": meta_filter, "image_meta": image_filter})

    def summary(self, ctx: RequestContext, all_tenants: bool) -> dict[str, Any]:
        self.st.enforce(ctx, "volume:get_all")
        stmt = sa.select(Volume)
        if not (all_tenants and self.st.is_admin(ctx)):
            stmt = stmt.where(Volume.project_id == ctx.project_id)
        with self.st.db.session() as s:
            rows = list(s.scalars(stmt))
        meta: dict[str, list[str]] = {}
        for v in rows:
            for k, val in v.meta.items():
                meta.setdefault(k, [])
                if val not in meta[k]:
                    meta[k].append(val)
        return {"total_size": sum(v.size for v in rows), "total_count": len(rows), "metadata": meta}

    def attachments_of(self, volume_ids: list[str]) -> dict[str, list[Attachment]]:
        out: dict[str, list[Attachment]] = {}
        if not volume_ids:
            return out
        with self.st.db.session() as s:
            for a in s.scalars(sa.select(Attachment).where(Attachment.volume_id.in_(volume_ids),
                                                           Attachment.attach_status == "attached")
                               .order_by(Attachment.created_at)):
                out.setdefault(a.volume_id, []).append(a)
        return out

    def types_of(self, type_ids: set[str]) -> dict[str, VolumeType]:
        with self.st.db.session() as s:
            return {t.id: t for t in s.scalars(sa.select(VolumeType).where(VolumeType.id.in_(type_ids)))}

    # ---- update / delete --------------------------------------------------------------------
    def update(self, ctx: RequestContext, volume_id: str, body: dict[str, Any]) -> Volume:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:update", v.project_id)
            set_names(v, body)
            if "metadata" in body:
                v.meta = check_metadata(body["metadata"])
            v.updated_at = utcnow()
            return v

    def delete(self, ctx: RequestContext, volume_id: str, cascade: bool = False, force: bool = False) -> None:
        st = self.st
        with st.db.session() as s:
            v = st.volume(s, ctx, volume_id, lock=True)
            st.enforce(ctx, "volume:force_delete" if force else "volume:delete", v.project_id)
            if not force:
                if v.status not in DELETABLE or v.attach_status != "detached" or v.migration_status:
                    raise BadRequest(
                        "Invalid volume: Volume status must be available or error or error_restoring or "
                        "error_extending or error_managing and must not be migrating, attached, belong to "
                        "a group, have snapshots, awaiting a transfer, or be disassociated from snapshots "
                        "after volume transfer.")
                snaps = list(s.scalars(sa.select(Snapshot).where(Snapshot.volume_id == v.id)))
                if snaps and not cascade:
                    raise BadRequest(f"Invalid volume: Volume {v.id} still has {len(snaps)} dependent "
                                     "snapshots.")
                if any(x.status not in ("available", "error") for x in snaps):
                    raise BadRequest("Invalid volume: Snapshots of the volume must be available or error "
                                     "to delete with cascade.")
                if s.scalar(sa.select(Transfer.id).where(Transfer.volume_id == v.id).limit(1)):
                    raise BadRequest("Invalid volume: Volume is awaiting a transfer.")
            for snap in s.scalars(sa.select(Snapshot).where(Snapshot.volume_id == v.id)):
                snap.status = "deleting"
            v.status, v.updated_at = "deleting", utcnow()
        st.submit(self._delete_job, volume_id)

    def _delete_job(self, volume_id: str) -> None:
        drv = self.st.driver
        with self.st.db.session() as s:
            snap_ids = list(s.scalars(sa.select(Snapshot.id).where(Snapshot.volume_id == volume_id)))
        try:
            for sid in snap_ids:
                drv.delete_snapshot(sid)
                with self.st.db.session() as s:
                    s.execute(sa.delete(Snapshot).where(Snapshot.id == sid))
            drv.delete_volume(volume_id)
        except VolumeDriverError as e:
            LOG.warning("volume %s: delete failed: %s", volume_id, e)
            self.st.set_status(volume_id, "error_deleting", status_reason=str(e))
            return
        with self.st.db.session() as s:
            s.execute(sa.delete(Attachment).where(Attachment.volume_id == volume_id))
            s.execute(sa.delete(Volume).where(Volume.id == volume_id))

    # ---- actions ------------------------------------------------------------------------------
    @retry_transaction  # the quota check locks the project
    def extend(self, ctx: RequestContext, volume_id: str, new_size: Any, allow_in_use: bool) -> None:
        st = self.st
        try:
            n = int(new_size)
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid input received: New size for extend must be an integer, not "
                             f"{new_size!r}.") from None
        if isinstance(new_size, bool) or isinstance(new_size, float) and new_size != n:
            raise BadRequest("Invalid input received: New size for extend must be an integer.")
        with self.quotas.session() as s:
            v = st.volume(s, ctx, volume_id, lock=True)
            attached = v.status == "in-use"
            st.enforce(ctx, "volume:extend_attached_volume" if attached else "volume:extend", v.project_id)
            if attached and not allow_in_use:
                raise BadRequest(f"Invalid volume: Volume {v.id} status must be available to extend, but "
                                 "current status is: in-use.")
            if attached and not st.driver.online_extend:
                raise BadRequest("Invalid volume: the backend cannot extend an attached volume.")
            require_status(v, ("available", "in-use") if allow_in_use else ("available",), "extend")
            if n <= v.size:
                raise BadRequest(f"Invalid input received: New size for extend must be greater than current "
                                 f"size. (current: {v.size}, extended: {n}).")
            t = s.get(VolumeType, v.volume_type_id) if v.volume_type_id else None
            self.quotas.check(s, v.project_id, t.name if t else None, gigabytes=n - v.size)
            previous = v.status
            v.status, v.updated_at = "extending", utcnow()
            v.admin_meta = {**v.admin_meta, EXTENDING_TO: str(n)}
            conns = [(a.instance_uuid, a.connection_info or {}) for a in s.scalars(
                sa.select(Attachment).where(Attachment.volume_id == v.id, Attachment.attach_status == "attached"))]
        st.submit(self._extend_job, volume_id, n, previous, conns, ctx.request_id)

    def _extend_job(self, volume_id: str, size: int, previous: str, conns: list[tuple[str | None, dict[str, Any]]],
                    request_id: str = "") -> None:
        drv = self.st.driver
        # a file a running guest holds is grown by the hypervisor (QMP block_resize), not by the driver
        in_guest = bool(conns) and getattr(drv, "extend_attached_in_hypervisor", False)
        if in_guest and not self.st.extend_listeners:
            self.st.set_status(volume_id, "error_extending",
                               status_reason="no compute service to grow the attached volume")
            self._message(volume_id, request_id, msg.EXTEND_VOLUME, msg.UNKNOWN_ERROR)
            return
        if not in_guest:
            try:
                drv.extend_volume(volume_id, size)
            except VolumeDriverError as e:
                self.st.set_status(volume_id, "error_extending", status_reason=str(e))
                self._message(volume_id, request_id, msg.EXTEND_VOLUME, msg.UNKNOWN_ERROR)
                return
        failed = None
        for instance_uuid, info in conns:
            for fn in self.st.extend_listeners:
                try:
                    fn(instance_uuid or "", volume_id, size, info)
                except Exception as e:  # the guest does not see the new size yet
                    LOG.warning("volume %s: telling instance %s about the new size failed: %s",
                                volume_id, instance_uuid, e)
                    failed = str(e)
        if in_guest and failed:
            self.st.set_status(volume_id, "error_extending", status_reason=failed)
            self._message(volume_id, request_id, msg.EXTEND_VOLUME, msg.UNKNOWN_ERROR)
            return
        self.st.set_status(volume_id, previous, size=size,
                           status_reason=f"guest not told of the new size: {failed}" if failed else None)

    def set_bootable(self, ctx: RequestContext, volume_id: str, bootable: Any) -> None:
        flag = parse_bool(bootable, "bootable")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:update", v.project_id)
            v.bootable, v.updated_at = flag, utcnow()

    def set_readonly(self, ctx: RequestContext, volume_id: str, readonly: Any) -> None:
        flag = parse_bool(readonly, "readonly")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:update_readonly_flag", v.project_id)
            require_status(v, ("available",), "update readonly flag")
            v.admin_meta = {**v.admin_meta, "readonly": "True" if flag else "False"}
            v.updated_at = utcnow()

    def reset_status(self, ctx: RequestContext, volume_id: str, body: dict[str, Any]) -> None:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_admin_actions:reset_status", v.project_id)
            if "status" in body:
                if body["status"] not in VOLUME_STATUSES:
                    raise BadRequest(f"Invalid input received: Invalid volume status: {body['status']}")
                v.status = body["status"]
                if v.status != "extending":
                    end_extend(v)
            if "attach_status" in body:
                if body["attach_status"] not in ("attached", "detached"):
                    raise BadRequest(f"Invalid input received: Invalid attach status: {body['attach_status']}")
                v.attach_status = body["attach_status"]
                if v.attach_status == "detached":
                    s.execute(sa.delete(Attachment).where(Attachment.volume_id == v.id))
            if "migration_status" in body:
                v.migration_status = body["migration_status"] or None
            v.updated_at = utcnow()

    @retry_transaction  # the quota check locks the project
    def retype(self, ctx: RequestContext, volume_id: str, new_type: str) -> None:
        with self.quotas.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:retype", v.project_id)
            require_status(v, ("available", "in-use"), "retype")
            t = self.st.type_by_name_or_id(s, ctx, new_type)
            if t.id == v.volume_type_id:
                raise BadRequest("Invalid input received: New volume type must be different from the "
                                 "current one.")
            self.quotas.check(s, v.project_id, t.name, volumes=1, gigabytes=v.size)
            v.volume_type_id, v.updated_at = t.id, utcnow()

    # ---- upload to image ------------------------------------------------------------------------------
    def upload_to_image(self, ctx: RequestContext, volume_id: str, body: dict[str, Any], mv_31: bool
                        ) -> dict[str, Any]:
        st = self.st
        if st.image is None:
            raise BadRequest("Invalid input received: the image service is not available.")
        name = body.get("image_name")
        if not isinstance(name, str) or not name:
            raise BadRequest("Invalid input received: image_name must be a non-empty string.")
        force = parse_bool(body.get("force", False), "force")
        disk_format = body.get("disk_format", "raw")
        container_format = body.get("container_format", "bare")
        if disk_format not in ("raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "ploop"):
            raise BadRequest(f"Invalid input received: Invalid disk-format '{disk_format}' is specified.")
        if container_format != "bare":
            raise BadRequest(f"Invalid input received: Invalid container-format '{container_format}' is "
                             "specified. Allowed: bare.")
        visibility = body.get("visibility", "private") if mv_31 else "private"
        protected = parse_bool(body.get("protected", False), "protected") if mv_31 else False
        if visibility not in ("public", "private", "shared", "community"):
            raise BadRequest(f"Invalid input received: Invalid visibility '{visibility}'.")
        with st.db.session() as s:
            v = st.volume(s, ctx, volume_id, lock=True)
            st.enforce(ctx, "volume_extension:volume_actions:upload_image", v.project_id)
            if visibility == "public":
                st.enforce(ctx, "volume_extension:volume_actions:upload_public", v.project_id)
            allowed = ("available", "in-use") if force else ("available",)
            require_status(v, allowed, "upload to an image")
            props: dict[str, Any] = {k: val for k, val in v.image_meta.items()
                                     if k not in ("image_id", "image_name", "checksum", "size",
                                                  "container_format", "disk_format", "min_disk", "min_ram")}
            props.update({"name": name, "disk_format": disk_format, "container_format": container_format,
                          "visibility": visibility, "protected": protected})
            with contextlib.suppress(ValueError):
                props["min_disk"] = int(v.image_meta.get("min_disk", 0) or 0)
            previous = v.status
            v.status, v.updated_at = "uploading", utcnow()
            t = s.get(VolumeType, v.volume_type_id) if v.volume_type_id else None
            view = {"id": v.id, "updated_at": v.updated_at, "status": "uploading",
                    "display_description": v.description, "size": v.size,
                    "volume_type": _type_brief(t), "container_format": container_format,
                    "disk_format": disk_format, "image_name": name}
        try:
            image = st.image.create_image(ctx, props)
        except BaseException:
            st.set_status(volume_id, previous)
            raise
        st.submit(self._upload_job, ctx, volume_id, image["id"], disk_format, previous)
        view.update({"image_id": image["id"], "protected": protected, "visibility": visibility})
        return view

    def _upload_job(self, ctx: RequestContext, volume_id: str, image_id: str, disk_format: str,
                    previous: str) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="upload-", dir=self.st.driver.state_path))
        try:
            dest = tmp / "image"
            self.st.driver.export_to_image(volume_id, disk_format, dest)
            self.st.image.store_file(ctx, image_id, dest)
        except Exception as e:
            LOG.warning("volume %s: upload to image %s failed: %s", volume_id, image_id, e)
            self._message(volume_id, ctx.request_id, msg.COPY_VOLUME_TO_IMAGE, msg.FAILED_TO_UPLOAD_VOLUME)
            with contextlib.suppress(Exception):
                self.st.image.delete_image(ctx, image_id)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            self.st.set_status(volume_id, previous)


def _not_in_maintenance(v: Volume) -> None:
    if v.status == "maintenance":
        raise BadRequest("Invalid volume: the volume is in maintenance.")


def _size(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadRequest("Invalid input received: Volume size must be an integer and greater than 0.")
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise BadRequest(f"Invalid input received: Volume size '{value}' must be an integer and "
                             "greater than 0")
        value = int(value)
    if not isinstance(value, int) or value <= 0 or value > 2**31 - 1:
        raise BadRequest(f"Invalid input received: Volume size '{value}' must be an integer and greater "
                         "than 0")
    return value


def _image_meta(image: dict[str, Any]) -> dict[str, str]:
    meta = {"image_id": str(image["id"]), "image_name": str(image.get("name") or "")}
    for k, v in image.items():
        if k in _IMAGE_SKIP or v is None or k in ("id", "name"):
            continue
        meta[k] = v if isinstance(v, str) else str(v)
    return meta


def _type_brief(t: VolumeType | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"id": t.id, "name": t.name, "description": t.description, "is_public": t.is_public,
            "extra_specs": dict(t.extra_specs), "qos_specs_id": t.qos_specs_id, "deleted": False,
            "created_at": t.created_at, "updated_at": t.updated_at, "deleted_at": None}


def _time_filter(col: Any, value: str) -> Any:
    """``created_at=gt:2024-01-01T00:00:00`` (3.60): gt, gte, lt, lte, eq, neq."""
    import datetime as dt

    op, _, when = value.partition(":")
    if not when:
        op, when = "eq", value
    try:
        t = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid input received: invalid time '{when}'") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    ops = {"gt": col > t, "gte": col >= t, "lt": col < t, "lte": col <= t, "eq": col == t, "neq": col != t}
    if op not in ops:
        raise BadRequest(f"Invalid input received: invalid operator '{op}'")
    return ops[op]


__all__ = ["Backup", "VolumeManager"]
