"""Disks for the QEMU driver: ``qemu-img`` (overlays, blank disks, growing,
flattening snapshots), the per-host base-image cache, and the config drive
(ISO 9660 labelled ``config-2``, the layout cloud-init and Nova use)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import DriverError, InstanceSpec

GiB = 1024**3


def _run(args: list[str], timeout: float = 600.0) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise DriverError(f"{args[0]} timed out after {timeout:.0f}s") from e
    except OSError as e:
        raise DriverError(f"cannot run {args[0]}: {e}") from e
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise DriverError(f"{' '.join(args[:2])} failed: {err[-500:]}")
    return proc.stdout.decode(errors="replace")


# ---- qemu-img -----------------------------------------------------------------
def image_info(path: Path, force_share: bool = False, fmt: str | None = None) -> dict[str, Any]:
    """``qemu-img info --output=json``; ``force_share`` reads an image a running
    QEMU holds locked; ``fmt`` skips format probing."""
    args = ["qemu-img", "info", "--output=json"] + (["-U"] if force_share else [])
    args += (["-f", fmt] if fmt else []) + [str(path)]
    info: dict[str, Any] = json.loads(_run(args, timeout=60))
    return info


def checked_image_info(path: Path, fmt: str | None) -> dict[str, Any]:
    """``image_info`` of a tenant's image, refusing what would let a guest read
    host files: formats other than qcow2/raw, and images with a backing file
    (a qcow2 may name any host path as its backing file)."""
    if fmt is not None and fmt not in ("qcow2", "raw"):
        raise DriverError(f"image format {fmt!r} is not supported (qcow2, raw)")
    info = image_info(path, fmt=fmt)
    if info.get("format") not in ("qcow2", "raw"):
        raise DriverError(f"image format {info.get('format')!r} is not supported (qcow2, raw)")
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise DriverError("images with a backing file are not accepted")
    if info.get("format-specific", {}).get("data", {}).get("data-file"):
        raise DriverError("images with an external data file are not accepted")
    return info


def create_overlay(base: Path, base_format: str, target: Path, size_bytes: int | None) -> None:
    """A qcow2 that reads through to ``base`` and writes only its own blocks."""
    args = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base.resolve()), "-F", base_format,
            str(target)]
    if size_bytes:
        args.append(str(size_bytes))
    _run(args, timeout=60)


def create_blank(target: Path, size_bytes: int) -> None:
    _run(["qemu-img", "create", "-q", "-f", "qcow2", str(target), str(size_bytes)], timeout=60)


def grow(path: Path, size_bytes: int) -> None:
    _run(["qemu-img", "resize", "-q", str(path), str(size_bytes)], timeout=60)


def flatten(source: Path, target: Path, force_share: bool = False) -> None:
    """A standalone qcow2 (no backing file) with everything ``source`` reads as."""
    tmp = target.with_name(f".{target.name}.part")
    args = ["qemu-img", "convert", "-q", "-O", "qcow2"] + (["-U"] if force_share else [])
    try:
        _run(args + [str(source), str(tmp)])
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def cached_base(cache_dir: Path, image: Path) -> Path:
    """The image as this host's base cache holds it: overlays point at the
    cache, never at the image service's file (which may be deleted or replaced).
    Keyed by path, size and mtime; hard-linked when possible, else copied."""
    try:
        st = image.stat()
    except OSError as e:
        raise DriverError(f"image {image} is not readable: {e.strerror}") from e
    key = hashlib.sha256(f"{image.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / key[:32]
    if target.exists():
        return target
    tmp = cache_dir / f".{key[:32]}.{os.getpid()}.part"
    try:
        try:
            os.link(image, tmp)
        except OSError:
            shutil.copyfile(image, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# ---- config drive -------------------------------------------------------------
def default_config_drive_files(spec: InstanceSpec, availability_zone: str = "nova") -> dict[str, bytes]:
    """The files Nova's config drive carries, built from ``spec``."""
    keys = {spec.key_pair.name: spec.key_pair.public_key} if spec.key_pair else {}
    meta: dict[str, Any] = {
        "uuid": spec.uuid,
        "name": spec.name,
        "hostname": spec.hostname,
        "launch_index": 0,
        "availability_zone": availability_zone,
        "meta": dict(spec.metadata),
        "public_keys": keys,
        "project_id": None,
        "devices": [],
    }
    if spec.key_pair:
        meta["keys"] = [{"name": spec.key_pair.name, "type": spec.key_pair.type,
                         "data": spec.key_pair.public_key}]
    links, networks = [], []
    for i, nic in enumerate(spec.network_info):
        link_id = f"tap{nic.port_id[:11]}"
        links.append({"id": link_id, "vif_id": nic.port_id, "type": "ovs" if nic.kind == "tap" else "vif",
                      "mtu": nic.mtu, "ethernet_mac_address": nic.mac_address})
        networks.append({"id": f"network{i}", "link": link_id, "network_id": nic.network_id or "",
                         "type": "ipv4_dhcp"})
    network_data = {"links": links, "networks": networks, "services": []}
    files = {
        "openstack/latest/meta_data.json": json.dumps(meta).encode(),
        "openstack/latest/network_data.json": json.dumps(network_data).encode(),
        "openstack/latest/vendor_data.json": b"{}",
        "openstack/latest/vendor_data2.json": b"{}",
    }
    if spec.user_data is not None:
        files["openstack/latest/user_data"] = spec.user_data
    return files


def _iso_tool() -> list[str] | None:
    for tool, args in (("xorriso", ["-as", "mkisofs"]), ("genisoimage", []), ("mkisofs", [])):
        path = shutil.which(tool)
        if path:
            return [path, *args]
    return None


def make_config_drive(files: dict[str, bytes], target: Path) -> None:
    """Write an ISO 9660 (Joliet + Rock Ridge) image labelled ``config-2``."""
    tool = _iso_tool()
    if tool is None:
        raise DriverError("no ISO 9660 tool for the config drive (install xorriso or genisoimage)")
    with tempfile.TemporaryDirectory(prefix="configdrive-", dir=target.parent) as tmp:
        root = Path(tmp) / "root"
        for name, data in files.items():
            rel = Path(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise DriverError(f"bad config drive path {name!r}")
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        root.mkdir(exist_ok=True)
        _run([*tool, "-quiet", "-o", str(target), "-V", "config-2", "-J", "-R", "-l",
              "-allow-lowercase", "-allow-multidot", "-publisher", "onestack", str(root)], timeout=120)
