"""Volume drivers, chosen by name in config (``[volume] driver``).

Every driver class is constructed as ``Driver(state_path=Path, **options)``;
see ``base.py`` for the contract."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from onestack.volume.drivers.base import VolumeDriver

DRIVERS = {
    "fake": "onestack.volume.drivers.fake:FakeDriver",
    "file": "onestack.volume.drivers.file:FileDriver",
}


def load(name: str, state_path: Path, **options: Any) -> VolumeDriver:
    try:
        module, _, cls = DRIVERS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown volume driver {name!r}; known: {sorted(DRIVERS)}") from None
    driver_cls = getattr(importlib.import_module(module), cls)
    driver: VolumeDriver = driver_cls(state_path=Path(state_path), **options)
    return driver
