"""Network dataplane drivers, chosen by ``[network] driver``."""

from __future__ import annotations

from typing import Any

from onestack.network.drivers.base import NetworkDriver


def load(name: str, state_path: str, **kw: Any) -> NetworkDriver:
    if name == "noop":
        from onestack.network.drivers.noop import NoopDriver

        return NoopDriver(state_path, **kw)
    if name == "linux":
        from onestack.network.drivers.linux import LinuxDriver

        return LinuxDriver(state_path, **kw)
    raise ValueError(f"unknown network driver {name!r} (known: noop, linux)")
