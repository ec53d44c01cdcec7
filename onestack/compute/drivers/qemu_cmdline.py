"""The ``qemu-system-x86_64`` command line of one instance (see ``qemu.py``
for the instance directory it points into)."""

from __future__ import annotations

import re
import uuid as uuidlib
from pathlib import Path
from typing import Any

from onestack.compute.drivers import qemu_process as proc
from onestack.compute.drivers import qemu_volumes
from onestack.compute.drivers.base import DriverError

_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
_IFNAME = re.compile(r"[A-Za-z0-9_.-]{1,15}")  # Linux IFNAMSIZ; no "," or "=" into -netdev


def check_nic(mac: str, device: str | None) -> None:
    """A MAC and tap name safe to put into QEMU options."""
    if not _MAC.fullmatch(mac) or not _IFNAME.fullmatch(device or "x"):
        raise DriverError(f"bad NIC {mac!r} / {device!r}")


def _esc(path: Path) -> str:
    """A path inside a QEMU ``key=value,...`` option (commas are doubled)."""
    return str(path).replace(",", ",,")


def build(binary: str, accel: str, machine: str, sandbox: bool, d: Path, inst: dict[str, Any],
          incoming: str | None) -> list[str]:
    """Arguments for a daemonized QEMU running instance ``inst`` from directory ``d``;
    ``incoming``: a ``-incoming`` URI to restore saved memory from."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", inst["name"] or inst["uuid"])[:64]
    args = [binary, "-name", f"guest={name}", "-machine", f"{machine},accel={accel}",
            "-smp", str(inst["vcpus"]), "-m", str(inst["memory_mb"]),
            "-nodefaults", "-no-user-config", "-display", "none", "-rtc", "base=utc",
            "-chardev", f"file,id=serial0,path={_esc(d / 'console.log')},append=on",
            "-serial", "chardev:serial0",
            "-qmp", f"unix:{_esc(proc.socket_path(d))},server=on,wait=off",
            "-pidfile", str(d / "qemu.pid"), "-daemonize"]
    if accel == "kvm":
        args += ["-cpu", "host"]
    if sandbox:
        # not elevateprivileges=deny: it forbids setsid(), which -daemonize needs
        args += ["-sandbox", "on,obsolete=deny,resourcecontrol=deny"]
    try:
        args += ["-uuid", str(uuidlib.UUID(inst["uuid"]))]
    except ValueError:
        pass
    # a server booted from a volume has the volume's file as its root disk
    root_vol = inst.get("root_volume")
    root = Path(root_vol["path"]) if root_vol else d / "disk.qcow2"
    disks = [root]
    if inst.get("rescue"):
        disks.insert(0, d / "rescue.qcow2")
    for i, path in enumerate(disks):
        # direct kernel boot owns bootindex 0 (the linuxboot option ROM)
        boot = "" if inst.get("kernel") else f",bootindex={i}"
        fmt = root_vol["format"] if root_vol and path == root else "qcow2"
        serial = qemu_volumes.root_serial(inst) if path == root else ""
        args += ["-drive", f"file={_esc(path)},format={fmt},if=none,id=disk{i},discard=unmap",
                 "-device", f"virtio-blk-pci,drive=disk{i}{boot}{serial}"]
    args += qemu_volumes.cmdline_args(inst)
    if inst.get("config_drive"):
        args += ["-drive", f"file={_esc(d / 'config.iso')},format=raw,if=none,id=config,readonly=on",
                 "-device", "virtio-blk-pci,drive=config"]
    if inst.get("kernel"):
        cmdline = inst.get("cmdline") or ""
        if "console=" not in cmdline:
            cmdline = f"console=ttyS0 {cmdline}".strip()
        args += ["-kernel", inst["kernel"], "-append", cmdline]
        if inst.get("ramdisk"):
            args += ["-initrd", inst["ramdisk"]]
    for i, nic in enumerate(inst.get("nics", [])):
        check_nic(nic["mac_address"], nic.get("device"))
        if nic.get("kind") == "tap" and nic.get("device"):
            netdev = f"tap,id=net{i},ifname={nic['device']},script=no,downscript=no"
        else:
            netdev = f"user,id=net{i}"
        args += ["-netdev", netdev,
                 "-device", f"virtio-net-pci,netdev=net{i},mac={nic['mac_address']}"]
    if incoming:
        args += ["-incoming", incoming]
    return args
