"""Servers: create (validate, quota, schedule, cast the build), show, update,
delete.  Listing lives in ``listing.py``, actions in ``actions.py``."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import scheduler
from onestack.compute.manager import common as c
from onestack.compute.manager import networking
from onestack.compute.manager.flavors import FlavorManager, snapshot
from onestack.compute.manager.keypairs import KeyPairManager
from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.models import (
    Instance,
    InstanceActionEvent,
    InstanceTag,
    ServerGroup,
    ServerGroupMember,
)
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.retry import retry_transaction

Cast = Callable[[str, str, dict[str, Any]], None]


@dataclass
class CreateResult:
    instances: list[Instance]
    reservation_id: str
    admin_pass: str | None
    tags: list[str] = field(default_factory=list)


def ref_id(ref: str) -> str:
    """imageRef/flavorRef may be a bare id or a URL ending in it."""
    return ref.rstrip("/").rsplit("/", 1)[-1] if "/" in ref else ref


def sanitize_hostname(name: str, default: str) -> str:
    h = re.sub(r"[^\w.-]+", "-", name.lower().replace("_", "-"), flags=re.ASCII)
    h = re.sub(r"[.-]{2,}", "-", h).strip(".-")[:63].strip(".-")
    return h or default


def ctx_payload(ctx: RequestContext) -> dict[str, Any]:
    """Enough of the caller for the worker to act on its behalf (image service)."""
    return {"user_id": ctx.user_id, "project_id": ctx.project_id, "roles": list(ctx.roles),
            "request_id": ctx.request_id, "project_domain_id": ctx.project_domain_id,
            "user_domain_id": ctx.user_domain_id}


class ServerManager:
    def __init__(self, db: Database, flavors: FlavorManager, keypairs: KeyPairManager, quotas: QuotaManager,
                 image: Any, cast: Cast, default_az: str) -> None:
        self.db = db
        self.flavors = flavors
        self.keypairs = keypairs
        self.quotas = quotas
        self.image = image
        self.cast = cast
        self.default_az = default_az
        self.secgroups: Any = None   # SecurityGroupManager, set by ComputeManager
        self.block_devices: Any = None  # VolumeAttachmentManager, set by ComputeManager
        self.net = networking.ServerNetworking(None)  # set by ComputeManager

    # ---- create ---------------------------------------------------------------
    def _image(self, ctx: RequestContext, image_ref: str, flavor: Any) -> tuple[str, str, str]:
        """Returns (image id, kernel id, ramdisk id); 400 when unusable."""
        if not image_ref:
            if self.block_devices is not None and self.block_devices.volume is not None:
                raise BadRequest("Missing imageRef attribute")  # nova's words; boot from volume is a bdm
            raise BadRequest("Missing imageRef attribute: booting from volume needs the block storage "
                             "service, which this cloud does not have yet.")
        image_id = ref_id(image_ref)
        if self.image is None:
            return image_id, "", ""
        try:
            img = self.image.get_image(ctx, image_id)
        except NotFound:
            raise BadRequest(f"Image {image_id} could not be found.") from None
        if img.get("status") != "active":
            raise BadRequest(f"Image {image_id} is not active.")
        if int(img.get("min_ram") or 0) > flavor.memory_mb:
            raise BadRequest("Flavor's memory is too small for requested image.")
        if flavor.root_gb and int(img.get("min_disk") or 0) > flavor.root_gb:
            raise BadRequest("Flavor's disk is too small for requested image.")
        size = int(img.get("size") or 0)
        if flavor.root_gb and size > flavor.root_gb * 1024**3:
            raise BadRequest(f"Flavor's disk is too small for requested image. Flavor disk is "
                             f"{flavor.root_gb * 1024**3} bytes, image is {size} bytes.")
        return image_id, str(img.get("kernel_id") or ""), str(img.get("ramdisk_id") or "")

    def create(self, ctx: RequestContext, srv: dict[str, Any], hints: dict[str, Any],
               version: tuple[int, int], admin: bool) -> CreateResult:
        flavor_id = ref_id(str(srv["flavorRef"]))
        try:
            flavor = self.flavors.get(ctx, flavor_id)
        except NotFound:
            raise BadRequest(f"Flavor {flavor_id} could not be found.") from None
        if flavor.disabled:
            raise BadRequest("Flavor is disabled.")
        # block_device_mapping_v2 with volumes (manager/volumes.py): a volume-backed server has no image
        plan = (self.block_devices.plan(ctx, srv, int(srv.get("max_count", srv.get("min_count", 1))))
                if self.block_devices is not None else None)
        if plan is not None and plan.volume_backed:
            image_id, kernel_id, ramdisk_id = "", plan.kernel_id, plan.ramdisk_id
        else:
            image_ref = str(srv.get("imageRef") or (plan.image_ref if plan is not None else "") or "")
            image_id, kernel_id, ramdisk_id = self._image(ctx, image_ref, flavor)
        networks = srv.get("networks")
        use_network = self.net.enabled
        requested = networking.requested_networks(srv, version) if use_network else None
        if isinstance(networks, list) and networks and not use_network:
            raise BadRequest("Explicit networks are not supported yet: this cloud has no network "
                             "service. Use 'auto' or 'none'.")
        key_data = key_type = None
        if srv.get("key_name"):
            try:
                kp = self.keypairs.get(ctx.user_id or "", srv["key_name"])
            except NotFound:
                raise BadRequest("Invalid key_name provided.") from None
            key_data, key_type = kp.public_key, kp.type
        user_data = srv.get("user_data")
        if user_data is not None:
            try:
                base64.b64decode(user_data, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("User data needs to be valid base 64.") from None
        metadata = srv.get("metadata") or {}
        self.quotas.check_metadata(ctx.project_id or "", len(metadata))
        personality = srv.get("personality") or []
        if len(personality) > self.quotas.limit_for(ctx.project_id or "", "injected_files") >= 0:
            raise c.QuotaExceeded("Personality file limit exceeded")
        az, forced_host = self._az(srv.get("availability_zone"), admin)
        group_uuid = hints.get("group")
        min_count = int(srv.get("min_count", 1))
        max_count = int(srv.get("max_count", min_count))
        if max_count < min_count:
            raise BadRequest("min_count must be <= max_count")
        sg_names = networking.group_names(srv.get("security_groups"))
        if use_network:
            self.net.validate(ctx, requested, sg_names, az, max_count)
        tags = list(dict.fromkeys(srv.get("tags") or []))
        admin_pass = srv.get("adminPass") or secrets.token_urlsafe(9)
        reservation_id = "r-" + secrets.token_hex(4)
        name = srv["name"]

        # the check and the inserts are one transaction, run again when it loses a race (quotas.py)
        @retry_transaction
        def insert() -> list[Instance]:
            with self.quotas.session() as s:
                try:
                    self.quotas.check_instances(s, ctx.project_id or "", ctx.user_id or "", max_count,
                                                flavor.vcpus, flavor.memory_mb)
                    count = max_count
                except c.QuotaExceeded:
                    if min_count == max_count:
                        raise
                    self.quotas.check_instances(s, ctx.project_id or "", ctx.user_id or "", min_count,
                                                flavor.vcpus, flavor.memory_mb)
                    count = min_count
                if group_uuid:
                    g = s.get(ServerGroup, group_uuid)
                    if g is None or (g.project_id != ctx.project_id and not admin):
                        raise BadRequest(f"Invalid input for field/attribute group. Value: {group_uuid}. "
                                         "Group not found")
                    self.quotas.check_group_members(s, group_uuid, ctx.project_id or "", count)
                now = utcnow()
                instances = []
                for i in range(count):
                    u = str(uuidlib.uuid4())
                    display = f"{name}-{i + 1}" if count > 1 else name
                    hostname = srv.get("hostname") if version >= (2, 90) and srv.get("hostname") else None
                    inst = Instance(
                        uuid=u, project_id=ctx.project_id or "", user_id=ctx.user_id or "",
                        display_name=display, display_description=srv.get("description"),
                        hostname=hostname or sanitize_hostname(display, f"server-{u}"),
                        vm_state=c.BUILDING, task_state=c.SCHEDULING, power_state=0,
                        availability_zone=az, pinned_availability_zone=az if srv.get("availability_zone") else None,
                        image_ref=image_id, kernel_id=kernel_id, ramdisk_id=ramdisk_id,
                        flavor=snapshot(flavor), flavor_id=flavor.flavorid, vcpus=flavor.vcpus,
                        memory_mb=flavor.memory_mb, root_gb=flavor.root_gb, key_name=srv.get("key_name"),
                        key_data=key_data, key_type=key_type, user_data=user_data, metadata_=dict(metadata),
                        config_drive="True" if srv.get("config_drive") else "", networks=networks,
                        access_ip_v4=srv.get("accessIPv4"), access_ip_v6=srv.get("accessIPv6"),
                        locked=False, launch_index=i, reservation_id=reservation_id,
                        root_device_name="/dev/vda", disk_config=srv.get("OS-DCF:diskConfig", "MANUAL"),
                        progress=0, created_at=now, updated_at=now, deleted=False)
                    s.add(inst)
                    instances.append(inst)
                s.flush()
                for inst in instances:
                    for t in tags:
                        s.add(InstanceTag(instance_uuid=inst.uuid, tag=t))
                    if plan is not None and plan.volumes:
                        self.block_devices.record(s, ctx, inst, plan)
                    if group_uuid:
                        s.add(ServerGroupMember(group_uuid=group_uuid, instance_uuid=inst.uuid))
                    c.record_action(s, ctx, inst, "create", "compute__do_build_and_run_instance")
                s.flush()
                if self.secgroups is not None and not use_network:
                    self.secgroups.attach_on_create(s, instances, srv.get("security_groups"))
                req = scheduler.Request(vcpus=flavor.vcpus, memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                                        availability_zone=srv.get("availability_zone") and az,
                                        forced_host=forced_host, group_uuid=group_uuid)
                try:
                    hosts = scheduler.select_hosts(s, req, count)
                except scheduler.NoValidHost as e:
                    for inst in instances:
                        inst.vm_state, inst.task_state = c.ERROR, None
                        inst.fault = c.fault(500, str(e), "NoValidHost")
                        self._finish_event(s, inst.uuid, "Error")
                    hosts = []
                for inst, host in zip(instances, hosts, strict=False):
                    inst.host = inst.node = host
                    inst.availability_zone = self._host_az(s, host)
                    inst.task_state = c.SPAWNING
                return instances

        instances = insert()
        for inst in instances:
            if inst.host and use_network and not self._allocate(ctx, inst, requested, sg_names):
                continue
            if inst.host:
                self.cast(inst.host, "build_instance", {"uuid": inst.uuid, "admin_pass": admin_pass,
                                                        "ctx": ctx_payload(ctx)})
        return CreateResult(instances, reservation_id, admin_pass, tags)

    def _allocate(self, ctx: RequestContext, inst: Instance, requested: Any, sg_names: list[str]) -> bool:
        """Ports for a new server (before its build is cast); on failure the server
        goes to ERROR with the fault and whatever was allocated is given back."""
        try:
            ports = self.net.allocate(ctx, inst.uuid, requested, sg_names, inst.availability_zone)
            with self.db.session() as s:
                s.execute(sa.update(Instance).where(Instance.uuid == inst.uuid).values(
                    networks={"requested": requested, "ports": [p["id"] for p in ports]}))
            return True
        except Exception as e:
            self.net.deallocate(inst.uuid)
            with self.db.session() as s:
                row = s.get(Instance, inst.uuid)
                if row is not None:
                    row.vm_state, row.task_state = c.ERROR, None
                    row.fault = c.fault(500, f"Build of instance {inst.uuid} aborted: Failed to allocate "
                                        f"the network(s), not rescheduling. ({e})", "BuildAbortException")
                    row.updated_at = utcnow()
                    self._finish_event(s, inst.uuid, "Error")
            inst.vm_state, inst.task_state = c.ERROR, None
            return False

    def _az(self, value: str | None, admin: bool) -> tuple[str, str | None]:
        if not value:
            return self.default_az, None
        zone, _, host = value.partition(":")
        host = host.split(":")[0] or ""
        if host and not admin:
            raise c.ApiError("Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.",
                             status=403, title="Forbidden")
        from onestack.compute.models import ComputeNode

        with self.db.session() as s:
            zones = set(s.scalars(sa.select(ComputeNode.availability_zone)))
        if zone and zone not in zones:
            raise BadRequest(f"The requested availability zone is not available: {zone}")
        return zone or self.default_az, host or None

    @staticmethod
    def _host_az(s: Session, host: str) -> str:
        from onestack.compute.models import ComputeNode

        return s.scalar(sa.select(ComputeNode.availability_zone).where(ComputeNode.host == host)) or "nova"

    @staticmethod
    def _finish_event(s: Session, uuid: str, result: str) -> None:
        from onestack.compute.models import InstanceAction

        act = s.scalar(sa.select(InstanceAction).where(InstanceAction.instance_uuid == uuid)
                       .order_by(InstanceAction.id.desc()))
        if act is None:
            return
        for ev in s.scalars(sa.select(InstanceActionEvent).where(InstanceActionEvent.action_id == act.id,
                                                                 InstanceActionEvent.finish_time.is_(None))):
            ev.finish_time, ev.result = utcnow(), result
        if result == "Error":
            act.message = "Error"
        act.updated_at = utcnow()

    # ---- show / update / delete ---------------------------------------------------
    def get(self, ctx: RequestContext, uuid: str) -> Instance:
        with self.db.session() as s:
            return c.get_instance(s, ctx, uuid)

    def tags(self, uuids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {u: [] for u in uuids}
        if not uuids:
            return out
        with self.db.session() as s:
            for u, t in s.execute(sa.select(InstanceTag.instance_uuid, InstanceTag.tag).where(
                    InstanceTag.instance_uuid.in_(uuids)).order_by(InstanceTag.tag)):
                out[u].append(t)
        return out

    def groups(self, uuid: str) -> list[str]:
        with self.db.session() as s:
            return list(s.scalars(sa.select(ServerGroupMember.group_uuid).where(
                ServerGroupMember.instance_uuid == uuid)))

    def update(self, ctx: RequestContext, uuid: str, changes: dict[str, Any]) -> Instance:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            if "name" in changes:
                inst.display_name = changes["name"]
            if "description" in changes:
                inst.display_description = changes["description"]
            if "hostname" in changes:
                inst.hostname = changes["hostname"]
            if "accessIPv4" in changes:
                inst.access_ip_v4 = changes["accessIPv4"] or None
            if "accessIPv6" in changes:
                inst.access_ip_v6 = changes["accessIPv6"] or None
            if "OS-DCF:diskConfig" in changes:
                inst.disk_config = changes["OS-DCF:diskConfig"]
            inst.updated_at = utcnow()
            return inst

    def delete(self, ctx: RequestContext, uuid: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            c.check_lock(ctx, inst)
            c.record_action(s, ctx, inst, "delete", "compute_terminate_instance")
            if inst.host is None:
                mark_deleted(s, inst)
                self._finish_event(s, inst.uuid, "Success")
                host = None
            else:
                inst.task_state = c.DELETING
                inst.updated_at = utcnow()
                host = inst.host
        if host is None:
            if self.net.enabled:
                self.net.deallocate(uuid)
            return
        self.cast(host, "terminate_instance", {"uuid": uuid})


def mark_deleted(s: Session, inst: Instance) -> None:
    now = utcnow()
    inst.vm_state, inst.task_state, inst.power_state = c.DELETED, None, 0
    inst.deleted, inst.deleted_at, inst.terminated_at, inst.updated_at = True, now, now, now
    s.execute(sa.delete(ServerGroupMember).where(ServerGroupMember.instance_uuid == inst.uuid))
