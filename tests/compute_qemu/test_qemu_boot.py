"""End to end: real QEMU guests booted from the test guest (scripts/build-test-guest)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestack.compute.drivers.base import DriverError, InstanceSpec, PowerState
from onestack.compute.drivers.qemu import QemuDriver
from tests.compute_qemu.guest import GuestFiles

BOOT_TIMEOUT = 180.0  # TCG boot of the cloud kernel takes ~4-40 s depending on the host


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[QemuDriver]:
    d = QemuDriver(state_path=tmp_path / "compute", hostname="e2e-host", shutdown_timeout=20)
    yield d
    for u in d.list_instances():
        d.destroy(u)


def spec_for(g: GuestFiles, **kw: Any) -> InstanceSpec:
    u = kw.pop("uuid", str(uuid.uuid4()))
    fields: dict[str, Any] = dict(uuid=u, name="e2e", hostname="e2e-" + u[:8], vcpus=1, memory_mb=192,
                                  root_gb=1, kernel_path=g.kernel, ramdisk_path=g.initramfs,
                                  kernel_cmdline="quiet", config_drive_files={})
    fields.update(kw)
    return InstanceSpec(**fields)


def wait_console(d: QemuDriver, u: str, text: str, count: int = 1,
                 timeout: float = BOOT_TIMEOUT) -> float:
    start = time.monotonic()
    while d.get_console_output(u).count(text) < count:
        if time.monotonic() - start > timeout:
            pytest.fail(f"{text!r} x{count} not on the console after {timeout:.0f}s:\n"
                        + d.get_console_output(u, 40))
        time.sleep(0.1)
    return time.monotonic() - start


def qemu_pids(u: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", u], capture_output=True, text=True, check=False).stdout
    return out.split()


def test_boot_user_data_snapshot_reboot_destroy(driver: QemuDriver, g: GuestFiles,
                                                tmp_path: Path) -> None:
    spec = spec_for(g, user_data=b"hello from onestack\nsecond line\n",
                    metadata={"role": "e2e"}, config_drive_files=None)
    u = spec.uuid
    t0 = time.monotonic()
    driver.spawn(spec)
    spawned = time.monotonic() - t0
    assert driver.get_power_state(u) == PowerState.RUNNING
    booted = wait_console(driver, u, "onestack-guest: user-data: second line") + spawned
    print(f"\n[qemu e2e] accel={driver.accel} spawn() {spawned:.2f}s, "
          f"user data on console {booted:.2f}s after spawn()")
    console = driver.get_console_output(u)
    assert f"onestack-guest: hostname={spec.hostname}" in console
    assert f"onestack-guest: uuid={u}" in console
    assert "onestack-guest: user-data: hello from onestack" in console
    wait_console(driver, u, "onestack-guest: ready")

    # snapshot: a standalone qcow2, the guest keeps running
    target = tmp_path / "snap.qcow2"
    assert driver.snapshot(u, target) == "qcow2"
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(target)],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "qcow2" and "backing-filename" not in info
    assert info["virtual-size"] == 1024**3
    assert driver.get_power_state(u) == PowerState.RUNNING

    # soft reboot: the guest handles the ACPI power button, QEMU starts again
    t0 = time.monotonic()
    driver.reboot(u, hard=False)
    assert "onestack-guest: power button: powering off" in driver.get_console_output(u)
    wait_console(driver, u, "onestack-guest: ready", count=2)
    print(f"[qemu e2e] soft reboot to ready: {time.monotonic() - t0:.2f}s")

    # hard reboot: system_reset
    t0 = time.monotonic()
    driver.reboot(u, hard=True)
    wait_console(driver, u, "onestack-guest: ready", count=3)
    print(f"[qemu e2e] hard reboot to ready: {time.monotonic() - t0:.2f}s")
    assert driver.get_power_state(u) == PowerState.RUNNING

    assert qemu_pids(u)
    driver.destroy(u)
    assert qemu_pids(u) == []
    assert u not in driver.list_instances()
    assert not (driver.instances_path / u).exists()


def test_survives_driver_restart_and_suspend(driver: QemuDriver, g: GuestFiles) -> None:
    spec = spec_for(g)
    driver.spawn(spec)
    u = spec.uuid
    wait_console(driver, u, "onestack-guest: ready")

    # a new driver on the same state dir (a onestack restart) finds the guest running
    again = QemuDriver(state_path=driver.state_path, hostname="e2e-host", shutdown_timeout=20)
    assert again.list_instances() == [u]
    assert again.get_power_state(u) == PowerState.RUNNING

    # suspend frees the process; resume restores memory: the guest still answers ACPI
    again.suspend(u)
    assert again.get_power_state(u) == PowerState.SUSPENDED
    assert qemu_pids(u) == []
    again.resume(u)
    assert again.get_power_state(u) == PowerState.RUNNING
    assert again.get_console_output(u).count("onestack-guest: ready") == 1  # not rebooted
    again.power_off(u, timeout=20)
    assert "power button: powering off" in again.get_console_output(u)
    assert again.get_power_state(u) == PowerState.SHUTDOWN
    assert qemu_pids(u) == []
    again.destroy(u)
    assert qemu_pids(u) == []


def test_disk_image_boot_uses_overlay(driver: QemuDriver, g: GuestFiles, tmp_path: Path) -> None:
    # the guest's qcow2 is not bootable: this checks the disk plumbing, not the guest
    spec = spec_for(g, kernel_path=None, ramdisk_path=None, image_path=g.disk,
                    image_format="qcow2", root_gb=1)
    driver.spawn(spec)
    u = spec.uuid
    overlay = driver.instances_path / u / "disk.qcow2"
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(overlay)],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["backing-filename-format"] == "qcow2"
    assert Path(info["backing-filename"]).parent == driver.base_path
    assert info["virtual-size"] == 1024**3
    target = tmp_path / "snap.qcow2"
    assert driver.snapshot(u, target) == "qcow2"
    driver.destroy(u)
    assert qemu_pids(u) == []


def test_failed_spawn_leaves_nothing(driver: QemuDriver, g: GuestFiles, tmp_path: Path) -> None:
    spec = spec_for(g, kernel_path=tmp_path / "no-such-kernel")
    with pytest.raises(DriverError):
        driver.spawn(spec)
    assert driver.list_instances() == []
    bad = spec_for(g, memory_mb=1024**3)  # QEMU itself refuses
    with pytest.raises(DriverError, match="QEMU"):
        driver.spawn(bad)
    assert driver.list_instances() == []
    assert qemu_pids(bad.uuid) == []
    with pytest.raises(DriverError):
        driver.spawn(spec_for(g, kernel_path=None, ramdisk_path=None))
