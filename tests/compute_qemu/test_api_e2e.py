"""End to end through the API: a real ``onestack serve`` subprocess with the QEMU
driver boots the test guest (kernel + initramfs uploaded as aki/ari images, a
third image naming them with ``kernel_id``/``ramdisk_id``), and the compute API
drives it: user data on the console, snapshot, soft reboot, delete, a kill -9
of onestack with guests running, and a guest that cannot start.

Needs root and QEMU (skipped with the reason printed otherwise, unless CI=true)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compute_qemu.guest import GuestFiles
from tests.compute_qemu.realserve import Api, Proc, qemu_pids

QEMU_ENV = {"ONESTACK_COMPUTE__DRIVER": "qemu", "ONESTACK_SERVER__LOG_LEVEL": "warning"}
USER_DATA = b"hello from the compute API\nline two of the user data\n"


@pytest.fixture
def serve(data_dir: Path) -> Iterator[Proc]:
    p = Proc(data_dir, env=QEMU_ENV).start()
    yield p
    p.stop()


def guest_images(api: Api, g: GuestFiles, kernel: Path | None = None) -> str:
    """aki + ari + a bootable image naming them; the third image's id."""
    tag = uuid.uuid4().hex[:6]
    aki = api.upload_image(f"guest-kernel-{tag}", kernel or g.kernel, "aki", "aki")
    ari = api.upload_image(f"guest-ramdisk-{tag}", g.initramfs, "ari", "ari")
    return api.upload_image(f"guest-{tag}", g.disk, "qcow2", "bare", kernel_id=aki, ramdisk_id=ari,
                            os_command_line="quiet")


def keypair(api: Api) -> str:
    name = "e2e-" + uuid.uuid4().hex[:6]
    r = api.nova("POST", "/os-keypairs", version="2.1", json={"keypair": {"name": name}})
    assert r.status_code == 200, r.text
    return name


def pids_of(data_dir: Path, sid: str) -> list[int]:
    return [p for p, cmd in qemu_pids(str(data_dir)).items() if sid in cmd]


def test_boot_console_snapshot_reboot_delete(serve: Proc, data_dir: Path, g: GuestFiles) -> None:
    api = Api(serve.url)
    image = guest_images(api, g)
    nano = api.flavor_id("m1.nano")
    key = keypair(api)
    t0 = time.monotonic()
    sid = api.create_server("e2e-vm", image, nano, user_data=USER_DATA, key_name=key)
    srv = api.wait_server(sid, timeout=120)
    active = time.monotonic() - t0
    assert srv["key_name"] == key
    assert srv["OS-EXT-STS:power_state"] == 1
    assert srv["OS-EXT-SRV-ATTR:host"] == "onestack"
    booted = api.wait_console(sid, "onestack-guest: user-data: line two of the user data") + active
    print(f"\n[api e2e] ACTIVE {active:.2f}s, user data on the console {booted:.2f}s after POST")
    console = api.console(sid)
    assert "onestack-guest: user-data: hello from the compute API" in console
    assert f"onestack-guest: uuid={sid}" in console
    assert api.console(sid, 1).count("\n") <= 1
    api.wait_console(sid, "onestack-guest: ready")
    (pid,) = pids_of(data_dir, sid)

    # snapshot: an active image with the root disk's bytes (a standalone qcow2)
    r = api.action(sid, {"createImage": {"name": "e2e-snap", "metadata": {"purpose": "e2e"}}})
    assert r.status_code == 202, r.text
    snap_id = r.json()["image_id"]
    snap = api.wait_image(snap_id, timeout=120)
    assert snap["size"] > 0 and snap["disk_format"] == "qcow2"
    assert snap["instance_uuid"] == sid and snap["purpose"] == "e2e"
    with api.http.stream("GET", f"/image/v2/images/{snap_id}/file") as resp:
        assert resp.status_code == 200
        head = next(resp.iter_bytes(4))
    assert head[:4] == b"QFI\xfb"
    api.wait_server(sid)
    assert pids_of(data_dir, sid) == [pid]  # the guest kept running

    # soft reboot: ACPI power-off, the guest boots again
    r = api.action(sid, {"reboot": {"type": "SOFT"}})
    assert r.status_code == 202, r.text
    api.wait_server(sid, timeout=120)
    api.wait_console(sid, "onestack-guest: ready", count=2)
    assert len(pids_of(data_dir, sid)) == 1

    # delete: gone from the API, no QEMU, no instance directory
    assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
    api.wait_server(sid, ("DELETED",), timeout=60)
    assert pids_of(data_dir, sid) == []
    assert not (data_dir / "compute" / "onestack" / "instances" / sid).exists()
    api.close()


