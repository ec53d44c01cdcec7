"""Server actions (POST /servers/{id}/action): the state check (409 when not
allowed now, as upstream), the task state, an instance-action record, and a
cast to the server's host.  The worker finishes the transition."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import sqlalchemy as sa

from onestack.compute import scheduler
from onestack.compute.manager import common as c
from onestack.compute.manager.flavors import FlavorManager, snapshot
from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.manager.servers import Cast, ctx_payload, ref_id
from onestack.compute.models import Instance
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.retry import retry_transaction

_ALL_RUNNING = (c.ACTIVE, c.STOPPED, c.PAUSED, c.SUSPENDED, c.ERROR, c.RESCUED)

# action -> (allowed vm_states, task_state to set, worker method, instance-action name, event)
SIMPLE: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "os-stop": ((c.ACTIVE, c.ERROR), c.POWERING_OFF, "stop_instance", "stop"),
    "os-start": ((c.STOPPED,), c.POWERING_ON, "start_instance", "start"),
    "pause": ((c.ACTIVE,), c.PAUSING, "pause_instance", "pause"),
    "unpause": ((c.PAUSED,), c.UNPAUSING, "unpause_instance", "unpause"),
    "suspend": ((c.ACTIVE,), c.SUSPENDING, "suspend_instance", "suspend"),
    "resume": ((c.SUSPENDED,), c.RESUMING, "resume_instance", "resume"),
    "unrescue": ((c.RESCUED,), c.UNRESCUING, "unrescue_instance", "unrescue"),
}


class ActionManager:
    def __init__(self, db: Database, flavors: FlavorManager, image: Any, cast: Cast,
                 servers: Any) -> None:
        self.db = db
        self.flavors = flavors
        self.image = image
        self.cast = cast
        self.servers = servers
        # what the driver's snapshots are (the image is created before the snapshot runs)
        self.snapshot_format = "qcow2"

    def _start(self, ctx: RequestContext, uuid: str, action: str, vm_states: tuple[str, ...] | None,
               task: str | None, record: str, *, lock: bool = True,
               task_states: tuple[str | None, ...] | None = (None,)) -> Instance:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            if lock:
                c.check_lock(ctx, inst)
            c.check_state(inst, action, vm_states, task_states)
            if inst.host is None:
                raise Conflict(f"Instance {uuid} is not ready: it has no host")
            c.record_action(s, ctx, inst, record, "compute_" + record + "_instance")
            if task is not None:
                inst.task_state = task
            inst.updated_at = utcnow()
            return inst

    def simple(self, ctx: RequestContext, uuid: str, action: str) -> None:
        vm_states, task, method, record = SIMPLE[action]
        inst = self._start(ctx, uuid, action.removeprefix("os-"), vm_states, task, record)
        self.cast(inst.host or "", method, {"uuid": uuid, "ctx": ctx_payload(ctx)})

    def reboot(self, ctx: RequestContext, uuid: str, hard: bool) -> None:
        if hard:
            vm = _ALL_RUNNING
            tasks: tuple[str | None, ...] = (None, c.REBOOTING, c.REBOOTING_HARD)
        else:
            vm, tasks = (c.ACTIVE,), (None,)
        inst = self._start(ctx, uuid, "reboot", vm, c.REBOOTING_HARD if hard else c.REBOOTING, "reboot",
                           task_states=tasks)
        self.cast(inst.host or "", "reboot_instance", {"uuid": uuid, "hard": hard})

    def rescue(self, ctx: RequestContext, uuid: str, body: dict[str, Any]) -> str:
        password = body.get("adminPass") or secrets.token_urlsafe(9)
        rescue_image = ref_id(body["rescue_image_ref"]) if body.get("rescue_image_ref") else None
        if rescue_image and self.image is not None:
            try:
                self.image.get_image(ctx, rescue_image)
            except NotFound:
                raise BadRequest(f"Image {rescue_image} could not be found.") from None
        inst = self._start(ctx, uuid, "rescue", (c.ACTIVE, c.STOPPED, c.ERROR), c.RESCUING, "rescue")
        self.cast(inst.host or "", "rescue_instance", {"uuid": uuid, "image": rescue_image,
                                                       "ctx": ctx_payload(ctx)})
        return password

    def rebuild(self, ctx: RequestContext, uuid: str, body: dict[str, Any], version: tuple[int, int]
                ) -> str:
        inst0 = self.servers.get(ctx, uuid)
        image_id = ref_id(str(body["imageRef"]))
        if self.image is not None:
            try:
                img = self.image.get_image(ctx, image_id)
            except NotFound:
                raise BadRequest(f"Image {image_id} could not be found.") from None
            if img.get("status") != "active":
                raise BadRequest(f"Image {image_id} is not active.")
            if int(img.get("min_ram") or 0) > inst0.memory_mb:
                raise BadRequest("Flavor's memory is too small for requested image.")
        if body.get("user_data") is not None:
            try:
                base64.b64decode(body["user_data"], validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("User data needs to be valid base 64.") from None
        key = None
        if "key_name" in body and body["key_name"] is not None:
            try:
                key = self.servers.keypairs.get(ctx.user_id or "", body["key_name"])
            except NotFound:
                raise BadRequest("Invalid key_name provided.") from None
        password = body.get("adminPass") or secrets.token_urlsafe(9)
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_lock(ctx, inst)
            c.check_state(inst, "rebuild", (c.ACTIVE, c.STOPPED, c.ERROR))
            if inst.host is None:
                raise Conflict(f"Instance {uuid} is not ready: it has no host")
            c.record_action(s, ctx, inst, "rebuild", "compute_rebuild_instance")
            inst.image_ref = image_id
            inst.task_state = c.REBUILDING
            if "name" in body:
                inst.display_name = body["name"]
            if "metadata" in body:
                inst.metadata_ = dict(body["metadata"])
            if "accessIPv4" in body:
                inst.access_ip_v4 = body["accessIPv4"] or None
            if "accessIPv6" in body:
                inst.access_ip_v6 = body["accessIPv6"] or None
            if "description" in body:
                inst.display_description = body["description"]
            if "OS-DCF:diskConfig" in body:
                inst.disk_config = body["OS-DCF:diskConfig"]
            if "hostname" in body:
                inst.hostname = body["hostname"]
            if "user_data" in body:
                inst.user_data = body["user_data"]
            if "key_name" in body:
                inst.key_name = key.name if key else None
                inst.key_data = key.public_key if key else None
                inst.key_type = key.type if key else None
            inst.updated_at = utcnow()
            host = inst.host
        self.cast(host, "rebuild_instance", {"uuid": uuid, "ctx": ctx_payload(ctx)})
        return password

    def resize(self, ctx: RequestContext, uuid: str, flavor_ref: str) -> None:
        fid = ref_id(str(flavor_ref))
        try:
            new = self.flavors.get(ctx, fid)
        except NotFound:
            raise BadRequest(f"Flavor {fid} could not be found.") from None
        quotas: QuotaManager = self.servers.quotas

        # the quota check and the flavor change are one transaction under the project's
        # quota lock, run again when it loses a race (quotas.py)
        @retry_transaction
        def start() -> str:
            with quotas.session() as s:
                inst = c.get_instance(s, ctx, uuid, for_update=True)
                c.check_lock(ctx, inst)
                c.check_state(inst, "resize", (c.ACTIVE, c.STOPPED))
                if new.flavorid == inst.flavor_id:
                    raise BadRequest("When resizing, instances must change flavor!")
                if new.root_gb < inst.root_gb and new.root_gb != 0:
                    raise BadRequest("Resize error: Unable to resize disk down.")
                if inst.host is None:
                    raise Conflict(f"Instance {uuid} is not ready: it has no host")
                dv, dr = new.vcpus - inst.vcpus, new.memory_mb - inst.memory_mb
                if dv > 0 or dr > 0:
                    quotas.check_resize(s, inst.project_id, inst.user_id, dv, dr)
                req = scheduler.Request(vcpus=new.vcpus, memory_mb=new.memory_mb, root_gb=new.root_gb,
                                        forced_host=inst.host, ignore_instance=inst.uuid)
                try:
                    scheduler.select_hosts(s, req)
                except scheduler.NoValidHost as e:
                    raise BadRequest(str(e)) from None
                c.record_action(s, ctx, inst, "resize", "compute_resize_instance")
                inst.old_flavor, inst.new_flavor = dict(inst.flavor), snapshot(new)
                inst.task_state = c.RESIZE_PREP
                inst.updated_at = utcnow()
                return inst.host

        host = start()
        self.cast(host, "resize_instance", {"uuid": uuid})

    def confirm_resize(self, ctx: RequestContext, uuid: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_lock(ctx, inst)
            c.check_state(inst, "confirmResize", (c.RESIZED,))
            c.record_action(s, ctx, inst, "confirmResize", None)
            inst.vm_state = c.STOPPED if inst.power_state == 4 else c.ACTIVE
            inst.old_flavor = inst.new_flavor = None
            inst.updated_at = utcnow()

    def revert_resize(self, ctx: RequestContext, uuid: str) -> None:
        inst = self._start(ctx, uuid, "revertResize", (c.RESIZED,), c.RESIZE_REVERTING, "revertResize")
        self.cast(inst.host or "", "revert_resize", {"uuid": uuid})

    def create_image(self, ctx: RequestContext, uuid: str, name: str, metadata: dict[str, str]) -> str:
        if self.image is None:
            raise BadRequest("Snapshots need the image service, which is not enabled in this cloud.")
        inst = self.servers.get(ctx, uuid)
        c.check_state(inst, "createImage", (c.ACTIVE, c.STOPPED, c.PAUSED, c.SUSPENDED))
        props: dict[str, Any] = {"name": name, "container_format": "bare", "disk_format": self.snapshot_format,
                                 "visibility": "private", "image_type": "snapshot",
                                 "instance_uuid": uuid, "base_image_ref": inst.image_ref,
                                 "user_id": ctx.user_id}
        # the request's metadata wins over the inherited properties (image_type,
        # instance_uuid, ...), as in nova's _create_image, but not over the image itself
        fixed = ("name", "container_format", "disk_format", "visibility")
        props.update({k: v for k, v in metadata.items() if k not in fixed})
        props = {k: v for k, v in props.items() if v is not None}
        image = self.image.create_image(ctx, props)
        inst = self._start(ctx, uuid, "createImage", (c.ACTIVE, c.STOPPED, c.PAUSED, c.SUSPENDED),
                           c.IMAGE_SNAPSHOT, "createImage", lock=False)
        self.cast(inst.host or "", "snapshot_instance", {"uuid": uuid, "image_id": image["id"],
                                                         "ctx": ctx_payload(ctx)})
        return str(image["id"])

    def lock(self, ctx: RequestContext, uuid: str, reason: str | None) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.record_action(s, ctx, inst, "lock", None)
            inst.locked = True
            inst.locked_by = "owner" if ctx.project_id == inst.project_id else "admin"
            inst.locked_reason = reason
            inst.updated_at = utcnow()

    def unlock(self, ctx: RequestContext, uuid: str, can_override: bool) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            if inst.locked and inst.locked_by == "admin" and not can_override:
                from onestack.core.errors import Forbidden

                raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override "
                                "to be performed.")
            c.record_action(s, ctx, inst, "unlock", None)
            inst.locked, inst.locked_by, inst.locked_reason = False, None, None
            inst.updated_at = utcnow()

    def reset_state(self, ctx: RequestContext, uuid: str, state: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.record_action(s, ctx, inst, "resetState", None)
            inst.vm_state = c.ACTIVE if state == "active" else c.ERROR
            inst.task_state = None
            inst.updated_at = utcnow()

    def console_output(self, ctx: RequestContext, uuid: str, length: int | None, worker: Any) -> str:
        inst = self.servers.get(ctx, uuid)
        if inst.vm_state == c.BUILDING or inst.host is None:
            raise Conflict(f"Instance {uuid} is not ready yet.")
        if worker is None:
            raise Conflict("Console output is only available from a worker in this process.")
        from onestack.compute.drivers.base import DriverError

        try:
            out: str = worker.console_output(inst.host, uuid, length)
        except DriverError as e:
            raise Conflict(f"Console output is not available for instance {uuid}: {e}") from None
        return out


def instance_by_uuid(db: Database, uuid: str) -> Instance | None:
    with db.session() as s:
        return s.scalar(sa.select(Instance).where(Instance.uuid == uuid))
