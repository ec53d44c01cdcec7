"""Volumes on QEMU guests: the command line of attached volumes and QMP
hot-plug, hot-unplug and resize (virtio-blk).

A volume is recorded in the instance's ``instance.json`` under ``volumes`` as::

    {"volume_id", "path", "format", "serial", "slot", "boot_index"}

and becomes two block nodes and one device: ``-blockdev`` (a ``file`` node
under a ``qcow2``/``raw`` node named ``vol-<id, cut>``) and ``-device
virtio-blk-pci,drive=vol-<id>,id=dev-<volume id>,serial=<volume id[:20]>,addr=<slot>``.
Each volume keeps a fixed PCI slot (0x10-0x1e) so that a guest restarted from
its disks, or resumed from saved memory (``-incoming``), finds its devices
where they were.  The root volume of a server booted from a volume is not in
``volumes``; it replaces the root disk (``root_volume``).

Hot-plug: ``blockdev-add`` then ``device_add`` (the node is removed again if
the device cannot be added); the driver records the volume in ``instance.json``
*before* plugging it and forgets it only *after* unplugging it, so the record
is always a superset of what QEMU has, and ``plugged`` (QMP) tells exactly.  Hot-unplug: ``device_del``, then wait for the
``DEVICE_DELETED`` event (the guest must let go: ACPI PCI hot-plug), then
``blockdev-del``.  A guest that never lets go gets a ``DriverError`` after
``timeout`` seconds and keeps the volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

from onestack.compute.drivers import qemu_process as proc
from onestack.compute.drivers.base import BlockDevice, DriverError

SLOTS = range(0x10, 0x1F)
FORMATS = ("qcow2", "raw")


def node_name(volume_id: str) -> str:
    """A QMP node name (letters first, at most 31 characters)."""
    return "vol-" + re.sub(r"[^A-Za-z0-9]", "", volume_id)[:24]


def device_id(volume_id: str) -> str:
    """The device's id: the whole volume id, so that what a running QEMU has can
    be read back (``plugged``)."""
    return "dev-" + volume_id


def entry(device: BlockDevice, used_slots: set[int]) -> dict[str, Any]:
    """The ``instance.json`` record of a volume (a free PCI slot picked)."""
    info = device.connection_info or {}
    data = info.get("data") or {}
    if info.get("driver_volume_type") != "file" or not data.get("path"):
        raise DriverError(f"the QEMU driver cannot attach {info.get('driver_volume_type')!r} volumes")
    fmt = data.get("format") or "raw"
    if fmt not in FORMATS:
        raise DriverError(f"volume format {fmt!r} is not supported")
    if not Path(data["path"]).is_absolute() or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", device.volume_id):
        raise DriverError("bad volume connection info")
    slot = next((s for s in SLOTS if s not in used_slots), None)
    if slot is None:
        raise DriverError(f"no free PCI slot for another volume (at most {len(SLOTS)})")
    return {"volume_id": device.volume_id, "path": data["path"], "format": fmt, "serial": device.serial,
            "slot": slot, "boot_index": device.boot_index,
            "read_only": data.get("access_mode") == "ro"}


def _blockdev(vol: dict[str, Any]) -> dict[str, Any]:
    return {"driver": vol["format"], "node-name": node_name(vol["volume_id"]),
            "read-only": bool(vol.get("read_only")), "discard": "unmap",
            "file": {"driver": "file", "filename": vol["path"]}}


def _device(vol: dict[str, Any], bootindex: int | None = None) -> dict[str, Any]:
    dev: dict[str, Any] = {"driver": "virtio-blk-pci", "drive": node_name(vol["volume_id"]),
                           "id": device_id(vol["volume_id"]), "serial": vol["serial"],
                           "addr": hex(vol["slot"])}
    if bootindex is not None:
        dev["bootindex"] = bootindex
    return dev


def cmdline_args(inst: dict[str, Any]) -> list[str]:
    """``-blockdev``/``-device`` for every attached (non-root) volume (JSON
    syntax: a path needs no escaping)."""
    args: list[str] = []
    for vol in inst.get("volumes") or []:
        args += ["-blockdev", json.dumps(_blockdev(vol)), "-device", json.dumps(_device(vol))]
    return args


def root_serial(inst: dict[str, Any]) -> str:
    root = inst.get("root_volume")
    return f",serial={root['serial']}" if root else ""


# ---- QMP ----------------------------------------------------------------------------
def plug(sock: Path, vol: dict[str, Any]) -> None:
    proc.qmp(sock, "blockdev-add", **_blockdev(vol))
    try:
        proc.qmp(sock, "device_add", **_device(vol))
    except proc.QmpError:
        with contextlib.suppress(proc.QmpError):
            proc.qmp(sock, "blockdev-del", **{"node-name": node_name(vol["volume_id"])})
        raise


def plugged(sock: Path) -> set[str]:
    """Ids of the volumes whose device the running QEMU has."""
    devices = proc.qmp(sock, "qom-list", path="/machine/peripheral")
    return {str(d["name"])[4:] for d in devices if str(d.get("name", "")).startswith("dev-")}


def present(sock: Path, vol: dict[str, Any]) -> tuple[bool, bool]:
    """(device exists, block node exists) in the running QEMU."""
    dev = device_id(vol["volume_id"])
    node = node_name(vol["volume_id"])
    devices = proc.qmp(sock, "qom-list", path="/machine/peripheral")
    nodes = proc.qmp(sock, "query-named-block-nodes", flat=True)
    return (any(d.get("name") == dev for d in devices), any(n.get("node-name") == node for n in nodes))


async def _unplug(sock: Path, vol: dict[str, Any], timeout: float) -> None:
    from qemu.qmp import EventListener, QMPClient

    dev = device_id(vol["volume_id"])
    client = QMPClient("onestack-unplug")
    await asyncio.wait_for(client.connect(str(sock)), 10)
    try:
        listener = EventListener("DEVICE_DELETED", lambda ev: ev.get("data", {}).get("device") == dev)
        with client.listen(listener):
            await asyncio.wait_for(client.execute("device_del", {"id": dev}), 10)
            try:
                await asyncio.wait_for(listener.get(), timeout)
            except TimeoutError:
                raise DriverError(f"the guest did not release volume {vol['volume_id']} within "
                                  f"{timeout:.0f}s") from None
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()


def unplug(sock: Path, vol: dict[str, Any], timeout: float = 60.0) -> None:
    """Remove the device (waiting for the guest) and then its block node;
    parts already gone (an earlier, interrupted detach) are skipped."""
    has_dev, has_node = present(sock, vol)
    if has_dev:
        try:
            asyncio.run(_unplug(sock, vol, timeout)) if not _in_loop() else _run_in_thread(sock, vol, timeout)
        except DriverError:
            raise
        except Exception as e:  # QMP errors, a QEMU that went away
            has_dev, _ = present(sock, vol)
            if has_dev:
                raise DriverError(f"detaching volume {vol['volume_id']} failed: {e}") from e
    if has_node or has_dev:
        try:
            proc.qmp(sock, "blockdev-del", **{"node-name": node_name(vol["volume_id"])})
        except proc.QmpError:
            if present(sock, vol)[1]:
                raise


def resize(sock: Path, vol: dict[str, Any], size_bytes: int) -> None:
    proc.qmp(sock, "block_resize", **{"node-name": node_name(vol["volume_id"]), "size": size_bytes}, timeout=60)


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(sock: Path, vol: dict[str, Any], timeout: float) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _unplug(sock, vol, timeout)).result()