def test_kill9_restart_reconciles(data_dir: Path, g: GuestFiles) -> None:
    first = Proc(data_dir, env=QEMU_ENV, log_name="serve-1.log").start()
    api = Api(first.url)
    image = guest_images(api, g)
    nano = api.flavor_id("m1.nano")
    running = api.create_server("survivor", image, nano, user_data=b"survivor\n")
    api.wait_server(running)
    api.wait_console(running, "onestack-guest: ready")
    (pid,) = pids_of(data_dir, running)
    # a second server, killed in BUILD: the POST returned, the build is under way
    building = api.create_server("in-build", image, nano)
    assert api.server(building)["status"] == "BUILD"  # type: ignore[index]
    first.kill9()
    api.close()
    time.sleep(0.5)  # let a QEMU the build may have launched daemonize

    second = Proc(data_dir, env=QEMU_ENV, port=first.port, log_name="serve-2.log").start()
    try:
        api = Api(second.url)
        srv = api.wait_server(running, timeout=30)
        assert srv["OS-EXT-STS:power_state"] == 1
        assert pids_of(data_dir, running) == [pid], "the running guest was not found again"
        assert "onestack-guest: user-data: survivor" in api.console(running)
        b = api.wait_server(building, ("ACTIVE", "ERROR"), timeout=60)
        print(f"\n[api e2e] server killed in BUILD ended {b['status']} {b.get('fault', '')}")
        live = {sid for sid in (running, building)
                if (api.server(sid) or {}).get("status") == "ACTIVE"}
        for qpid, cmd in qemu_pids(str(data_dir)).items():
            assert any(sid in cmd for sid in live), f"orphan qemu {qpid}: {cmd}"
        assert len(pids_of(data_dir, building)) == (1 if b["status"] == "ACTIVE" else 0)
        for sid in (running, building):
            assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
        for sid in (running, building):
            api.wait_server(sid, ("DELETED",), timeout=60)
        assert qemu_pids(str(data_dir)) == {}
        api.close()
    finally:
        second.stop()


def test_failed_start_is_error_with_fault_and_delete_cleans(serve: Proc, data_dir: Path, g: GuestFiles,
                                                            tmp_path: Path) -> None:
    api = Api(serve.url)
    bogus = tmp_path / "not-a-kernel"
    bogus.write_bytes(os.urandom(64 * 1024))
    image = guest_images(api, g, kernel=bogus)
    sid = api.create_server("doomed", image, api.flavor_id("m1.nano"))
    srv = api.wait_server(sid, ("ERROR",), timeout=60)
    fault: dict[str, Any] = srv["fault"]
    print(f"\n[api e2e] failed start fault: {fault['message']}")
    assert fault["code"] == 500 and "QEMU" in fault["message"]
    assert fault.get("details")  # admin sees the details
    assert pids_of(data_dir, sid) == []
    r = api.nova("GET", f"/servers/{sid}/os-instance-actions")
    assert r.json()["instanceActions"][0]["message"] == "Error"
    assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
    api.wait_server(sid, ("DELETED",), timeout=60)
    assert not (data_dir / "compute" / "onestack" / "instances" / sid).exists()
    assert qemu_pids(str(data_dir)) == {}
    api.close()
