"""The QEMU driver's pieces that need no guest: command lines, config drive,
QMP socket paths, image checks, pid checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from onestack.compute.drivers import qemu_disk, qemu_process
from onestack.compute.drivers.base import DriverError, InstanceSpec, KeyPair, NetworkInterface
from onestack.compute.drivers.qemu import QemuDriver
from tests.compute_qemu.guest import require_host


def _spec(**kw: object) -> InstanceSpec:
    fields: dict[str, object] = dict(uuid="0b5f3b7e-8d0c-4f57-9a43-3c1f0b6b2a10", name="web 1",
                                     hostname="web-1", vcpus=2, memory_mb=256, root_gb=1)
    fields.update(kw)
    return InstanceSpec(**fields)  # type: ignore[arg-type]


def _inst(**kw: object) -> dict[str, object]:
    inst: dict[str, object] = {"uuid": "0b5f3b7e-8d0c-4f57-9a43-3c1f0b6b2a10", "name": "web 1",
                               "vcpus": 2, "memory_mb": 256, "kernel": None, "ramdisk": None,
                               "cmdline": None, "config_drive": True, "rescue": None, "nics": []}
    inst.update(kw)
    return inst


def test_kernel_boot_command_line(tmp_path: Path) -> None:
    d = QemuDriver(state_path=tmp_path, accel="tcg")
    args = d._args(tmp_path / "i,1", _inst(kernel="/k", ramdisk="/r", cmdline="quiet"), None)
    line = " ".join(args)
    assert args[args.index("-append") + 1] == "console=ttyS0 quiet"
    assert args[args.index("-initrd") + 1] == "/r"
    assert "bootindex" not in line  # the kernel's option ROM boots first
    assert "accel=tcg" in line and "-daemonize" in args and "-sandbox" in args
    assert f"path={tmp_path}/i,,1/console.log" in line  # commas doubled in option values
    assert args[args.index("-uuid") + 1] == "0b5f3b7e-8d0c-4f57-9a43-3c1f0b6b2a10"
    assert args[args.index("-smp") + 1] == "2" and args[args.index("-m") + 1] == "256"


def test_disk_boot_rescue_and_nics(tmp_path: Path) -> None:
    d = QemuDriver(state_path=tmp_path, accel="tcg", sandbox=False)
    nics = [{"mac_address": "fa:16:3e:00:00:01", "kind": "user"},
            {"mac_address": "fa:16:3e:00:00:02", "kind": "tap", "device": "tap0"}]
    args = d._args(tmp_path, _inst(rescue={"image": None}, nics=nics), "exec:cat x")
    drives = [a for a in args if a.startswith("file=")]
    assert drives[0].startswith(f"file={tmp_path}/rescue.qcow2")  # rescue disk first
    assert drives[1].startswith(f"file={tmp_path}/disk.qcow2")
    assert "virtio-blk-pci,drive=disk0,bootindex=0" in args
    assert "user,id=net0" in args
    assert "tap,id=net1,ifname=tap0,script=no,downscript=no" in args
    assert "virtio-net-pci,netdev=net1,mac=fa:16:3e:00:00:02" in args
    assert args[-2:] == ["-incoming", "exec:cat x"]
    assert "-sandbox" not in args
    evil = [{"mac_address": "fa:16:3e:00:00:01", "kind": "tap", "device": "t0,script=/x"}]
    with pytest.raises(DriverError, match="bad NIC"):
        d._args(tmp_path, _inst(nics=evil), None)


def test_accel_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONESTACK_QEMU_ACCEL", "tcg")
    assert QemuDriver(state_path=tmp_path, accel="kvm").accel == "tcg"
    monkeypatch.setenv("ONESTACK_QEMU_ACCEL", "xen")
    with pytest.raises(ValueError):
        QemuDriver(state_path=tmp_path)


def test_qmp_socket_path_fits_sun_path(tmp_path: Path) -> None:
    short = Path("/tmp/x")
    assert qemu_process.socket_path(short) == short / "qmp.sock"
    deep = tmp_path / ("d" * 80) / "instances" / "0b5f3b7e-8d0c-4f57-9a43-3c1f0b6b2a10"
    sock = qemu_process.socket_path(deep)
    assert len(os.fsencode(sock)) < 108
    assert sock == qemu_process.socket_path(deep)  # stable across restarts


def test_pid_alive_needs_the_marker() -> None:
    me = Path("/proc/self/cmdline").read_bytes().split(b"\0")[0].decode()
    assert qemu_process.pid_alive(os.getpid(), me)
    assert not qemu_process.pid_alive(os.getpid(), "no-such-marker-0b5f3b7e")
    assert not qemu_process.pid_alive(None, me)


def test_qmp_error_is_a_driver_error(tmp_path: Path) -> None:
    pytest.importorskip("qemu.qmp")
    with pytest.raises(DriverError, match="query-status"):
        qemu_process.qmp(tmp_path / "absent.sock", "query-status", timeout=1)


def test_default_config_drive_files() -> None:
    nic = NetworkInterface(port_id="p1", mac_address="fa:16:3e:00:00:01", network_id="n1")
    spec = _spec(user_data=b"#cloud-config\n", metadata={"k": "v"}, network_info=[nic],
                 key_pair=KeyPair(name="mykey", public_key="ssh-ed25519 AAAA me"))
    files = qemu_disk.default_config_drive_files(spec, "az1")
    meta = json.loads(files["openstack/latest/meta_data.json"])
    assert meta["uuid"] == spec.uuid and meta["hostname"] == "web-1" and meta["name"] == "web 1"
    assert meta["availability_zone"] == "az1" and meta["meta"] == {"k": "v"}
    assert meta["public_keys"] == {"mykey": "ssh-ed25519 AAAA me"}
    assert files["openstack/latest/user_data"] == b"#cloud-config\n"
    net = json.loads(files["openstack/latest/network_data.json"])
    assert net["links"][0]["ethernet_mac_address"] == "fa:16:3e:00:00:01"
    assert "openstack/latest/user_data" not in qemu_disk.default_config_drive_files(_spec())


def test_config_drive_iso(tmp_path: Path) -> None:
    if not shutil.which("xorriso"):
        require_host()
        pytest.skip("xorriso missing")
    iso = tmp_path / "config.iso"
    qemu_disk.make_config_drive({"openstack/latest/user_data": b"hi\n",
                                 "openstack/latest/meta_data.json": b"{}"}, iso)
    with iso.open("rb") as f:
        f.seek(32808)
        assert f.read(32).rstrip() == b"config-2"
    out = tmp_path / "out"
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", "/", str(out)],
                   check=True, capture_output=True)
    assert (out / "openstack/latest/user_data").read_bytes() == b"hi\n"
    with pytest.raises(DriverError, match="bad config drive path"):
        qemu_disk.make_config_drive({"../escape": b""}, tmp_path / "bad.iso")


def test_images_with_backing_files_are_refused(tmp_path: Path) -> None:
    if not shutil.which("qemu-img"):
        require_host()
        pytest.skip("qemu-img missing")
    secret = tmp_path / "host-file"
    secret.write_bytes(b"\0" * 4096)
    evil = tmp_path / "evil.qcow2"
    qemu_disk.create_overlay(secret, "raw", evil, None)
    with pytest.raises(DriverError, match="backing file"):
        qemu_disk.checked_image_info(evil, None)
    with pytest.raises(DriverError, match="not supported"):
        qemu_disk.checked_image_info(secret, "vmdk")
    assert qemu_disk.checked_image_info(secret, "raw")["format"] == "raw"


def test_base_cache_links_or_copies(tmp_path: Path) -> None:
    image = tmp_path / "img"
    image.write_bytes(b"x" * 100)
    first = qemu_disk.cached_base(tmp_path / "_base", image)
    assert first.read_bytes() == b"x" * 100
    assert qemu_disk.cached_base(tmp_path / "_base", image) == first
    with pytest.raises(DriverError):
        qemu_disk.cached_base(tmp_path / "_base", tmp_path / "absent")
