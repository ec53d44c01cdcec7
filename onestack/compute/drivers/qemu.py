"""The real hypervisor: one daemonized ``qemu-system-x86_64`` per instance.

KVM when the host really runs KVM guests (``qemu_process.probe_accel``), TCG
otherwise.  Everything about an instance lives in ``<state_path>/instances/<uuid>/``:

==================  ==========================================================
``instance.json``   what the instance is (size, boot source, NICs, rescue)
``disk.qcow2``      root disk: a qcow2 overlay on the cached base image, or a
                    blank disk of ``root_gb`` for direct kernel boot
``config.iso``      config drive (ISO 9660 ``config-2``), when there is one
``console.log``     the serial console (ttyS0), appended across boots
``qemu.pid``        pid of the QEMU process; ``qmp.sock`` its QMP monitor
``suspend.state``   memory state of a suspended instance
``rescue.qcow2``    the rescue disk while rescued
==================  ==========================================================

QEMU runs with ``-daemonize`` in its own session, so instances outlive a
onestack restart; ``list_instances`` reads the directories back and the power
state comes from the pid file plus QMP ``query-status``.

Power actions go through QMP: ``system_powerdown`` (ACPI; soft reboot and
graceful power-off wait ``shutdown_timeout`` seconds, then force),
``system_reset`` (hard reboot), ``stop``/``cont`` (pause), ``quit``.
Suspend stops the vCPUs, migrates the memory to ``suspend.state``
(``migrate exec:``) and ends the process; resume starts QEMU with ``-incoming``
from that file, so a suspended instance holds no host memory.  Snapshot pauses
the guest (QEMU flushes its disks on ``stop``), flattens the overlay with
``qemu-img convert -U -O qcow2`` and continues it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from onestack.compute.drivers import qemu_cmdline as cmdline
from onestack.compute.drivers import qemu_disk as disk
from onestack.compute.drivers import qemu_process as proc
from onestack.compute.drivers import qemu_volumes
from onestack.compute.drivers.base import (
    BlockDevice,
    ComputeDriver,
    DriverError,
    HostInfo,
    InstanceNotFound,
    InstanceSpec,
    InvalidState,
    NetworkInterface,
    PowerState,
)

_STATUS = {
    "running": PowerState.RUNNING,
    "shutdown": PowerState.SHUTDOWN,
    "internal-error": PowerState.CRASHED,
    "guest-panicked": PowerState.CRASHED,
    "io-error": PowerState.CRASHED,
}  # every other QMP run state (paused, inmigrate, finish-migrate, ...) is PAUSED
_CONSOLE_KEEP = 1024 * 1024  # bytes of console.log kept when it passes 10 MiB
_RUNNING_OR_PAUSED = (PowerState.RUNNING, PowerState.PAUSED)


class QemuDriver(ComputeDriver):
    hypervisor_type = "QEMU"

    def __init__(self, state_path: Path, hostname: str = "onestack", *,
                 qemu_binary: str = "qemu-system-x86_64", accel: str = "auto",
                 kvm_probe_kernel: Path | str | None = None, machine: str = "pc",
                 shutdown_timeout: float = 30.0, force_config_drive: bool = True,
                 availability_zone: str = "nova", sandbox: bool = True) -> None:
        """``accel``: "auto" (probe), "kvm" or "tcg"; ``ONESTACK_QEMU_ACCEL`` overrides it.
        ``kvm_probe_kernel``: a kernel the KVM probe boots (default: a boot sector).
        ``force_config_drive``: attach a config drive even when the spec asks for
        none (onestack has no metadata service, so user data arrives this way).
        ``sandbox``: QEMU's seccomp filter (``-sandbox on``, spawning still allowed
        because suspend saves memory through ``migrate exec:``)."""
        self.state_path = Path(state_path)
        self.instances_path = self.state_path / "instances"
        self.base_path = self.state_path / "_base"
        self.instances_path.mkdir(parents=True, exist_ok=True)
        self.hostname = hostname
        self.qemu_binary = qemu_binary
        self.accel_option = os.environ.get("ONESTACK_QEMU_ACCEL") or accel
        if self.accel_option not in ("auto", "kvm", "tcg"):
            raise ValueError(f"accel must be auto, kvm or tcg, not {self.accel_option!r}")
        self.kvm_probe_kernel = Path(kvm_probe_kernel) if kvm_probe_kernel else None
        self.machine = machine
        self.shutdown_timeout = shutdown_timeout
        self.force_config_drive = force_config_drive
        self.availability_zone = availability_zone
        self.sandbox = sandbox
        # how long a guest may take to release a hot-unplugged volume (ACPI eject)
        self.volume_detach_timeout = 60.0
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    # ---- helpers --------------------------------------------------------------
    @property
    def accel(self) -> str:
        if self.accel_option != "auto":
            return self.accel_option
        return proc.probe_accel(self.qemu_binary, self.kvm_probe_kernel)

    def _dir(self, uuid: str) -> Path:
        if not uuid or "/" in uuid or uuid.startswith("."):
            raise InstanceNotFound(f"instance {uuid} not found")
        return self.instances_path / uuid

    @contextmanager
    def _locked(self, uuid: str) -> Iterator[Path]:
        with self._locks_guard:
            lock = self._locks.setdefault(uuid, threading.RLock())
        with lock:
            yield self._dir(uuid)

    def _load(self, d: Path) -> dict[str, Any]:
        try:
            inst: dict[str, Any] = json.loads((d / "instance.json").read_text())
        except FileNotFoundError:
            raise InstanceNotFound(f"instance {d.name} not found") from None
        except (OSError, ValueError) as e:
            raise DriverError(f"instance {d.name} is damaged: {e}") from e
        return inst

    @staticmethod
    def _save(d: Path, inst: dict[str, Any]) -> None:
        tmp = d / ".instance.json.tmp"
        tmp.write_text(json.dumps(inst, indent=1))
        os.replace(tmp, d / "instance.json")

    @staticmethod
    def _marker(d: Path) -> str:
        """What the instance's QEMU command line holds (its pid file path): no
        other instance's, even when one uuid is a prefix of another."""
        return f"{d}/"

    def _pid(self, d: Path) -> int | None:
        return proc.running_pid(d / "qemu.pid", self._marker(d))

    def _state(self, d: Path) -> PowerState:
        if self._pid(d) is None:
            return PowerState.SUSPENDED if (d / "suspend.state").exists() else PowerState.SHUTDOWN
        for attempt in range(3):
            try:
                status = proc.qmp(proc.socket_path(d), "query-status", timeout=5)["status"]
                return _STATUS.get(status, PowerState.PAUSED)
            except proc.QmpError:
                if self._pid(d) is None:
                    return self._state(d)
                time.sleep(0.2 * (attempt + 1))
        return PowerState.NOSTATE

    def _require(self, d: Path, allowed: tuple[PowerState, ...], what: str) -> PowerState:
        self._load(d)
        state = self._state(d)
        if state not in allowed:
            raise InvalidState(f"cannot {what} instance in power state {state.name}")
        return state

    def _qmp(self, d: Path, command: str, timeout: float = 10.0, **args: Any) -> Any:
        return proc.qmp(proc.socket_path(d), command, timeout=timeout, **args)

    # ---- starting and stopping -------------------------------------------------
    def _args(self, d: Path, inst: dict[str, Any], incoming: str | None) -> list[str]:
        return cmdline.build(self.qemu_binary, self.accel, self.machine, self.sandbox, d, inst,
                             incoming)

    def _start(self, d: Path, inst: dict[str, Any], incoming: str | None = None) -> None:
        for stale in (d / "qemu.pid", proc.socket_path(d)):
            stale.unlink(missing_ok=True)
        log = d / "console.log"
        if log.exists() and log.stat().st_size > 10 * _CONSOLE_KEEP:
            with log.open("rb") as f:
                f.seek(-_CONSOLE_KEEP, os.SEEK_END)
                tail = f.read()
            log.write_bytes(tail)
        args = self._args(d, inst, incoming)
        # the command line names NIC i's netdev "net<i>"; hot-plugged ones become cold-plugged
        for i, nic in enumerate(inst.get("nics", [])):
            nic["netdev"], nic["hotplug"] = f"net{i}", False
        self._save(d, inst)
        proc.start_daemon(args, cwd=d)
        if self._pid(d) is None:
            raise DriverError("QEMU started but is not running (see console.log)")

    def _stop(self, d: Path, timeout: float) -> None:
        """ACPI power-off, waiting ``timeout`` seconds; then quit; then kill."""
        pid = self._pid(d)
        if pid is None:
            return
        marker = self._marker(d)
        if timeout > 0:
            try:
                self._qmp(d, "system_powerdown")
                if proc.wait_gone(pid, marker, timeout):
                    return
            except proc.QmpError:
                pass
        try:
            self._qmp(d, "quit", timeout=5)
            if proc.wait_gone(pid, marker, 5):
                return
        except proc.QmpError:
            pass
        proc.kill(pid, marker)

    # ---- lifecycle ------------------------------------------------------------
    def spawn(self, spec: InstanceSpec) -> None:
        if spec.image_path is None and spec.kernel_path is None and _root_device(spec) is None:
            raise DriverError("the QEMU driver needs an image, a kernel or a root volume to boot")
        with self._locked(spec.uuid) as d:
            try:
                d.mkdir()
            except FileExistsError:
                raise DriverError(f"instance {spec.uuid} already exists") from None
            except OSError as e:
                raise DriverError(f"cannot create {d}: {e.strerror}") from e
            try:
                inst = self._prepare(d, spec)
                self._start(d, inst)
            except BaseException as e:
                self._remove(d)
                if isinstance(e, DriverError | KeyboardInterrupt | SystemExit):
                    raise
                raise DriverError(f"spawn failed: {e}") from e

    def _prepare(self, d: Path, spec: InstanceSpec) -> dict[str, Any]:
        inst: dict[str, Any] = {
            "uuid": spec.uuid, "name": spec.name, "hostname": spec.hostname,
            "vcpus": spec.vcpus, "memory_mb": spec.memory_mb, "root_gb": spec.root_gb,
            "image": None, "image_format": None, "kernel": None, "ramdisk": None,
            "cmdline": spec.kernel_cmdline, "config_drive": False, "rescue": None,
            "nics": [{"port_id": n.port_id, "mac_address": n.mac_address, "kind": n.kind,
                      "device": n.device} for n in spec.network_info],
            "created_at": time.time(),
        }
        self._save(d, inst)  # from here on list_instances sees it, so nothing is orphaned
        size = spec.root_gb * disk.GiB
        if spec.image_path is not None:
            base = disk.cached_base(self.base_path, Path(spec.image_path))
            # an AMI is a raw disk (upstream's EC2-style image triple: ami + aki + ari)
            fmt_in = "raw" if spec.image_format == "ami" else spec.image_format
            info = disk.checked_image_info(base, fmt_in)
            fmt = info["format"]
            if size and size < info.get("virtual-size", 0):
                raise DriverError(f"flavor's disk ({spec.root_gb} GiB) is smaller than the image "
                                  f"({info['virtual-size'] / disk.GiB:.1f} GiB)")
            disk.create_overlay(base, fmt, d / "disk.qcow2", size or None)
            inst.update(image=str(base), image_format=fmt)
        elif (root := _root_device(spec)) is not None:  # boot from volume: no local root disk
            inst["root_volume"] = qemu_volumes.entry(root, set())
        else:
            disk.create_blank(d / "disk.qcow2", size or disk.GiB)
        for bd in spec.block_devices:
            if bd is not _root_device(spec):
                used = {v["slot"] for v in inst.get("volumes", [])}
                inst.setdefault("volumes", []).append(qemu_volumes.entry(bd, used))
        if spec.kernel_path is not None:  # direct kernel boot (the image's kernel_id/ramdisk_id)
            inst["kernel"] = str(disk.cached_base(self.base_path, Path(spec.kernel_path)))
            if spec.ramdisk_path:
                inst["ramdisk"] = str(disk.cached_base(self.base_path, Path(spec.ramdisk_path)))
        if spec.config_drive_files is not None or self.force_config_drive:
            files = disk.default_config_drive_files(spec, self.availability_zone)
            files.update(spec.config_drive_files or {})
            disk.make_config_drive(files, d / "config.iso")
            inst["config_drive"] = True
        self._save(d, inst)
        return inst

    def _remove(self, d: Path) -> None:
        marker = self._marker(d)
        pids = {p for p in (proc.read_pid(d / "qemu.pid"),) if p} | set(proc.pids_matching(marker))
        for pid in pids:
            proc.kill(pid, marker, grace=0.5)
        proc.socket_path(d).unlink(missing_ok=True)
        shutil.rmtree(d, ignore_errors=True)

    def destroy(self, uuid: str) -> None:
        try:
            with self._locked(uuid) as d:
                self._remove(d)  # also finds a QEMU whose directory was lost
        except InstanceNotFound:
            return
        with self._locks_guard:
            self._locks.pop(uuid, None)

    def reboot(self, uuid: str, hard: bool) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            state = self._state(d)
            if not hard:
                if state != PowerState.RUNNING:
                    raise InvalidState(f"cannot reboot instance in power state {state.name}")
                pid = self._pid(d)
                self._qmp(d, "system_powerdown")
                if pid and proc.wait_gone(pid, self._marker(d), self.shutdown_timeout):
                    self._start(d, inst)
                    return
                # the guest ignored ACPI: fall back to a hard reboot
            if state in (PowerState.SHUTDOWN, PowerState.SUSPENDED) or self._pid(d) is None:
                (d / "suspend.state").unlink(missing_ok=True)
                self._start(d, inst)
                return
            self._qmp(d, "system_reset")
            if self._state(d) != PowerState.RUNNING:
                self._qmp(d, "cont")

    def power_off(self, uuid: str, timeout: float = 0) -> None:
        with self._locked(uuid) as d:
            state = self._require(d, (*_RUNNING_OR_PAUSED, PowerState.SHUTDOWN, PowerState.CRASHED),
                                  "power off")
            if state != PowerState.SHUTDOWN:
                self._stop(d, timeout if state == PowerState.RUNNING else 0)

    def power_on(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            state = self._require(d, (PowerState.SHUTDOWN, PowerState.RUNNING), "power on")
            if state == PowerState.SHUTDOWN:
                self._stop(d, 0)  # a QEMU left in run state "shutdown"
                self._start(d, self._load(d))

    def pause(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            self._require(d, (PowerState.RUNNING,), "pause")
            self._qmp(d, "stop")

    def unpause(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            self._require(d, (PowerState.PAUSED,), "unpause")
            self._qmp(d, "cont")

    def suspend(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            self._require(d, (PowerState.RUNNING,), "suspend")
            pid = self._pid(d)
            part, final = d / "suspend.state.part", d / "suspend.state"
            self._qmp(d, "stop")
            try:
                self._qmp(d, "migrate-set-parameters", **{"max-bandwidth": 8 * 1024**3})
                self._qmp(d, "migrate", uri=f"exec:cat > {shlex.quote(str(part))}")
                self._wait_migration(d, lambda: self._qmp(d, "query-migrate").get("status"),
                                     done=("completed",), failed=("failed", "cancelled"))
                os.replace(part, final)
            except BaseException:
                part.unlink(missing_ok=True)
                if self._pid(d):
                    self._qmp(d, "cont")
                raise
            self._qmp(d, "quit", timeout=5)
            if pid and not proc.wait_gone(pid, self._marker(d), 10):
                proc.kill(pid, self._marker(d))

    def resume(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            self._require(d, (PowerState.SUSPENDED,), "resume")
            saved = d / "suspend.state"
            self._start(d, self._load(d), incoming=f"exec:cat {shlex.quote(str(saved))}")
            try:
                self._wait_migration(d, lambda: self._qmp(d, "query-status")["status"],
                                     done=("paused", "running", "postmigrate"),
                                     failed=("internal-error", "shutdown"))
                if self._qmp(d, "query-status")["status"] != "running":
                    self._qmp(d, "cont")
            except BaseException:
                self._stop(d, 0)  # keep suspend.state: resume can be tried again
                raise
            saved.unlink()

    @staticmethod
    def _wait_migration(d: Path, status: Any, done: tuple[str, ...], failed: tuple[str, ...],
                        timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            s = status()
            if s in done:
                return
            if s in failed:
                raise DriverError(f"saving or restoring memory state failed ({s})")
            if time.monotonic() > deadline:
                raise DriverError(f"saving or restoring memory state took over {timeout:.0f}s")
            time.sleep(0.1)

    def rescue(self, uuid: str, rescue_image_path: Path | None, admin_password: str | None = None) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            if inst.get("rescue"):
                raise InvalidState("instance is already rescued")
            self._require(d, (PowerState.RUNNING, PowerState.SHUTDOWN), "rescue")
            target = d / "rescue.qcow2"
            if rescue_image_path is not None:
                base = disk.cached_base(self.base_path, Path(rescue_image_path))
                disk.create_overlay(base, disk.checked_image_info(base, None)["format"], target, None)
            elif inst.get("image"):
                disk.create_overlay(Path(inst["image"]), inst["image_format"], target, None)
            else:  # direct kernel boot: the same kernel, a fresh first disk
                disk.create_blank(target, disk.GiB)
            self._stop(d, self.shutdown_timeout)
            inst["rescue"] = {"image": str(rescue_image_path) if rescue_image_path else None}
            self._save(d, inst)
            self._start(d, inst)

    def unrescue(self, uuid: str) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            if not inst.get("rescue"):
                raise InvalidState("instance is not rescued")
            self._stop(d, self.shutdown_timeout)
            inst["rescue"] = None
            self._save(d, inst)
            (d / "rescue.qcow2").unlink(missing_ok=True)
            self._start(d, inst)

    def resize(self, uuid: str, vcpus: int, memory_mb: int, root_gb: int) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            state = self._require(d, (PowerState.SHUTDOWN, PowerState.RUNNING), "resize")
            if inst.get("root_volume"):
                root_gb = 0  # a volume-backed server's root disk is its volume's size, not the flavor's
            current = int(disk.image_info(d / "disk.qcow2", force_share=True)["virtual-size"]) if root_gb else 0
            wanted = root_gb * disk.GiB
            if root_gb and wanted < current:
                raise DriverError(f"the root disk cannot shrink ({current / disk.GiB:.1f} GiB "
                                  f"to {root_gb} GiB)")
            if state == PowerState.RUNNING:
                self._stop(d, self.shutdown_timeout)
            if root_gb and wanted > current:
                disk.grow(d / "disk.qcow2", wanted)
            inst.update(vcpus=vcpus, memory_mb=memory_mb, root_gb=root_gb or inst["root_gb"])
            self._save(d, inst)
            if state == PowerState.RUNNING:
                self._start(d, inst)

    # ---- interface hot-plug -------------------------------------------------------
    def attach_interface(self, uuid: str, nic: NetworkInterface) -> None:
        """``netdev_add`` (tap) + ``device_add virtio-net-pci`` through QMP when QEMU
        runs; recorded in instance.json either way, so later starts have it."""
        with self._locked(uuid) as d:
            inst = self._load(d)
            if any(n["port_id"] == nic.port_id for n in inst.get("nics", [])):
                raise DriverError(f"port {nic.port_id} is already attached")
            if nic.kind != "tap" or not nic.device:
                raise DriverError("only tap NICs can be hot-plugged")
            cmdline.check_nic(nic.mac_address, nic.device)
            entry: dict[str, Any] = {"port_id": nic.port_id, "mac_address": nic.mac_address,
                                     "kind": nic.kind, "device": nic.device}
            if self._pid(d) is not None:
                tag = "hp" + re.sub(r"[^0-9a-zA-Z]", "", nic.port_id)[:12]
                try:
                    self._qmp(d, "netdev_add", type="tap", id=tag, ifname=nic.device, script="no",
                              downscript="no")
                    self._qmp(d, "device_add", driver="virtio-net-pci", netdev=tag, mac=nic.mac_address,
                              id=tag + "-nic")
                except proc.QmpError as e:
                    with contextlib.suppress(proc.QmpError):
                        self._qmp(d, "netdev_del", id=tag)
                    raise DriverError(f"Failed to attach network adapter device: {e}") from e
                entry.update(netdev=tag, hotplug=True)
            inst.setdefault("nics", []).append(entry)
            self._save(d, inst)

    def detach_interface(self, uuid: str, port_id: str) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            nics = inst.get("nics", [])
            entry = next((n for n in nics if n["port_id"] == port_id), None)
            if entry is None:
                raise DriverError(f"port {port_id} is not attached")
            if self._pid(d) is not None and entry.get("netdev"):
                device = entry["netdev"] + "-nic" if entry.get("hotplug") else self._nic_path(d, entry["netdev"])
                if device:
                    try:
                        self._qmp(d, "device_del", id=device)
                        self._wait_device_gone(d, device)
                    except proc.QmpError as e:
                        raise DriverError(f"Failed to detach network adapter device: {e}") from e
                with contextlib.suppress(proc.QmpError):
                    self._qmp(d, "netdev_del", id=entry["netdev"])
            inst["nics"] = [n for n in nics if n["port_id"] != port_id]
            self._save(d, inst)

    def _nic_path(self, d: Path, netdev: str) -> str | None:
        """The QOM path of the cold-plugged virtio-net device using ``netdev``."""
        base = "/machine/peripheral-anon"
        for child in self._qmp(d, "qom-list", path=base):
            if "virtio-net" not in str(child.get("type", "")):
                continue
            path = f"{base}/{child['name']}"
            with contextlib.suppress(proc.QmpError):
                if self._qmp(d, "qom-get", path=path, property="netdev") == netdev:
                    return path
        return None

    def _wait_device_gone(self, d: Path, device: str, timeout: float = 10.0) -> None:
        """``device_del`` needs the guest's ACPI eject; wait for it, up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if device.startswith("/"):
                    self._qmp(d, "qom-get", path=device, property="type")
                else:
                    self._qmp(d, "qom-get", path=f"/machine/peripheral/{device}", property="type")
            except proc.QmpError:
                return
            time.sleep(0.2)
        raise DriverError("the guest did not release the network adapter (ACPI eject)")

    # ---- volumes (qemu_volumes.py) -------------------------------------------------
    def attach_volume(self, uuid: str, device: BlockDevice) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            vols = inst.get("volumes", [])
            root = inst.get("root_volume") or {}
            if device.volume_id == root.get("volume_id") or any(
                    v["volume_id"] == device.volume_id for v in vols):
                raise DriverError(f"volume {device.volume_id} is already attached")
            vol = qemu_volumes.entry(device, {v["slot"] for v in vols})
            inst["volumes"] = [*vols, vol]
            self._save(d, inst)  # first: the record may hold more than QEMU, never less
            if self._pid(d) is not None:
                try:
                    qemu_volumes.plug(proc.socket_path(d), vol)
                except proc.QmpError as e:
                    inst["volumes"] = vols
                    self._save(d, inst)
                    raise DriverError(f"attaching volume {device.volume_id} failed: {e}") from e

    def detach_volume(self, uuid: str, volume_id: str) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            vols = inst.get("volumes", [])
            vol = next((v for v in vols if v["volume_id"] == volume_id), None)
            if self._pid(d) is not None:
                # also a device the record lost (a crash between plugging and recording)
                qemu_volumes.unplug(proc.socket_path(d), vol or {"volume_id": volume_id},
                                    timeout=self.volume_detach_timeout)
            if vol is not None:
                inst["volumes"] = [v for v in vols if v["volume_id"] != volume_id]
                self._save(d, inst)

    def extend_volume(self, uuid: str, volume_id: str, new_size_bytes: int) -> None:
        with self._locked(uuid) as d:
            inst = self._load(d)
            vols = [*inst.get("volumes", []), *([inst["root_volume"]] if inst.get("root_volume") else [])]
            vol = next((v for v in vols if v["volume_id"] == volume_id), None)
            if vol is None:
                raise DriverError(f"volume {volume_id} is not attached")
            if self._pid(d) is not None:
                if vol is inst.get("root_volume"):
                    self._qmp(d, "block_resize", device="disk0", size=new_size_bytes, timeout=60)
                else:
                    qemu_volumes.resize(proc.socket_path(d), vol, new_size_bytes)
            else:
                disk.grow(Path(vol["path"]), new_size_bytes)

    def attached_volumes(self, uuid: str) -> list[str]:
        """A running guest: what QEMU really has (QMP); a stopped one: the record."""
        with self._locked(uuid) as d:
            inst = self._load(d)
            root = [inst["root_volume"]["volume_id"]] if inst.get("root_volume") else []
            if self._pid(d) is not None:
                try:
                    return root + sorted(qemu_volumes.plugged(proc.socket_path(d)))
                except proc.QmpError:
                    pass
            return root + [v["volume_id"] for v in inst.get("volumes", [])]

    # ---- queries ----------------------------------------------------------------
    def get_console_output(self, uuid: str, length: int | None = None) -> str:
        d = self._dir(uuid)
        self._load(d)
        try:
            with (d / "console.log").open("rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - _CONSOLE_KEEP))
                data = f.read()
        except FileNotFoundError:
            data = b""
        lines = data.decode(errors="replace").replace("\r\n", "\n").replace("\r", "").splitlines()
        if length is not None:
            lines = lines[-length:] if length > 0 else []
        return "".join(line + "\n" for line in lines)

    def snapshot(self, uuid: str, target_path: Path) -> str:
        with self._locked(uuid) as d:
            inst = self._load(d)
            state = self._state(d)
            live = self._pid(d) is not None
            if state == PowerState.RUNNING:
                self._qmp(d, "stop")  # QEMU drains and flushes every disk on stop
            try:
                root = inst.get("root_volume")  # volume-backed: an image of the root volume
                disk.flatten(Path(root["path"]) if root else d / "disk.qcow2", Path(target_path),
                             force_share=live)
            finally:
                if state == PowerState.RUNNING:
                    self._qmp(d, "cont")
            return "qcow2"

    def list_instances(self) -> list[str]:
        return sorted(p.name for p in self.instances_path.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def get_power_state(self, uuid: str) -> PowerState:
        with self._locked(uuid) as d:
            self._load(d)
            return self._state(d)

    def get_info(self) -> HostInfo:
        mem_kb = 0
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        cpu: dict[str, Any] = {"arch": os.uname().machine, "accel": self.accel}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "vendor_id":
                cpu["vendor"] = value.strip()
            elif key.strip() == "model name":
                cpu["model"] = value.strip()
                break
        return HostInfo(hostname=self.hostname, vcpus=os.cpu_count() or 1, memory_mb=mem_kb // 1024,
                        disk_gb=shutil.disk_usage(self.state_path).total // disk.GiB,
                        hypervisor_type=self.hypervisor_type,
                        hypervisor_version=self._qemu_version(), cpu_info=cpu)

    def _qemu_version(self) -> int:
        """Nova's encoding: major * 1,000,000 + minor * 1,000 + micro."""
        try:
            out = subprocess.run([self.qemu_binary, "--version"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return 0
        m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
        return int(m[1]) * 1_000_000 + int(m[2]) * 1000 + int(m[3]) if m else 0


def _root_device(spec: InstanceSpec) -> BlockDevice | None:
    """The volume a server boots from (``boot_index`` 0), if any."""
    return next((b for b in spec.block_devices if b.boot_index == 0), None)
