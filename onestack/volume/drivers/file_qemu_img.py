"""``qemu-img`` for the ``file`` volume driver: run it, read ``info``, and read a
qcow2 header's backing file name without a subprocess (the driver asks that of
many files when it decides whether a snapshot still has children)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path
from typing import Any

from onestack.volume.drivers.base import VolumeDriverError

# Glance disk formats qemu-img reads, and the name qemu-img knows each by
INPUT_FORMATS = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi", "vhd": "vpc",
                 "vhdx": "vhdx", "iso": "raw", "ami": "raw"}
QCOW2_MAGIC = b"QFI\xfb"


def run(args: list[str], timeout: float = 3600.0) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise VolumeDriverError(f"{args[0]} {args[1]} timed out after {timeout:.0f}s") from e
    except OSError as e:
        raise VolumeDriverError(f"cannot run {args[0]}: {e.strerror}") from e
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise VolumeDriverError(f"{args[0]} {args[1]} failed: {err[-300:]}")
    return proc.stdout.decode(errors="replace")


def info(path: Path, fmt: str | None = None, force_share: bool = True) -> dict[str, Any]:
    """``qemu-img info --output=json`` (``-U``: also while a guest holds it)."""
    args = ["qemu-img", "info", "--output=json"] + (["-U"] if force_share else [])
    args += (["-f", fmt] if fmt else []) + [str(path)]
    out: dict[str, Any] = json.loads(run(args, timeout=60))
    return out


def checked_source_info(path: Path, disk_format: str) -> tuple[str, dict[str, Any]]:
    """(qemu-img format, info) of a tenant's image; refuses what would make
    qemu-img read other host files (a backing file, an external data file)."""
    fmt = INPUT_FORMATS.get(disk_format)
    if fmt is None:
        raise VolumeDriverError(f"Image disk format {disk_format} is not supported for volumes.")
    data = info(path, fmt=fmt, force_share=False)
    if data.get("backing-filename") or data.get("full-backing-filename"):
        raise VolumeDriverError("Images with a backing file cannot become volumes.")
    if data.get("format-specific", {}).get("data", {}).get("data-file"):
        raise VolumeDriverError("Images with an external data file cannot become volumes.")
    return fmt, data


def backing_name(path: Path) -> str | None:
    """The backing file name stored in a qcow2 header (None: no backing file,
    not a qcow2, or unreadable)."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
            if len(head) < 20 or head[:4] != QCOW2_MAGIC:
                return None
            offset, size = struct.unpack(">QI", head[8:20])
            if not offset or not size or size > 1023:
                return None
            f.seek(offset)
            return f.read(size).decode(errors="replace")
    except OSError:
        return None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
