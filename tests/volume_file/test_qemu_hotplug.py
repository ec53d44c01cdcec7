"""The file volume driver with the QEMU compute driver, without the API: a
1 GiB volume hot-plugged (QMP) into a running test guest, which sees a disk of
that size with the volume's serial and writes a marker; unplugged (the guest
lets go, QEMU drops the block node); plugged into a second guest, which reads
the marker back; a snapshot and a volume from it still hold it.  Also: a
volume attached to a stopped guest is there when it starts, and the root disk
can be a volume.  Needs root and QEMU (skipped with the reason otherwise,
unless CI=true)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestack.compute.drivers import qemu_process as proc
from onestack.compute.drivers import qemu_volumes
from onestack.compute.drivers.base import BlockDevice, InstanceSpec
from onestack.compute.drivers.qemu import QemuDriver
from onestack.volume.drivers.file import FileDriver
from tests.compute_qemu.guest import GuestFiles, test_guest
from tests.volume_file import guest_scripts

BOOT_TIMEOUT = 240.0
GIB_SECTORS = 1024**3 // 512


@pytest.fixture(scope="module")
def g() -> GuestFiles:
    return test_guest()


@pytest.fixture
def qemu(tmp_path: Path, g: GuestFiles) -> Iterator[QemuDriver]:
    d = QemuDriver(state_path=tmp_path / "compute", hostname="vol-host", shutdown_timeout=10)
    yield d
    for u in d.list_instances():
        d.destroy(u)


@pytest.fixture
def vols(tmp_path: Path) -> FileDriver:
    return FileDriver(tmp_path / "volumes")


def spec(g: GuestFiles, user_data: bytes, **kw: Any) -> InstanceSpec:
    u = str(uuid.uuid4())
    fields: dict[str, Any] = dict(uuid=u, name="vol", hostname="vol-" + u[:8], vcpus=1, memory_mb=160,
                                  root_gb=1, kernel_path=g.kernel, ramdisk_path=g.initramfs,
                                  kernel_cmdline="quiet", user_data=user_data)
    fields.update(kw)
    return InstanceSpec(**fields)


def wait_console(d: QemuDriver, u: str, text: str, timeout: float = BOOT_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    while True:
        out = d.get_console_output(u)
        if text in out:
            return out
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} not on the console of {u} after {timeout:.0f}s:\n" + d.get_console_output(u, 30))
        time.sleep(0.2)


def device(vols: FileDriver, vid: str, boot_index: int | None = None) -> BlockDevice:
    return BlockDevice(vid, vols.initialize_connection(vid, {"host": "vol-host"}), boot_index)


def test_hotplug_marker_moves_between_guests(qemu: QemuDriver, vols: FileDriver, g: GuestFiles) -> None:
    vid = str(uuid.uuid4())
    vols.create_volume(vid, 1)
    marker = "MARKER-" + uuid.uuid4().hex[:8]
    a = spec(g, guest_scripts.write_marker(vid[:20], marker))
    b = spec(g, guest_scripts.read_marker(vid[:20]))
    qemu.spawn(a)
    qemu.spawn(b)
    wait_console(qemu, a.uuid, "onestack-guest: ready")

    t0 = time.monotonic()
    qemu.attach_volume(a.uuid, device(vols, vid))
    out = wait_console(qemu, a.uuid, f"onestack-guest: sh: WROTE {marker}")
    print(f"\n[volume hotplug] guest A saw and wrote the volume {time.monotonic() - t0:.1f}s after attach")
    # the config drive is vdb: the volume is the next disk, 1 GiB, with the volume's serial
    assert re.search(rf"onestack-guest: sh: DISK /dev/vd[c-z] 2097152 sectors serial={vid[:20]}\n", out)
    assert qemu.attached_volumes(a.uuid) == [vid]
    with pytest.raises(Exception, match="already attached"):
        qemu.attach_volume(a.uuid, device(vols, vid))

    t0 = time.monotonic()
    qemu.detach_volume(a.uuid, vid)
    print(f"[volume hotplug] detach (guest released it) {time.monotonic() - t0:.1f}s")
    sock = proc.socket_path(qemu.instances_path / a.uuid)
    vol = {"volume_id": vid}
    assert qemu_volumes.present(sock, vol) == (False, False)  # no device, no block node
    assert qemu.attached_volumes(a.uuid) == []
    qemu.detach_volume(a.uuid, vid)  # idempotent

    wait_console(qemu, b.uuid, "onestack-guest: ready")
    qemu.attach_volume(b.uuid, device(vols, vid))
    wait_console(qemu, b.uuid, f"onestack-guest: sh: READ {marker}")
    qemu.detach_volume(b.uuid, vid)

    # snapshot and a volume from it: the marker is there (read on the host)
    snap, child = str(uuid.uuid4()), str(uuid.uuid4())
    vols.create_snapshot(snap, vid)
    vols.create_from_snapshot(child, snap, 1)
    first = next(iter(vols.read_chunks(child, 1024 * 1024)))[1]
    assert first is not None and first.startswith(marker.encode())


def test_online_extend_reaches_the_guest(qemu: QemuDriver, vols: FileDriver, g: GuestFiles) -> None:
    vid = str(uuid.uuid4())
    vols.create_volume(vid, 1)
    s = spec(g, guest_scripts.watch_size(vid[:20]))
    qemu.spawn(s)
    wait_console(qemu, s.uuid, "onestack-guest: ready")
    qemu.attach_volume(s.uuid, device(vols, vid))
    wait_console(qemu, s.uuid, f"{GIB_SECTORS} sectors serial={vid[:20]}")
    qemu.extend_volume(s.uuid, vid, 3 * 1024**3)  # QMP block_resize: the guest gets a capacity change
    wait_console(qemu, s.uuid, f"onestack-guest: sh: SIZE {3 * GIB_SECTORS} sectors", timeout=60)
    assert vols.size_of(vid) == 3
    qemu.detach_volume(s.uuid, vid)


def test_cold_attach_and_root_volume(qemu: QemuDriver, vols: FileDriver, g: GuestFiles, tmp_path: Path) -> None:
    data, root = str(uuid.uuid4()), str(uuid.uuid4())
    vols.create_volume(data, 1)
    vols.create_volume(root, 2)
    # boots from the volume (kernel + initramfs as the image's kernel_id/ramdisk_id), a data volume beside it
    s = spec(g, guest_scripts.root_disk_report(), block_devices=[device(vols, root, 0), device(vols, data)])
    qemu.spawn(s)
    out = wait_console(qemu, s.uuid, "onestack-guest: sh: ROOT")
    assert f"onestack-guest: sh: ROOT 4194304 sectors serial={root[:20]}" in out
    assert re.search(r"onestack-guest: disk: /dev/vd[b-z] 2097152 sectors", out)
    assert not (qemu.instances_path / s.uuid / "disk.qcow2").exists()
    assert sorted(qemu.attached_volumes(s.uuid)) == sorted([root, data])
    # an image of a volume-backed server is its root volume's disk; a new flavor leaves the volume alone
    assert qemu.snapshot(s.uuid, tmp_path / "snap.qcow2") == "qcow2"
    assert (tmp_path / "snap.qcow2").read_bytes()[:4] == b"QFI\xfb"
    qemu.resize(s.uuid, 1, 192, 20)
    assert vols.size_of(root) == 2
    qemu.extend_volume(s.uuid, root, 3 * 1024**3)  # the root volume grows in the running guest too
    assert vols.size_of(root) == 3
    wait_console(qemu, s.uuid, "onestack-guest: sh: ROOT")
    # stopped: detach and attach only change what the next start plugs in
    qemu.power_off(s.uuid, 0)
    qemu.detach_volume(s.uuid, data)
    other = str(uuid.uuid4())
    vols.create_volume(other, 3)
    qemu.attach_volume(s.uuid, device(vols, other))
    qemu.power_on(s.uuid)
    deadline = time.monotonic() + BOOT_TIMEOUT
    while not re.search(r"onestack-guest: disk: /dev/vd[b-z] 6291456 sectors", qemu.get_console_output(s.uuid)):
        assert time.monotonic() < deadline, qemu.get_console_output(s.uuid, 30)
        time.sleep(0.2)
    # an attached volume grows in the running guest (QMP block_resize)
    qemu.extend_volume(s.uuid, other, 4 * 1024**3)
    assert vols.size_of(other) == 4
    qemu.destroy(s.uuid)
    assert vols.volume_exists(root) and vols.volume_exists(other)  # the server's end is not the volumes'


def test_crash_states_between_record_and_plug(qemu: QemuDriver, vols: FileDriver, g: GuestFiles) -> None:
    """What a kill -9 can leave between the driver's record (instance.json) and
    QEMU: ``attached_volumes`` answers from QEMU for a running guest, and
    ``detach_volume`` cleans up either half (the restart's reconciliation
    relies on both)."""
    import json

    recorded, plugged = str(uuid.uuid4()), str(uuid.uuid4())
    for v in (recorded, plugged):
        vols.create_volume(v, 1)
    s = spec(g, b"#!/bin/sh\necho idle\n")
    qemu.spawn(s)
    wait_console(qemu, s.uuid, "onestack-guest: ready")
    d = qemu.instances_path / s.uuid
    sock = proc.socket_path(d)
    # killed after recording, before plugging
    inst = json.loads((d / "instance.json").read_text())
    inst["volumes"] = [qemu_volumes.entry(device(vols, recorded), set())]
    (d / "instance.json").write_text(json.dumps(inst))
    # killed after plugging, before recording (the old order; or a record lost)
    qemu_volumes.plug(sock, qemu_volumes.entry(device(vols, plugged), {0x10}))
    assert qemu.attached_volumes(s.uuid) == [plugged]  # QEMU's truth, not the record's
    qemu.detach_volume(s.uuid, recorded)
    qemu.detach_volume(s.uuid, plugged)
    assert qemu.attached_volumes(s.uuid) == []
    assert qemu_volumes.plugged(sock) == set()
    assert json.loads((d / "instance.json").read_text())["volumes"] == []
