"""Volumes on servers, the node side (a part of ``worker.py``): attach and
detach casts, the volumes of a server booted from a volume, releasing a
deleted server's volumes, growing an attached volume, and reconciling the
database, the volume service and the hypervisor after a restart.

Every step that changes the world is recorded in the mapping's ``status``
first (``attaching``, ``attached``, ``detaching``), so that a restart can tell
what was under way: ``reconcile`` then asks the driver what the guest really
has and finishes or undoes the step (no volume left ``attaching`` or
``detaching``, no QEMU device without a mapping).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from onestack.compute.drivers.base import BlockDevice, DriverError, InstanceNotFound, InstanceSpec
from onestack.compute.manager import common as c
from onestack.compute.manager.volumes import ctx_for, field_of
from onestack.compute.models import BlockDeviceMapping, Instance
from onestack.core.bus import Bus
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import ApiError

if TYPE_CHECKING:
    from onestack.compute.worker import Worker

LOG = logging.getLogger(__name__)
GiB = 1024**3
BUILD_VOLUME_TIMEOUT = 900.0


class VolumeNode:
    def __init__(self, worker: Worker) -> None:
        self.w = worker

    @property
    def volume(self) -> Any:
        return self.w.volume

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {"attach_volume": self.attach, "detach_volume": self.detach}

    def connector(self) -> dict[str, Any]:
        """Cinder's connector for this host (os-brick's shape)."""
        return {"host": self.w.host, "platform": "x86_64", "os_type": "linux", "multipath": False,
                "initiator": f"onestack:{self.w.host}", "do_local_attach": False}

    # ---- helpers ------------------------------------------------------------------
    def _bdms(self, uuid: str) -> list[BlockDeviceMapping]:
        with self.w.db.session() as s:
            return list(s.scalars(sa.select(BlockDeviceMapping).where(BlockDeviceMapping.instance_uuid == uuid)
                                  .order_by(BlockDeviceMapping.id)))

    def _set(self, bdm_uuid: str, **values: Any) -> None:
        with self.w.db.session() as s:
            s.execute(sa.update(BlockDeviceMapping).where(BlockDeviceMapping.uuid == bdm_uuid)
                      .values(updated_at=utcnow(), **values))

    def _drop(self, bdm_uuid: str) -> None:
        with self.w.db.session() as s:
            s.execute(sa.delete(BlockDeviceMapping).where(BlockDeviceMapping.uuid == bdm_uuid))

    def _finish(self, uuid: str, result: str) -> None:
        with self.w.db.session() as s:
            inst = s.get(Instance, uuid)
            if inst is not None:
                self.w._finish(s, inst, result)

    def _delete_attachment(self, ctx: RequestContext, attachment_id: str | None) -> None:
        if attachment_id and self.volume is not None:
            try:
                self.volume.attachments.delete(ctx, attachment_id)
            except ApiError as e:
                if e.status != 404:
                    raise

    def _connect(self, ctx: RequestContext, bdm: BlockDeviceMapping) -> dict[str, Any]:
        att = self.volume.attachments.update(ctx, bdm.attachment_id, self.connector())
        info = field_of(att, "connection_info")
        if not info:
            raise DriverError(f"the volume service gave no connection info for volume {bdm.volume_id}")
        return dict(info)

    # ---- attach / detach (casts from the API) -------------------------------------------
    def _cast_target(self, p: dict[str, Any]
                     ) -> tuple[BlockDeviceMapping, Instance | None, RequestContext] | None:
        """The mapping an attach/detach cast names (None once it is gone), its
        instance (None once that is gone) and the context to act in."""
        bdm = next((b for b in self._bdms(p["uuid"]) if b.uuid == p["bdm"]), None)
        if bdm is None:
            return None
        inst = self.w._load(p["uuid"])
        return bdm, inst, ctx_for(inst) if inst is not None else ctx_for(project_id=bdm.project_id)

    def attach(self, p: dict[str, Any]) -> None:
        uuid = p["uuid"]
        target = self._cast_target(p)
        if target is None:
            return
        bdm, inst, ctx = target
        plugged = False
        try:
            if inst is None:
                raise InstanceNotFound(f"instance {uuid} is gone")
            info = self._connect(ctx, bdm)
            self.w.driver.attach_volume(uuid, BlockDevice(str(bdm.volume_id), info, None, bdm.device_name))
            plugged = True
            # the volume service first: a crash between the two leaves the mapping
            # "attaching", which the restart's reconcile settles (never the reverse)
            self.volume.attachments.complete(ctx, bdm.attachment_id)
            self._set(bdm.uuid, status="attached", connection_info=info)
        except Exception as e:
            LOG.info("attaching volume %s to %s failed: %s", bdm.volume_id, uuid, e,
                     exc_info=not isinstance(e, DriverError | ApiError))
            if plugged:
                with contextlib.suppress(Exception):
                    self.w.driver.detach_volume(uuid, str(bdm.volume_id))
            with contextlib.suppress(Exception):
                self._delete_attachment(ctx, bdm.attachment_id)
            self._drop(bdm.uuid)
            self._finish(uuid, "Error")
            return
        self._finish(uuid, "Success")

    def detach(self, p: dict[str, Any]) -> None:
        uuid = p["uuid"]
        target = self._cast_target(p)
        if target is None:
            return
        bdm, _, ctx = target
        try:
            self.w.driver.detach_volume(uuid, str(bdm.volume_id))
        except InstanceNotFound:
            pass  # no guest: nothing holds the volume
        except Exception as e:
            LOG.info("detaching volume %s from %s failed: %s", bdm.volume_id, uuid, e)
            with contextlib.suppress(Exception):
                self.volume.volumes.roll_detaching(ctx, bdm.volume_id)
            self._set(bdm.uuid, status="attached")
            self._finish(uuid, "Error")
            return
        self._set(bdm.uuid, status="detached")
        self._delete_attachment(ctx, bdm.attachment_id)
        self._drop(bdm.uuid)
        self._finish(uuid, "Success")

    # ---- boot from volume ---------------------------------------------------------------
    def prepare_boot(self, inst: Instance, user_ctx: RequestContext) -> None:
        """Make (image, blank, snapshot sources) and connect every volume of a
        server being built; the driver then gets them in the spec."""
        if self.volume is None:
            return
        ctx = user_ctx if user_ctx.roles else ctx_for(inst)
        for bdm in self._bdms(inst.uuid):
            if bdm.status == "attached":
                continue
            vid = bdm.volume_id
            if vid is None:
                body: dict[str, Any] = {"size": bdm.volume_size, "name": "",
                                        "availability_zone": None}
                if bdm.source_type == "image":
                    body["imageRef"] = bdm.image_id
                elif bdm.source_type == "snapshot":
                    body["snapshot_id"] = bdm.snapshot_id
                body = {k: v for k, v in body.items() if v is not None}
                vid = str(field_of(self.volume.volumes.create(ctx, body), "id"))
                self._set(bdm.uuid, volume_id=vid)  # from here on, deleting the server cleans it up
                status = self.volume.wait(vid, BUILD_VOLUME_TIMEOUT)
                if status != "available":
                    raise DriverError(f"Volume {vid} did not finish being created even after we waited. "
                                      f"Its status is {status}.")
            att_id = bdm.attachment_id
            if att_id is None:
                att_id = str(field_of(self.volume.attachments.create(
                    ctx, vid, inst.uuid, mountpoint=bdm.device_name), "id"))
                self._set(bdm.uuid, attachment_id=att_id)
            bdm.volume_id, bdm.attachment_id = vid, att_id
            info = self._connect(ctx, bdm)
            self.volume.attachments.complete(ctx, att_id)
            self._set(bdm.uuid, status="attached", connection_info=info)

    def add_to_spec(self, inst: Instance, spec: InstanceSpec, ctx: RequestContext) -> None:
        """The server's connected volumes into its spec (and, for a server booted
        from a volume, the kernel of the image the volume was made from)."""
        bdms = [b for b in self._bdms(inst.uuid) if b.status == "attached" and b.connection_info]
        spec.block_devices = [BlockDevice(str(b.volume_id), dict(b.connection_info or {}), b.boot_index,
                                          b.device_name) for b in bdms]
        if any(b.boot_index == 0 for b in bdms) and inst.kernel_id and self.w.image is not None:
            spec.image_path = None
            spec.kernel_path = self.w.image.data_path(inst.kernel_id)
            spec.ramdisk_path = self.w.image.data_path(inst.ramdisk_id) if inst.ramdisk_id else None
            with contextlib.suppress(Exception):
                img = self.w.image.get_image(ctx_for(inst), inst.kernel_id)
                spec.kernel_cmdline = str(img.get("os_command_line") or "") or spec.kernel_cmdline

    # ---- a server goes ----------------------------------------------------------------
    def release_all(self, uuid: str) -> None:
        """After the guest is destroyed: detach every volume in the volume
        service, delete those marked ``delete_on_termination``, drop the mappings."""
        bdms = self._bdms(uuid)
        if not bdms:
            return
        with self.w.db.session() as s:
            inst = s.get(Instance, uuid)
            ctx = ctx_for(inst) if inst is not None else ctx_for(project_id=bdms[0].project_id)
        for bdm in bdms:
            try:
                self._delete_attachment(ctx, bdm.attachment_id)
                if bdm.delete_on_termination and bdm.volume_id and self.volume is not None:
                    self.volume.volumes.delete(ctx, bdm.volume_id)
            except Exception:
                LOG.exception("releasing volume %s of %s failed", bdm.volume_id, uuid)
            self._drop(bdm.uuid)

    # ---- an attached volume grows (the volume service's listener) -------------------------
    def extend(self, instance_uuid: str, volume_id: str, new_size_gb: int) -> None:
        self.w.driver.extend_volume(instance_uuid, volume_id, new_size_gb * GiB)

    # ---- after a restart --------------------------------------------------------------
    def reconcile(self, bus: Bus | None, skip: set[str]) -> None:
        """Settle attaches and detaches a restart interrupted, against what the
        driver really has; unplug volumes no mapping knows."""
        if self.volume is None:
            return
        pending = {str(p.get("bdm")) for m, p in bus.pending(_topic(self.w.host))
                   if m in ("attach_volume", "detach_volume")} if bus is not None else set()
        with self.w.db.session() as s:
            rows = list(s.execute(
                sa.select(BlockDeviceMapping, Instance)
                .join(Instance, Instance.uuid == BlockDeviceMapping.instance_uuid)
                .where(Instance.host == self.w.host)))
        present = set(self.w.driver.list_instances())
        known: dict[str, set[str]] = {}
        for bdm, inst in rows:
            if inst.deleted:
                self.release_all(inst.uuid)
                continue
            if bdm.volume_id:
                known.setdefault(inst.uuid, set()).add(bdm.volume_id)
            if bdm.uuid in pending or inst.uuid in skip or bdm.status == "attached":
                continue
            if inst.vm_state == c.BUILDING or inst.vm_state == c.ERROR and bdm.boot_index is not None:
                continue  # boot-time volumes: the build's own outcome, cleaned up on delete
            has = self._has(inst.uuid, bdm.volume_id, present)
            ctx = ctx_for(inst)
            try:
                if bdm.status == "attaching" and has:
                    self._settle_attached(ctx, inst, bdm)
                elif bdm.status == "detaching" and has:
                    with contextlib.suppress(Exception):
                        self.volume.volumes.roll_detaching(ctx, bdm.volume_id)
                    self._set(bdm.uuid, status="attached")
                else:  # the guest does not have it: forget it everywhere
                    if inst.uuid in present and bdm.volume_id:
                        self.w.driver.detach_volume(inst.uuid, bdm.volume_id)  # the driver's record too
                    self._delete_attachment(ctx, bdm.attachment_id)
                    self._drop(bdm.uuid)
                    known.get(inst.uuid, set()).discard(str(bdm.volume_id))
            except Exception:
                LOG.exception("reconciling volume %s of %s failed", bdm.volume_id, inst.uuid)
        # a device in a guest that no mapping knows (a detach whose record was lost)
        for uuid in present:
            with contextlib.suppress(DriverError):
                for vid in self.w.driver.attached_volumes(uuid):
                    if vid not in known.get(uuid, set()):
                        LOG.info("unplugging volume %s from %s: no mapping", vid, uuid)
                        self.w.driver.detach_volume(uuid, vid)

    def _has(self, uuid: str, volume_id: str | None, present: set[str]) -> bool:
        if uuid not in present or not volume_id:
            return False
        try:
            return volume_id in self.w.driver.attached_volumes(uuid)
        except DriverError:
            return False

    def _settle_attached(self, ctx: RequestContext, inst: Instance, bdm: BlockDeviceMapping) -> None:
        """The guest has the volume but the attach never finished: finish it, or,
        when the volume service no longer has the attachment, unplug it."""
        try:
            info = self._connect(ctx, bdm)
            self.volume.attachments.complete(ctx, bdm.attachment_id)
        except Exception:
            self.w.driver.detach_volume(inst.uuid, str(bdm.volume_id))
            self._delete_attachment(ctx, bdm.attachment_id)
            self._drop(bdm.uuid)
            return
        self._set(bdm.uuid, status="attached", connection_info=info)


def _topic(host: str) -> str:
    return f"compute.{host}"
