"""Volumes on servers, the API side: ``os-volume_attachments`` (list, show,
attach, update, detach), ``volumes_attached`` for server views, and the block
device mappings of a server booted from a volume (``block_device_mapping_v2``).

The volume service is reached only through its manager (handed over by
``app.py``), with Cinder's v3 attachment flow as Nova uses it: the API makes
an attachment without a connector (the volume is ``reserved``) and casts to
the server's compute host; the worker (``compute/volume_node.py``) gives the
attachment its connector (``connection_info``), plugs the volume into the
guest and completes the attachment (``in-use``).  Detach: the API marks the
volume ``detaching`` and casts; the worker unplugs it and deletes the
attachment (``available``).
"""

from __future__ import annotations

import math
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.manager import common as c
from onestack.compute.models import BlockDeviceMapping, Instance
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import ApiError, BadRequest, Conflict, NotFound

Cast = Callable[[str, str, dict[str, Any]], None]
# vm_states in which volumes may be attached or detached (upstream allows a few
# more, e.g. paused and shelved; a paused guest cannot answer a hot-unplug here)
ATTACH_STATES = (c.ACTIVE, c.STOPPED)
GiB = 1024**3


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """A field of what the volume manager returns (a model row or a view dict)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def ctx_for(inst: Instance | None = None, project_id: str | None = None,
            user_id: str | None = None) -> RequestContext:
    """The context compute acts in toward the volume service for a server's
    volumes when no user request is at hand (builds, deletes, recovery): the
    server's project, with the service role as Nova's service token has."""
    return RequestContext(user_id=user_id or (inst.user_id if inst else None),
                          project_id=project_id or (inst.project_id if inst else None),
                          roles=["admin", "member", "reader", "service"])


@dataclass
class BootVolume:
    """One ``block_device_mapping_v2`` entry with a volume destination."""

    source_type: str
    uuid: str | None
    volume_size: int | None
    boot_index: int | None
    delete_on_termination: bool
    device_name: str | None = None
    tag: str | None = None


@dataclass
class BootPlan:
    volumes: list[BootVolume] = field(default_factory=list)
    # the image a local root disk boots from (source image, destination local)
    image_ref: str | None = None
    # kernel/ramdisk of the image the root volume holds (direct kernel boot)
    kernel_id: str = ""
    ramdisk_id: str = ""

    @property
    def volume_backed(self) -> bool:
        return any(v.boot_index == 0 for v in self.volumes)


class VolumeAttachmentManager:
    def __init__(self, db: Database, volume: Any, image: Any, cast: Cast) -> None:
        self.db = db
        self.volume = volume
        self.image = image
        self.cast = cast

    # ---- reading --------------------------------------------------------------------
    def list(self, ctx: RequestContext, server_id: str, limit: int | None = None,
             offset: int = 0) -> list[BlockDeviceMapping]:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            q = (sa.select(BlockDeviceMapping).where(BlockDeviceMapping.instance_uuid == inst.uuid,
                                                     BlockDeviceMapping.volume_id.is_not(None))
                 .order_by(BlockDeviceMapping.id).offset(offset))
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    def get(self, ctx: RequestContext, server_id: str, volume_id: str) -> BlockDeviceMapping:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            return self._bdm(s, inst, volume_id)

    @staticmethod
    def _bdm(s: Session, inst: Instance, volume_id: str) -> BlockDeviceMapping:
        bdm = s.scalar(sa.select(BlockDeviceMapping).where(BlockDeviceMapping.instance_uuid == inst.uuid,
                                                           BlockDeviceMapping.volume_id == volume_id))
        if bdm is None:
            raise NotFound(f"Instance {inst.uuid} is not attached to volume {volume_id}")
        return bdm

    def volumes_attached(self, uuids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """``os-extended-volumes:volumes_attached`` of each server."""
        out: dict[str, list[dict[str, Any]]] = {u: [] for u in uuids}
        if not uuids:
            return out
        with self.db.session() as s:
            rows = s.execute(sa.select(BlockDeviceMapping.instance_uuid, BlockDeviceMapping.volume_id,
                                       BlockDeviceMapping.delete_on_termination)
                             .where(BlockDeviceMapping.instance_uuid.in_(uuids),
                                    BlockDeviceMapping.volume_id.is_not(None))
                             .order_by(BlockDeviceMapping.id))
            for u, vid, dot in rows:
                out[u].append({"id": vid, "delete_on_termination": bool(dot)})
        return out

    # ---- attach / update / detach ---------------------------------------------------
    def _volume(self, ctx: RequestContext, volume_id: str) -> Any:
        if self.volume is None:
            raise NotFound(f"Volume {volume_id} could not be found.")
        try:
            return self.volume.volumes.get(ctx, volume_id)
        except NotFound:
            raise NotFound(f"Volume {volume_id} could not be found.") from None

    def attach(self, ctx: RequestContext, server_id: str, volume_id: str, device: str | None = None,
               tag: str | None = None, delete_on_termination: bool = False) -> BlockDeviceMapping:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            c.check_lock(ctx, inst)
            c.check_state(inst, "attach_volume", ATTACH_STATES)
            if inst.host is None:
                raise Conflict(f"Cannot 'attach_volume' instance {inst.uuid}: it has no host")
            host, uuid = inst.host, inst.uuid
            names = set(s.scalars(sa.select(BlockDeviceMapping.device_name).where(
                BlockDeviceMapping.instance_uuid == uuid)))
            # as the libvirt driver: the next free name, not the one asked for
            device_name = next_device_name(names | {inst.root_device_name or "/dev/vda"})
        vol = self._volume(ctx, volume_id)
        if field_of(vol, "status") != "available":
            raise BadRequest(f"Invalid volume: volume {volume_id} status must be available, but current "
                             f"status is: {field_of(vol, 'status')}")
        try:
            # the volume service shows the attachment with this device (Cinder's "device")
            att = self.volume.attachments.create(ctx, volume_id, uuid, mountpoint=device_name)
        except ApiError as e:
            if e.status in (400, 409):
                raise BadRequest(f"Invalid volume: {e}") from None
            raise
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            bdm = BlockDeviceMapping(
                uuid=str(uuidlib.uuid4()), instance_uuid=uuid, project_id=inst.project_id,
                source_type="volume", destination_type="volume", volume_id=volume_id,
                attachment_id=field_of(att, "id"), boot_index=None, device_name=device_name,
                tag=tag, delete_on_termination=bool(delete_on_termination), status="attaching",
                created_at=utcnow(), updated_at=utcnow())
            s.add(bdm)
            c.record_action(s, ctx, inst, "attach_volume", "compute_attach_volume")
            s.flush()
            bdm_uuid = bdm.uuid
        self.cast(host, "attach_volume", {"uuid": uuid, "bdm": bdm_uuid, "ctx": _payload(ctx)})
        return bdm

    def update(self, ctx: RequestContext, server_id: str, volume_id: str, att: dict[str, Any]
               ) -> None:
        """2.85: change ``delete_on_termination`` (nothing else is mutable)."""
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            bdm = self._bdm(s, inst, volume_id)
            for key, current in (("id", volume_id), ("serverId", inst.uuid), ("device", bdm.device_name),
                                 ("tag", bdm.tag)):
                if key in att and att[key] != current:
                    raise BadRequest(f"The {key} property is not mutable")
            if "delete_on_termination" in att:
                bdm.delete_on_termination = bool(att["delete_on_termination"])
                bdm.updated_at = utcnow()

    def swap(self, ctx: RequestContext, server_id: str, volume_id: str, new_volume_id: str) -> None:
        """Swapping is only for Cinder's volume migration, which this cloud does
        not do: as upstream, 409 when the old volume is not migrating."""
        with self.db.session() as s:
            c.get_instance(s, ctx, server_id)
        old = self._volume(ctx, volume_id)
        if not field_of(old, "migration_status"):
            raise Conflict(f"volume {volume_id} is not migrating; this API should only be called by Cinder")
        try:
            self._volume(ctx, new_volume_id)
        except NotFound as e:
            raise BadRequest(str(e)) from None
        raise Conflict("Swapping volumes is not supported by this cloud.")

    def detach(self, ctx: RequestContext, server_id: str, volume_id: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
        self._volume(ctx, volume_id)
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, server_id)
            bdm = self._bdm(s, inst, volume_id)
            if bdm.boot_index == 0:
                raise BadRequest("Cannot detach a root device volume")
            c.check_lock(ctx, inst)
            c.check_state(inst, "detach_volume", ATTACH_STATES)
            if bdm.status != "attached":
                raise BadRequest(f"Invalid volume: volume {volume_id} is {bdm.status}, not attached")
            if inst.host is None:
                raise Conflict(f"Cannot 'detach_volume' instance {inst.uuid}: it has no host")
            try:
                self.volume.volumes.begin_detaching(ctx, volume_id)
            except ApiError as e:
                if e.status in (400, 409):
                    raise BadRequest(f"Invalid volume: {e}") from None
                raise
            bdm.status, bdm.updated_at = "detaching", utcnow()
            c.record_action(s, ctx, inst, "detach_volume", "compute_detach_volume")
            host, uuid, bdm_uuid = inst.host, inst.uuid, bdm.uuid
        self.cast(host, "detach_volume", {"uuid": uuid, "bdm": bdm_uuid, "ctx": _payload(ctx)})

    # ---- boot from volume -----------------------------------------------------------
    def plan(self, ctx: RequestContext, srv: dict[str, Any], max_count: int) -> BootPlan | None:
        """Check ``block_device_mapping_v2`` (400 as upstream for what cannot
        work); None when it has no volume in it."""
        bdms = srv.get("block_device_mapping_v2") or []
        if srv.get("block_device_mapping"):
            raise BadRequest("The legacy block_device_mapping is not supported; use block_device_mapping_v2.")
        if not bdms:
            return None
        plan = BootPlan()
        boot_indexes: list[int] = []
        for raw in bdms:
            src = raw.get("source_type") or ("volume" if raw.get("volume_id") else "image")
            dest = raw.get("destination_type") or ("volume" if src in ("volume", "snapshot") else "local")
            bi = _int_or_none(raw.get("boot_index"), "boot_index")
            if bi is not None and bi >= 0:
                boot_indexes.append(bi)
            if src not in ("image", "volume", "snapshot", "blank") or dest not in ("local", "volume"):
                raise BadRequest(f"Block Device Mapping is Invalid: source_type {src} and destination_type "
                                 f"{dest} are not supported.")
            if dest == "local":
                if src == "image" and bi == 0:
                    plan.image_ref = str(raw.get("uuid") or raw.get("image_id") or "")
                    continue
                raise BadRequest("Block Device Mapping is Invalid: local ephemeral and swap disks are "
                                 "not supported.")
            if self.volume is None:
                raise BadRequest("Block device mappings with volumes need the block storage service, which "
                                 "this cloud does not run.")
            ident = raw.get("uuid") or raw.get("volume_id") or raw.get("snapshot_id") or raw.get("image_id")
            if src != "blank" and not ident:
                raise BadRequest(f"Block Device Mapping is Invalid: a {src} source needs a uuid.")
            size = _int_or_none(raw.get("volume_size"), "volume_size")
            if size is not None and size <= 0:
                raise BadRequest("Block Device Mapping is Invalid: volume_size must be a positive integer.")
            if src == "blank" and size is None:
                raise BadRequest("Block Device Mapping is Invalid: a blank volume needs volume_size.")
            if src == "volume" and max_count > 1:
                raise BadRequest("Cannot attach one or more volumes to multiple instances")
            plan.volumes.append(BootVolume(
                source_type=src, uuid=str(ident) if ident else None, volume_size=size, boot_index=bi,
                delete_on_termination=_bool(raw.get("delete_on_termination", False)),
                device_name=raw.get("device_name"), tag=raw.get("tag")))
        if len(boot_indexes) != len(set(boot_indexes)) or (boot_indexes and 0 not in boot_indexes):
            raise BadRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block "
                             "device mapping combination is not valid.")
        for v in plan.volumes:
            self._check_source(ctx, v, plan)
        if not plan.volumes:
            return plan if plan.image_ref else None
        return plan

    def _check_source(self, ctx: RequestContext, v: BootVolume, plan: BootPlan) -> None:
        if v.source_type == "volume":
            vol = self._volume_400(ctx, str(v.uuid))
            if field_of(vol, "status") != "available":
                raise BadRequest(f"Invalid volume: volume {v.uuid} status must be available, but current "
                                 f"status is: {field_of(vol, 'status')}")
            if v.boot_index == 0:
                meta = dict(field_of(vol, "image_meta") or field_of(vol, "volume_image_metadata") or {})
                plan.kernel_id, plan.ramdisk_id = meta.get("kernel_id", ""), meta.get("ramdisk_id", "")
        elif v.source_type == "image":
            if self.image is None:
                raise BadRequest(f"Image {v.uuid} could not be found.")
            try:
                img = self.image.get_image(ctx, str(v.uuid))
            except NotFound:
                raise BadRequest(f"Image {v.uuid} could not be found.") from None
            if img.get("status") != "active":
                raise BadRequest(f"Image {v.uuid} is not active.")
            need = max(math.ceil(int(img.get("virtual_size") or img.get("size") or 0) / GiB),
                       int(img.get("min_disk") or 0), 1)
            if v.volume_size is None:
                v.volume_size = need
            elif v.volume_size < need:
                raise BadRequest(f"Volume is smaller than the minimum size specified in image metadata. "
                                 f"Volume size is {v.volume_size * GiB} bytes, minimum size is "
                                 f"{need * GiB} bytes.")
            if v.boot_index == 0:
                plan.kernel_id = str(img.get("kernel_id") or "")
                plan.ramdisk_id = str(img.get("ramdisk_id") or "")
        elif v.source_type == "snapshot":
            snaps = getattr(self.volume, "snapshots", None)
            if snaps is not None:
                try:
                    snaps.get(ctx, str(v.uuid))
                except NotFound:
                    raise BadRequest(f"Snapshot {v.uuid} could not be found.") from None

    def _volume_400(self, ctx: RequestContext, volume_id: str) -> Any:
        try:
            return self._volume(ctx, volume_id)
        except NotFound as e:
            raise BadRequest(str(e)) from None

    def record(self, s: Session, ctx: RequestContext, inst: Instance, plan: BootPlan) -> None:
        """The server's mappings, in the create transaction (before the build is
        cast).  The worker makes the attachments (``prepare_boot``): a volume
        given by id that someone else takes meanwhile fails the build."""
        names = {"/dev/vda"}
        for v in sorted(plan.volumes, key=lambda v: (v.boot_index is None or v.boot_index < 0,
                                                     v.boot_index or 0)):
            name = "/dev/vda" if v.boot_index == 0 else next_device_name(names)
            names.add(name)
            s.add(BlockDeviceMapping(
                uuid=str(uuidlib.uuid4()), instance_uuid=inst.uuid, project_id=inst.project_id,
                source_type=v.source_type, destination_type="volume",
                volume_id=v.uuid if v.source_type == "volume" else None,
                image_id=v.uuid if v.source_type == "image" else None,
                snapshot_id=v.uuid if v.source_type == "snapshot" else None,
                attachment_id=None, volume_size=v.volume_size, boot_index=v.boot_index,
                device_name=name, tag=v.tag, delete_on_termination=v.delete_on_termination,
                status="attaching", created_at=utcnow(), updated_at=utcnow()))

    # ---- extend (the volume service's listener) -------------------------------------
    def host_of_volume(self, volume_id: str, instance_uuid: str) -> str | None:
        with self.db.session() as s:
            inst = s.get(Instance, instance_uuid)
            return inst.host if inst is not None and not inst.deleted else None


def next_device_name(used: set[str | None]) -> str:
    for i in range(1, 26 * 27):
        name = "/dev/vd" + _letters(i)
        if name not in used:
            return name
    raise Conflict("No free device name")


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return s


def _int_or_none(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. "
                         f"'{value}' is not of type 'integer'") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "y", "t"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no", "off", "n", "f"):
        return False
    raise BadRequest(f"Invalid input for field/attribute delete_on_termination. Value: {value}.")


def _payload(ctx: RequestContext) -> dict[str, Any]:
    from onestack.compute.manager.servers import ctx_payload

    return ctx_payload(ctx)
