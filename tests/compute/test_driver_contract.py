"""The driver contract (``onestack/compute/drivers/base.py``) as tests.

Every driver runs the same tests.  A driver joins by adding a factory to
``HARNESSES``: a function ``(tmp_path) -> Harness`` that returns the driver and
a function making a bootable ``InstanceSpec`` (a real driver points it at a
small image; it may ``pytest.skip`` when the host cannot run it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onestack.compute.drivers import base
from onestack.compute.drivers.base import (
    ComputeDriver,
    DriverError,
    InstanceNotFound,
    InstanceSpec,
    InvalidState,
    PowerState,
)


@dataclass
class Harness:
    driver: ComputeDriver
    make_spec: Callable[..., InstanceSpec]
    cleanup: Callable[[], None] = lambda: None


def _fake(tmp_path: Path) -> Harness:
    from onestack.compute.drivers.fake import FakeDriver

    def make_spec(**kw: Any) -> InstanceSpec:
        u = kw.pop("uuid", str(uuid.uuid4()))
        fields: dict[str, Any] = dict(uuid=u, name="vm-" + u[:8], hostname="vm-" + u[:8], vcpus=1,
                                      memory_mb=64, root_gb=1)
        fields.update(kw)
        return InstanceSpec(**fields)

    return Harness(FakeDriver(state_path=tmp_path, hostname="contract-host"), make_spec)


def _qemu(tmp_path: Path) -> Harness:
    try:
        from tests.compute_qemu import qemu_harness
    except ImportError:
        pytest.skip("no QEMU harness (tests/compute/qemu_harness.py) in this tree yet")
    harness: Harness = qemu_harness.make(tmp_path)
    return harness


HARNESSES: dict[str, Callable[[Path], Harness]] = {"fake": _fake, "qemu": _qemu}


@pytest.fixture(params=sorted(HARNESSES))
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = HARNESSES[request.param](tmp_path)
    yield harness
    for u in harness.driver.list_instances():
        harness.driver.destroy(u)
    harness.cleanup()


@pytest.fixture
def running(h: Harness) -> str:
    spec = h.make_spec()
    h.driver.spawn(spec)
    return spec.uuid


def test_spawn_runs_and_is_listed(h: Harness) -> None:
    spec = h.make_spec(metadata={"k": "v"}, user_data=b"#!/bin/sh\n",
                       config_drive_files={"openstack/latest/meta_data.json": b"{}"})
    h.driver.spawn(spec)
    assert spec.uuid in h.driver.list_instances()
    assert h.driver.get_power_state(spec.uuid) == PowerState.RUNNING


def test_spawn_twice_fails(h: Harness, running: str) -> None:
    with pytest.raises(DriverError):
        h.driver.spawn(h.make_spec(uuid=running))


def test_destroy_is_idempotent(h: Harness, running: str) -> None:
    h.driver.destroy(running)
    assert running not in h.driver.list_instances()
    h.driver.destroy(running)
    h.driver.destroy(str(uuid.uuid4()))


def test_unknown_uuid(h: Harness) -> None:
    u = str(uuid.uuid4())
    for call in (lambda: h.driver.get_power_state(u), lambda: h.driver.power_on(u),
                 lambda: h.driver.reboot(u, True), lambda: h.driver.get_console_output(u)):
        with pytest.raises(InstanceNotFound):
            call()


def test_power_cycle(h: Harness, running: str) -> None:
    d = h.driver
    d.power_off(running)
    assert d.get_power_state(running) == PowerState.SHUTDOWN
    d.power_off(running)  # no-op
    d.power_on(running)
    assert d.get_power_state(running) == PowerState.RUNNING
    d.power_on(running)  # no-op
    assert d.get_power_state(running) == PowerState.RUNNING


def test_reboot(h: Harness, running: str) -> None:
    d = h.driver
    d.reboot(running, hard=False)
    assert d.get_power_state(running) == PowerState.RUNNING
    d.power_off(running)
    with pytest.raises(InvalidState):
        d.reboot(running, hard=False)
    d.reboot(running, hard=True)
    assert d.get_power_state(running) == PowerState.RUNNING


def test_pause_unpause(h: Harness, running: str) -> None:
    d = h.driver
    with pytest.raises(InvalidState):
        d.unpause(running)
    d.pause(running)
    assert d.get_power_state(running) == PowerState.PAUSED
    d.unpause(running)
    assert d.get_power_state(running) == PowerState.RUNNING


def test_suspend_resume(h: Harness, running: str) -> None:
    d = h.driver
    with pytest.raises(InvalidState):
        d.resume(running)
    d.suspend(running)
    assert d.get_power_state(running) == PowerState.SUSPENDED
    d.resume(running)
    assert d.get_power_state(running) == PowerState.RUNNING


def test_rescue_unrescue(h: Harness, running: str) -> None:
    d = h.driver
    with pytest.raises(InvalidState):
        d.unrescue(running)
    d.rescue(running, None)
    assert d.get_power_state(running) == PowerState.RUNNING
    d.unrescue(running)
    assert d.get_power_state(running) == PowerState.RUNNING


def test_resize(h: Harness, running: str) -> None:
    d = h.driver
    d.power_off(running)
    d.resize(running, 2, 128, 2)
    assert d.get_power_state(running) == PowerState.SHUTDOWN
    d.power_on(running)
    assert d.get_power_state(running) == PowerState.RUNNING
    with pytest.raises(DriverError):
        d.resize(running, 1, 64, 1)  # the disk never shrinks


def test_console_output(h: Harness, running: str) -> None:
    out = h.driver.get_console_output(running)
    assert isinstance(out, str)
    tail = h.driver.get_console_output(running, length=1)
    assert len(tail.splitlines()) <= 1


def test_snapshot(h: Harness, running: str, tmp_path: Path) -> None:
    target = tmp_path / "snap.img"
    fmt = h.driver.snapshot(running, target)
    assert fmt in ("raw", "qcow2")
    assert target.stat().st_size > 0
    assert h.driver.get_power_state(running) == PowerState.RUNNING


def test_host_info(h: Harness) -> None:
    info = h.driver.get_info()
    assert info.vcpus > 0 and info.memory_mb > 0 and info.disk_gb > 0
    assert info.hostname
    assert isinstance(h.driver.hypervisor_type, str)


def test_contract_exports() -> None:
    # the names other modules import from base
    for name in ("ComputeDriver", "InstanceSpec", "NetworkInterface", "KeyPair", "HostInfo",
                 "PowerState", "DriverError", "InstanceNotFound", "InvalidState"):
        assert hasattr(base, name)
