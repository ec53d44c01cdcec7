"""The node side: one worker per host executes builds and actions through its
driver.  It consumes the bus topic ``compute.<host>``, writes results (states,
faults, action events) to the database, and at start reconciles the database
with what the driver really has (after a restart)."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestack.compute import metadata
from onestack.compute.drivers.base import (
    ComputeDriver,
    DriverError,
    InstanceNotFound,
    InstanceSpec,
    KeyPair,
    NetworkInterface,
    PowerState,
)
from onestack.compute.manager import common as c
from onestack.compute.manager import networking
from onestack.compute.manager.hosts import HostManager
from onestack.compute.manager.servers import mark_deleted
from onestack.compute.models import Instance, InstanceAction, InstanceActionEvent
from onestack.compute.volume_node import VolumeNode
from onestack.core.bus import Bus
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow

LOG = logging.getLogger(__name__)
HEARTBEAT = 10.0


def topic(host: str) -> str:
    return f"compute.{host}"


def _ctx(payload: dict[str, Any] | None) -> RequestContext:
    p = payload or {}
    return RequestContext(user_id=p.get("user_id"), project_id=p.get("project_id"), roles=list(p.get("roles") or []),
                          request_id=p.get("request_id") or "", project_domain_id=p.get("project_domain_id"),
                          user_domain_id=p.get("user_domain_id"))


class Worker:
    def __init__(self, db: Database, driver: ComputeDriver, host: str, availability_zone: str,
                 image: Any = None, state_path: Path | None = None, network: Any = None,
                 volume: Any = None) -> None:
        self.db = db
        # the volume service's manager (None: servers have no volumes)
        self.volume = volume
        self.volumes = VolumeNode(self)
        # the network service's manager (None: user-mode NICs, as without Neutron)
        self.network = network
        self.driver = driver
        self.host = host
        self.az = availability_zone
        self.image = image
        self.state_path = state_path
        self.hosts = HostManager(db)
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "build_instance": self.build, "terminate_instance": self.terminate,
            "stop_instance": self._simple(self.driver.power_off, c.STOPPED, PowerState.SHUTDOWN),
            "start_instance": self.start_instance,
            "pause_instance": self._simple(self.driver.pause, c.PAUSED, PowerState.PAUSED),
            "unpause_instance": self._simple(self.driver.unpause, c.ACTIVE, PowerState.RUNNING),
            "suspend_instance": self._simple(self.driver.suspend, c.SUSPENDED, PowerState.SUSPENDED),
            "resume_instance": self._simple(self.driver.resume, c.ACTIVE, PowerState.RUNNING),
            "unrescue_instance": self._simple(self.driver.unrescue, c.ACTIVE, PowerState.RUNNING),
            "rescue_instance": self.rescue, "reboot_instance": self.reboot,
            "rebuild_instance": self.rebuild, "resize_instance": self.resize,
            "revert_resize": self.revert_resize, "snapshot_instance": self.snapshot,
        }
        self._handlers.update(self.volumes.handlers())

    # ---- life cycle ---------------------------------------------------------------
    def start(self, bus: Bus) -> None:
        self.hosts.register(_with_host(self.driver.get_info(), self.host), self.driver.hypervisor_type, self.az)
        self.reconcile(bus)
        bus.consume(topic(self.host), self.handle)
        bus.serve(topic(self.host) + ".call", self.answer)
        self._beat = threading.Thread(target=self._heartbeat, name=f"heartbeat-{self.host}", daemon=True)
        self._beat.start()

    def stop(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=2)
        self.driver.cleanup_host()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self.hosts.heartbeat(self.host)
            except Exception:  # the database may be gone at shutdown
                LOG.debug("heartbeat failed", exc_info=True)

    def reconcile(self, bus: Bus | None = None) -> None:
        """Make the database agree with the driver after a restart.  A build that
        was under way ends ACTIVE when its guest runs, else ERROR (never BUILD
        forever); builds still queued on a durable bus are left to run."""
        present = set(self.driver.list_instances())
        pending = {str(p.get("uuid")) for m, p in bus.pending(topic(self.host))
                   if m == "build_instance"} if bus is not None else set()
        released: list[str] = []
        with self.db.session() as s:
            rows = list(s.scalars(sa.select(Instance).where(Instance.host == self.host,
                                                            Instance.deleted.is_(False))))
            known = {i.uuid for i in rows}
            for inst in rows:
                if inst.task_state == c.DELETING:
                    self.driver.destroy(inst.uuid)
                    mark_deleted(s, inst)
                    released.append(inst.uuid)
                    continue
                if inst.vm_state == c.BUILDING:
                    if inst.uuid in pending:
                        continue  # its build message is still queued: it runs next
                    if inst.uuid in present and self._running(inst.uuid):
                        # the guest started; only the database write was lost
                        inst.vm_state, inst.task_state = c.ACTIVE, None
                        inst.power_state, inst.launched_at = int(PowerState.RUNNING), utcnow()
                        self._finish(s, inst, "Success")
                        continue
                    if inst.uuid in present:
                        self.driver.destroy(inst.uuid)  # half-built: nothing may be left behind
                    released.append(inst.uuid)
                    inst.vm_state, inst.task_state = c.ERROR, None
                    inst.fault = c.fault(500, "Build was interrupted by a restart of its compute host.")
                    self._finish(s, inst, "Error")
                    continue
                inst.task_state = None
                if inst.uuid in present:
                    inst.power_state = int(self.driver.get_power_state(inst.uuid))
                elif inst.vm_state in (c.ACTIVE, c.PAUSED, c.SUSPENDED, c.RESCUED, c.RESIZED):
                    inst.vm_state, inst.power_state = c.STOPPED, int(PowerState.SHUTDOWN)
            live = [i.uuid for i in rows if i.uuid in present and i.uuid not in released]
        for u in present - known:
            LOG.info("destroying %s: the driver has it, the database does not", u)
            self.driver.destroy(u)
        for u in released:
            self._release_ports(u)
        self.volumes.reconcile(bus, set(released))
        self._replug(live)

    def _replug(self, uuids: list[str]) -> None:
        """After a restart: the ports of every guest this host still has are
        plugged again (the tap devices QEMU holds keep their names)."""
        if self.network is None or not uuids:
            return
        for uuid, ports in self.network.ports_for_servers(uuids).items():
            for p in ports:
                try:
                    self.network.plug(p["id"], self.host)
                except Exception:
                    LOG.exception("re-plugging port %s of %s failed", p["id"], uuid)

    def _running(self, uuid: str) -> bool:
        try:
            return self.driver.get_power_state(uuid) == PowerState.RUNNING
        except DriverError:
            return False

    def answer(self, method: str, payload: dict[str, Any]) -> Any:
        """Synchronous questions from API processes (``Bus.call``)."""
        if method == "console_output":
            return self.driver.get_console_output(payload["uuid"], payload.get("length"))
        if method == "extend_volume":
            return self.volumes.extend(payload["uuid"], payload["volume_id"], int(payload["size_gb"]))
        if method == "attach_interface":
            return self.attach_interface(payload["uuid"], payload["port"])
        if method == "detach_interface":
            return self.detach_interface(payload["uuid"], payload["port_id"])
        raise DriverError(f"unknown call {method}")

    # ---- interface hot-plug (os-interface; synchronous, as nova's attach is) -------------
    def attach_interface(self, uuid: str, port: dict[str, Any]) -> None:
        if self.network is None:
            raise DriverError("this compute host has no network service")
        nic = self._plug(port)
        try:
            self.driver.attach_interface(uuid, nic)
        except BaseException:
            self.network.unplug(port["id"])
            raise

    def detach_interface(self, uuid: str, port_id: str) -> None:
        self.driver.detach_interface(uuid, port_id)
        if self.network is not None:
            self.network.unplug(port_id)

    def handle(self, method: str, payload: dict[str, Any]) -> None:
        fn = self._handlers.get(method)
        if fn is None:
            LOG.error("worker %s: unknown method %s", self.host, method)
            return
        uuid = payload.get("uuid", "")
        try:
            fn(payload)
        except Exception as e:
            LOG.info("worker %s: %s %s failed: %s", self.host, method, uuid, e, exc_info=not isinstance(e, DriverError))
            self._failed(uuid, method, e)

    # ---- helpers --------------------------------------------------------------------
    def _load(self, uuid: str) -> Instance | None:
        with self.db.session() as s:
            return s.scalar(sa.select(Instance).where(Instance.uuid == uuid, Instance.deleted.is_(False)))

    def _finish(self, s: Any, inst: Instance, result: str) -> None:
        act = s.scalar(sa.select(InstanceAction).where(InstanceAction.instance_uuid == inst.uuid)
                       .order_by(InstanceAction.id.desc()))
        if act is None:
            return
        for ev in s.scalars(sa.select(InstanceActionEvent).where(InstanceActionEvent.action_id == act.id,
                                                                 InstanceActionEvent.finish_time.is_(None))):
            ev.finish_time, ev.result, ev.host = utcnow(), result, self.host
        act.updated_at = utcnow()
        if result == "Error":
            act.message = "Error"

    def _done(self, uuid: str, **values: Any) -> None:
        with self.db.session() as s:
            inst = s.get(Instance, uuid)
            if inst is None or inst.deleted:
                return
            for k, v in values.items():
                setattr(inst, k, v)
            inst.task_state = values.get("task_state")
            inst.updated_at = utcnow()
            self._finish(s, inst, "Success")

    def _failed(self, uuid: str, method: str, err: Exception) -> None:
        released = False
        with self.db.session() as s:
            inst = s.get(Instance, uuid)
            if inst is None or inst.deleted:
                return
            if method == "build_instance" or method == "rebuild_instance":
                inst.vm_state = c.ERROR
                if method == "build_instance":
                    released = True
            inst.task_state = None
            inst.fault = c.fault(500, str(err) or err.__class__.__name__, err.__class__.__name__)
            inst.updated_at = utcnow()
            self._finish(s, inst, "Error")
        if released:  # nova: a build that failed gives its network back
            self._release_ports(uuid)

    def _simple(self, call: Callable[[str], None], vm_state: str, power: PowerState
                ) -> Callable[[dict[str, Any]], None]:
        def run(payload: dict[str, Any]) -> None:
            call(payload["uuid"])
            self._done(payload["uuid"], vm_state=vm_state, power_state=int(power))

        return run

    def spec(self, inst: Instance, ctx: RequestContext) -> InstanceSpec:
        f = inst.flavor or {}
        spec = InstanceSpec(uuid=inst.uuid, name=inst.display_name, hostname=inst.hostname,
                            vcpus=inst.vcpus, memory_mb=inst.memory_mb, root_gb=inst.root_gb,
                            ephemeral_gb=int(f.get("ephemeral") or 0), swap_mb=int(f.get("swap") or 0),
                            user_data=base64.b64decode(inst.user_data) if inst.user_data else None,
                            metadata=dict(inst.metadata_ or {}), extra_specs=dict(f.get("extra_specs") or {}))
        if self.image is not None and inst.image_ref:
            img = self.image.get_image(ctx, inst.image_ref)
            spec.image_path, spec.image_format = self.image.data_path(inst.image_ref), img.get("disk_format")
            if inst.kernel_id:
                spec.kernel_path = self.image.data_path(inst.kernel_id)
                spec.ramdisk_path = self.image.data_path(inst.ramdisk_id) if inst.ramdisk_id else None
                spec.kernel_cmdline = str(img.get("os_command_line") or "") or None
        if inst.key_data:
            spec.key_pair = KeyPair(name=inst.key_name or "", public_key=inst.key_data, type=inst.key_type or "ssh")
        self.volumes.add_to_spec(inst, spec, ctx)
        if self.network is not None:
            ports = networking.ordered(self.network.ports_for_servers([inst.uuid]).get(inst.uuid, []),
                                       inst.networks)
            spec.network_info = [self._plug(p) for p in ports]
            subnets = {}
            for net_id in dict.fromkeys(p["network_id"] for p in ports):
                state = self.network.network_state(net_id)
                subnets.update({sub.id: sub for sub in state.subnets} if state is not None else {})
            spec.config_drive_files = metadata.files(inst, ports, subnets)
            return spec
        if inst.networks != "none":
            mac = "fa:16:3e:" + ":".join(f"{b:02x}" for b in bytes.fromhex(inst.uuid.replace("-", "")[:6]))
            spec.network_info = [NetworkInterface(port_id=inst.uuid, mac_address=mac, kind="user")]
        if inst.config_drive:
            spec.config_drive_files = config_drive_files(inst)
        return spec

    def _plug(self, port: dict[str, Any]) -> NetworkInterface:
        """Plug a port on this host; the NIC QEMU opens for it."""
        tap = self.network.plug(port["id"], self.host)
        return NetworkInterface(port_id=port["id"], mac_address=port["mac_address"],
                                network_id=port.get("network_id"), kind="tap", device=tap,
                                fixed_ips=[f["ip_address"] for f in port.get("fixed_ips") or []],
                                mtu=int(port.get("mtu") or 1500))

    def _release_ports(self, uuid: str) -> None:
        """The server is gone (or never built): unplug and deallocate its ports."""
        if self.network is None:
            return
        try:
            for p in self.network.ports_for_servers([uuid]).get(uuid, []):
                self.network.unplug(p["id"])
            self.network.deallocate_for_server(uuid)
        except Exception:
            LOG.exception("releasing the ports of %s failed", uuid)

    # ---- methods ---------------------------------------------------------------------
    def build(self, p: dict[str, Any]) -> None:
        inst = self._load(p["uuid"])
        if inst is None or inst.task_state == c.DELETING or inst.vm_state != c.BUILDING:
            return  # deleted meanwhile, or a redelivered build reconcile already settled
        self.volumes.prepare_boot(inst, _ctx(p.get("ctx")))
        self.driver.spawn(self.spec(inst, _ctx(p.get("ctx"))))
        self._done(inst.uuid, vm_state=c.ACTIVE, power_state=int(PowerState.RUNNING), launched_at=utcnow(),
                   fault=None)

    def terminate(self, p: dict[str, Any]) -> None:
        self.driver.destroy(p["uuid"])
        self.volumes.release_all(p["uuid"])
        self._release_ports(p["uuid"])
        with self.db.session() as s:
            inst = s.get(Instance, p["uuid"])
            if inst is not None and not inst.deleted:
                self._finish(s, inst, "Success")
                mark_deleted(s, inst)

    def start_instance(self, p: dict[str, Any]) -> None:
        uuid = p["uuid"]
        if uuid not in self.driver.list_instances():  # lost in a restart: boot it again
            inst = self._load(uuid)
            if inst is None:
                return
            self.driver.spawn(self.spec(inst, _ctx(p.get("ctx"))))
        else:
            self.driver.power_on(uuid)
        self._done(uuid, vm_state=c.ACTIVE, power_state=int(PowerState.RUNNING))

    def reboot(self, p: dict[str, Any]) -> None:
        uuid = p["uuid"]
        try:
            self.driver.reboot(uuid, bool(p.get("hard")))
        except InstanceNotFound:
            inst = self._load(uuid)
            if inst is None or not p.get("hard"):
                raise
            self.driver.spawn(self.spec(inst, _ctx(p.get("ctx"))))
        self._done(uuid, vm_state=c.ACTIVE, power_state=int(PowerState.RUNNING))

    def rescue(self, p: dict[str, Any]) -> None:
        path = None
        if p.get("image") and self.image is not None:
            path = self.image.data_path(p["image"])
        self.driver.rescue(p["uuid"], path, None)
        self._done(p["uuid"], vm_state=c.RESCUED, power_state=int(PowerState.RUNNING))

    def rebuild(self, p: dict[str, Any]) -> None:
        inst = self._load(p["uuid"])
        if inst is None:
            return
        self.driver.destroy(inst.uuid)
        self.driver.spawn(self.spec(inst, _ctx(p.get("ctx"))))
        self._done(inst.uuid, vm_state=c.ACTIVE, power_state=int(PowerState.RUNNING), launched_at=utcnow())

    def resize(self, p: dict[str, Any]) -> None:
        inst = self._load(p["uuid"])
        if inst is None or not inst.new_flavor:
            return
        nf = inst.new_flavor
        self.driver.resize(inst.uuid, nf["vcpus"], nf["ram"], max(nf["disk"], inst.root_gb))
        self._done(inst.uuid, vm_state=c.RESIZED, flavor=nf, flavor_id=nf["id"], vcpus=nf["vcpus"],
                   memory_mb=nf["ram"], root_gb=nf["disk"])

    def revert_resize(self, p: dict[str, Any]) -> None:
        inst = self._load(p["uuid"])
        if inst is None or not inst.old_flavor:
            return
        of = inst.old_flavor
        self.driver.resize(inst.uuid, of["vcpus"], of["ram"], max(of["disk"], inst.root_gb))
        power = self.driver.get_power_state(inst.uuid)
        self._done(inst.uuid, vm_state=c.STOPPED if power == PowerState.SHUTDOWN else c.ACTIVE,
                   flavor=of, flavor_id=of["id"], vcpus=of["vcpus"], memory_mb=of["ram"], root_gb=of["disk"],
                   old_flavor=None, new_flavor=None)

    def snapshot(self, p: dict[str, Any]) -> None:
        uuid, image_id = p["uuid"], p["image_id"]
        with tempfile.TemporaryDirectory(dir=self.state_path, prefix="snap-") as d:
            target = Path(d) / f"{image_id}.img"
            self.driver.snapshot(uuid, target)
            with self.db.session() as s:
                s.execute(sa.update(Instance).where(Instance.uuid == uuid).values(task_state=c.IMAGE_UPLOADING))
            if self.image is not None:
                self.image.store_file(_ctx(p.get("ctx")), image_id, target)
        self._done(uuid)

    def console_output(self, host: str, uuid: str, length: int | None) -> str:
        return self.driver.get_console_output(uuid, length)


def _with_host(info: Any, host: str) -> Any:
    import dataclasses

    return dataclasses.replace(info, hostname=host)


def config_drive_files(inst: Instance) -> dict[str, bytes]:
    """OpenStack's config drive layout (``openstack/latest``)."""
    meta = {"uuid": inst.uuid, "name": inst.display_name, "hostname": inst.hostname,
            "availability_zone": inst.availability_zone, "launch_index": inst.launch_index,
            "meta": dict(inst.metadata_ or {}), "project_id": inst.project_id, "devices": [],
            "random_seed": base64.b64encode(secrets.token_bytes(64)).decode()}
    if inst.key_data:
        meta["public_keys"] = {inst.key_name or "key": inst.key_data}
        meta["keys"] = [{"name": inst.key_name, "type": inst.key_type or "ssh", "data": inst.key_data}]
    files = {
        "openstack/latest/meta_data.json": json.dumps(meta).encode(),
        "openstack/latest/network_data.json": json.dumps({"links": [], "networks": [], "services": []}).encode(),
        "openstack/latest/vendor_data.json": b"{}",
    }
    if inst.user_data:
        files["openstack/latest/user_data"] = base64.b64decode(inst.user_data)
    return files
