"""The QEMU driver's factory for the driver contract suite
(``tests/compute/test_driver_contract.py``): direct kernel boot of the test
guest, 128 MiB, short ACPI timeouts (the guest may not have booted yet)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import InstanceSpec
from tests.compute_qemu.guest import test_guest


def make(tmp_path: Path) -> Any:
    from onestack.compute.drivers.qemu import QemuDriver
    from tests.compute.test_driver_contract import Harness

    g = test_guest()
    driver = QemuDriver(state_path=tmp_path / "qemu", hostname="contract-host", shutdown_timeout=3)

    def make_spec(**kw: Any) -> InstanceSpec:
        u = kw.pop("uuid", str(uuid.uuid4()))
        fields: dict[str, Any] = dict(uuid=u, name="vm-" + u[:8], hostname="vm-" + u[:8], vcpus=1,
                                      memory_mb=128, root_gb=1, kernel_path=g.kernel,
                                      ramdisk_path=g.initramfs, kernel_cmdline="quiet")
        fields.update(kw)
        return InstanceSpec(**fields)

    return Harness(driver, make_spec)
