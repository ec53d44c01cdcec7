"""Compute drivers, chosen by name in config (``[compute] driver``).

Every driver class is constructed as ``Driver(state_path=Path, hostname=str,
**options)``: ``state_path`` is the driver's own working directory (disks,
sockets, logs; made if missing), ``hostname`` is the host name it reports.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import ComputeDriver

DRIVERS = {
    "fake": "onestack.compute.drivers.fake:FakeDriver",
    "qemu": "onestack.compute.drivers.qemu:QemuDriver",
}


def load(name: str, state_path: Path, hostname: str, **options: Any) -> ComputeDriver:
    try:
        module, _, cls = DRIVERS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown compute driver {name!r}; known: {sorted(DRIVERS)}") from None
    driver_cls = getattr(importlib.import_module(module), cls)
    driver: ComputeDriver = driver_cls(state_path=state_path, hostname=hostname, **options)
    return driver
