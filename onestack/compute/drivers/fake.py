"""An instant, in-memory driver: every call succeeds at once.  The default for
tests and for clouds without a hypervisor; passes the same contract tests as
the QEMU driver."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class _Instance:
    spec: InstanceSpec
    state: PowerState = PowerState.RUNNING
    rescued: bool = False
    console: list[str] = field(default_factory=list)


class FakeDriver(ComputeDriver):
    hypervisor_type = "fake"

    def __init__(self, state_path: Path | None = None, hostname: str = "onestack", vcpus: int = 64,
                 memory_mb: int = 256 * 1024, disk_gb: int = 4096) -> None:
        self._info = HostInfo(hostname=hostname, vcpus=vcpus, memory_mb=memory_mb, disk_gb=disk_gb,
                              hypervisor_type="fake", hypervisor_version=1000,
                              cpu_info={"arch": "x86_64", "model": "fake", "vendor": "onestack"})
        self._instances: dict[str, _Instance] = {}
        self._lock = threading.Lock()
        # tests set this to make the next spawn fail (by design: "no host can")
        self.fail_next_spawn: str | None = None

    def _get(self, uuid: str) -> _Instance:
        inst = self._instances.get(uuid)
        if inst is None:
            raise InstanceNotFound(f"instance {uuid} not found")
        return inst

    def _move(self, uuid: str, allowed: tuple[PowerState, ...], to: PowerState, what: str) -> None:
        with self._lock:
            inst = self._get(uuid)
            if inst.state not in allowed:
                raise InvalidState(f"cannot {what} instance in power state {inst.state.name}")
            inst.state = to
            inst.console.append(f"[fake] {what}")

    def spawn(self, spec: InstanceSpec) -> None:
        with self._lock:
            if self.fail_next_spawn:
                msg, self.fail_next_spawn = self.fail_next_spawn, None
                raise DriverError(msg)
            if spec.uuid in self._instances:
                raise DriverError(f"instance {spec.uuid} already exists")
            self._instances[spec.uuid] = _Instance(
                spec=spec, console=[f"[fake] booting {spec.hostname}", f"{spec.hostname} login:"])

    def destroy(self, uuid: str) -> None:
        with self._lock:
            self._instances.pop(uuid, None)

    def reboot(self, uuid: str, hard: bool) -> None:
        if hard:
            self._move(uuid, tuple(PowerState), PowerState.RUNNING, "hard reboot")
        else:
            self._move(uuid, (PowerState.RUNNING,), PowerState.RUNNING, "reboot")

    def power_off(self, uuid: str, timeout: float = 0) -> None:
        self._move(uuid, (PowerState.RUNNING, PowerState.PAUSED, PowerState.SHUTDOWN),
                   PowerState.SHUTDOWN, "power off")

    def power_on(self, uuid: str) -> None:
        self._move(uuid, (PowerState.SHUTDOWN, PowerState.RUNNING), PowerState.RUNNING, "power on")

    def pause(self, uuid: str) -> None:
        self._move(uuid, (PowerState.RUNNING,), PowerState.PAUSED, "pause")

    def unpause(self, uuid: str) -> None:
        self._move(uuid, (PowerState.PAUSED,), PowerState.RUNNING, "unpause")

    def suspend(self, uuid: str) -> None:
        self._move(uuid, (PowerState.RUNNING,), PowerState.SUSPENDED, "suspend")

    def resume(self, uuid: str) -> None:
        self._move(uuid, (PowerState.SUSPENDED,), PowerState.RUNNING, "resume")

    def rescue(self, uuid: str, rescue_image_path: Path | None, admin_password: str | None = None) -> None:
        self._move(uuid, (PowerState.RUNNING, PowerState.SHUTDOWN), PowerState.RUNNING, "rescue")
        self._instances[uuid].rescued = True

    def unrescue(self, uuid: str) -> None:
        with self._lock:
            inst = self._get(uuid)
            if not inst.rescued:
                raise InvalidState("instance is not rescued")
            inst.rescued = False
            inst.state = PowerState.RUNNING

    def resize(self, uuid: str, vcpus: int, memory_mb: int, root_gb: int) -> None:
        with self._lock:
            inst = self._get(uuid)
            if root_gb and inst.spec.root_gb and root_gb < inst.spec.root_gb:
                raise DriverError("the root disk cannot shrink")
            inst.spec.vcpus, inst.spec.memory_mb, inst.spec.root_gb = vcpus, memory_mb, root_gb

    def get_console_output(self, uuid: str, length: int | None = None) -> str:
        lines = self._get(uuid).console
        if length is not None:
            lines = lines[-length:] if length > 0 else []
        return "".join(line + "\n" for line in lines)

    def snapshot(self, uuid: str, target_path: Path) -> str:
        inst = self._get(uuid)
        target_path.write_bytes(b"fake disk of " + uuid.encode() + b"\n" + b"\0" * 1024)
        inst.console.append("[fake] snapshot")
        return "raw"

    def list_instances(self) -> list[str]:
        return list(self._instances)

    def get_power_state(self, uuid: str) -> PowerState:
        return self._get(uuid).state

    def get_info(self) -> HostInfo:
        return self._info

    def attach_interface(self, uuid: str, nic: NetworkInterface) -> None:
        with self._lock:
            inst = self._get(uuid)
            if any(n.port_id == nic.port_id for n in inst.spec.network_info):
                raise DriverError(f"port {nic.port_id} is already attached")
            inst.spec.network_info.append(nic)
            inst.console.append(f"[fake] attach interface {nic.port_id} {nic.mac_address}")

    def detach_interface(self, uuid: str, port_id: str) -> None:
        with self._lock:
            inst = self._get(uuid)
            kept = [n for n in inst.spec.network_info if n.port_id != port_id]
            if len(kept) == len(inst.spec.network_info):
                raise DriverError(f"port {port_id} is not attached")
            inst.spec.network_info = kept
            inst.console.append(f"[fake] detach interface {port_id}")

    def attach_volume(self, uuid: str, device: BlockDevice) -> None:
        with self._lock:
            inst = self._get(uuid)
            if any(b.volume_id == device.volume_id for b in inst.spec.block_devices):
                raise DriverError(f"volume {device.volume_id} is already attached")
            inst.spec.block_devices.append(device)
            inst.console.append(f"[fake] attach volume {device.volume_id}")

    def detach_volume(self, uuid: str, volume_id: str) -> None:
        with self._lock:
            inst = self._get(uuid)
            inst.spec.block_devices = [b for b in inst.spec.block_devices if b.volume_id != volume_id]
            inst.console.append(f"[fake] detach volume {volume_id}")

    def extend_volume(self, uuid: str, volume_id: str, new_size_bytes: int) -> None:
        with self._lock:
            inst = self._get(uuid)
            if not any(b.volume_id == volume_id for b in inst.spec.block_devices):
                raise DriverError(f"volume {volume_id} is not attached")
            inst.console.append(f"[fake] extend volume {volume_id} to {new_size_bytes}")

    def attached_volumes(self, uuid: str) -> list[str]:
        return [b.volume_id for b in self._get(uuid).spec.block_devices]

    # for tests and the API's "what does the driver think" checks
    def spec_of(self, uuid: str) -> InstanceSpec:
        return self._get(uuid).spec
