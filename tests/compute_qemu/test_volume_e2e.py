"""Block storage end to end through the APIs: a real ``onestack serve`` with the
QEMU compute driver and the ``file`` volume driver (TCG where KVM does not work).

* a 1 GiB volume attached to a running test guest: the guest sees a new disk
  of that size (with the volume's serial) and writes a marker on it; detached;
  attached to a second guest, which reads the marker back;
* a snapshot of the volume, a volume from the snapshot: the marker is there;
* a server booted from a volume made from an image;
* kill -9 of onestack in the middle of a volume creation and an attachment:
  after the restart every volume is in a truthful state, no file and no QEMU
  device is orphaned.

The guest runs user data that starts with ``#!/bin/sh`` (scripts/build-test-guest)
and prints what it sees on its console.  Needs root and QEMU (skipped with the
reason printed otherwise, unless CI=true)."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from onestack.compute.drivers import qemu_process, qemu_volumes
from tests.compute_qemu.guest import GuestFiles
from tests.compute_qemu.realserve import Api, Proc, qemu_pids
from tests.compute_qemu.test_api_e2e import guest_images
from tests.volume_file import guest_scripts

SERVICES = "identity,object_store,image,compute,volume"
ENV = {"ONESTACK_COMPUTE__DRIVER": "qemu", "ONESTACK_VOLUME__DRIVER": "file",
       "ONESTACK_SERVICES__ENABLED": SERVICES, "ONESTACK_SERVER__LOG_LEVEL": "warning"}
GiB = 1024**3


class Cinder:
    def __init__(self, api: Api) -> None:
        self.api = api
        r = api.http.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": api.token})
        self.base = f"/volume/v3/{r.json()['token']['project']['id']}"

    def req(self, method: str, path: str, **kw: Any) -> Any:
        return self.api.http.request(method, self.base + path,
                                     headers={"OpenStack-API-Version": "volume 3.60"}, **kw)

    def create(self, size: int, **extra: Any) -> str:
        r = self.req("POST", "/volumes", json={"volume": {"size": size, **extra}})
        assert r.status_code == 202, r.text
        return str(r.json()["volume"]["id"])

    def get(self, vid: str, kind: str = "volumes") -> dict[str, Any] | None:
        r = self.req("GET", f"/{kind}/{vid}")
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        return r.json()[kind[:-1]]  # type: ignore[no-any-return]

    def wait(self, vid: str, statuses: tuple[str, ...] = ("available",), kind: str = "volumes",
             timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        v: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            v = self.get(vid, kind)
            if v is None and "deleted" in statuses:
                return {}
            if v is not None and v["status"] in statuses:
                return v
            if v is not None and v["status"].startswith("error") and not any(
                    s.startswith("error") for s in statuses):
                raise AssertionError(f"{kind} {vid} went {v['status']}: {v}")
            time.sleep(0.1)
        raise AssertionError(f"{kind} {vid} not {statuses} after {timeout:.0f}s: {v}")


def attach(api: Api, sid: str, vid: str) -> dict[str, Any]:
    r = api.nova("POST", f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vid}})
    assert r.status_code == 200, r.text
    return r.json()["volumeAttachment"]  # type: ignore[no-any-return]


def detach(api: Api, sid: str, vid: str) -> None:
    r = api.nova("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}")
    assert r.status_code == 202, r.text


def boot(api: Api, name: str, image: str, flavor: str, user_data: bytes, **extra: Any) -> str:
    body: dict[str, Any] = {"name": name, "imageRef": image, "flavorRef": flavor, "networks": "none",
                            "user_data": base64.b64encode(user_data).decode(), **extra}
    r = api.nova("POST", "/servers", json={"server": body})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def qemu_devices(data_dir: Path, sid: str, vid: str) -> tuple[bool, bool]:
    d = data_dir / "compute" / "onestack" / "instances" / sid
    return qemu_volumes.present(qemu_process.socket_path(d), {"volume_id": vid})


def cinder_db_status(data_dir: Path, vid: str) -> str:
    """A volume's status straight from the database (the API process is dead)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(data_dir / "onestack.db")) as db:
        row = db.execute("SELECT status FROM volumes WHERE id = ?", (vid,)).fetchone()
    return str(row[0]) if row else "gone"


def volume_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "volumes").iterdir() if p.name != "manager.lock")


def test_volume_moves_between_guests_snapshot_and_boot_from_volume(data_dir: Path, g: GuestFiles) -> None:
    serve = Proc(data_dir, env=ENV).start()
    try:
        api = Api(serve.url)
        cinder = Cinder(api)
        image = guest_images(api, g)
        nano = api.flavor_id("m1.nano")
        t0 = time.monotonic()
        vid = cinder.create(1, name="e2e-data")
        vol = cinder.wait(vid)
        assert vol["size"] == 1
        assert (data_dir / "volumes" / f"volume-{vid}.qcow2").exists()
        marker = "MARKER-" + uuid.uuid4().hex[:10]
        a = boot(api, "writer", image, nano, guest_scripts.write_marker(vid[:20], marker))
        b = boot(api, "reader", image, nano, guest_scripts.read_marker(vid[:20]))
        api.wait_server(a, timeout=180)
        api.wait_console(a, "onestack-guest: ready")

        # attach to A: a new 1 GiB disk with the volume's serial; A writes the marker
        att = attach(api, a, vid)
        assert att["volumeId"] == vid and att["serverId"] == a and att["device"] == "/dev/vdb"
        vol = cinder.wait(vid, ("in-use",))
        assert vol["attachments"][0]["server_id"] == a
        api.wait_console(a, f"onestack-guest: sh: WROTE {marker}", timeout=120)
        console = api.console(a)
        assert re.search(rf"onestack-guest: sh: DISK /dev/vd[b-z] {GiB // 512} sectors serial={vid[:20]}\n",
                         console), console
        assert qemu_devices(data_dir, a, vid) == (True, True)
        srv = api.server(a) or {}
        assert srv["os-extended-volumes:volumes_attached"] == [{"id": vid, "delete_on_termination": False}]

        # grow it while attached (3.42): QEMU resizes the disk under the running guest
        r = cinder.req("POST", f"/volumes/{vid}/action", json={"os-extend": {"new_size": 2}})
        assert r.status_code == 202, r.text
        vol = cinder.wait(vid, ("in-use",))
        assert vol["size"] == 2
        info = subprocess.run(["qemu-img", "info", "-U", "--output=json",
                               str(data_dir / "volumes" / f"volume-{vid}.qcow2")],
                              capture_output=True, text=True, check=True).stdout
        assert json.loads(info)["virtual-size"] == 2 * GiB

        # detach: the guest lets go, QEMU drops device and block node, the volume is available
        detach(api, a, vid)
        vol = cinder.wait(vid)
        assert vol["attachments"] == []
        assert qemu_devices(data_dir, a, vid) == (False, False)

        # attach to B, which reads the marker back
        api.wait_server(b, timeout=180)
        api.wait_console(b, "onestack-guest: ready")
        attach(api, b, vid)
        cinder.wait(vid, ("in-use",))
        api.wait_console(b, f"onestack-guest: sh: READ {marker}", timeout=120)
        detach(api, b, vid)
        cinder.wait(vid)
        print(f"\n[volume e2e] attach, write, detach, attach, read: {time.monotonic() - t0:.1f}s")

        # snapshot; a volume from the snapshot holds the marker
        r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": vid, "name": "e2e-snap"}})
        assert r.status_code == 202, r.text
        snap = r.json()["snapshot"]["id"]
        cinder.wait(snap, kind="snapshots")
        child = cinder.create(2, snapshot_id=snap)
        cinder.wait(child)
        from onestack.volume.drivers.file import FileDriver

        first = next(iter(FileDriver(data_dir / "volumes").read_chunks(child, 1024 * 1024)))[1]
        assert first is not None and first.startswith(marker.encode())

        # boot from a volume made from the guest image (its kernel_id/ramdisk_id ride along)
        root = cinder.create(1, imageRef=image, name="e2e-root")
        rv = cinder.wait(root, timeout=180)
        assert rv["bootable"] == "true"
        bfv = boot(api, "from-volume", "", nano, guest_scripts.root_disk_report(), block_device_mapping_v2=[
            {"source_type": "volume", "destination_type": "volume", "uuid": root, "boot_index": 0,
             "delete_on_termination": True}])
        srv = api.wait_server(bfv, timeout=180)
        assert srv["image"] == ""
        api.wait_console(bfv, f"onestack-guest: sh: ROOT {GiB // 512} sectors serial={root[:20]}", timeout=180)
        assert cinder.wait(root, ("in-use",))["attachments"][0]["server_id"] == bfv
        assert not (data_dir / "compute" / "onestack" / "instances" / bfv / "disk.qcow2").exists()

        for sid in (a, b, bfv):
            assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
        for sid in (a, b, bfv):
            api.wait_server(sid, ("DELETED",), timeout=60)
        cinder.wait(root, ("deleted",))  # delete_on_termination
        assert cinder.wait(vid)["attachments"] == []
        assert qemu_pids(str(data_dir)) == {}
        api.close()
    finally:
        serve.stop()


def _big_image(path: Path, mib: int) -> Path:
    import os

    block = os.urandom(1024 * 1024)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(block)
    return path


def test_kill9_during_volume_create_and_attach(data_dir: Path, g: GuestFiles, tmp_path: Path) -> None:
    first = Proc(data_dir, env=ENV, log_name="serve-1.log").start()
    api = Api(first.url)
    cinder = Cinder(api)
    image = guest_images(api, g)
    nano = api.flavor_id("m1.nano")
    big = api.upload_image("big", _big_image(tmp_path / "big.raw", 768), "raw", "bare")
    vid = cinder.create(1)
    cinder.wait(vid)
    sid = boot(api, "victim", image, nano, guest_scripts.read_marker(vid[:20]))
    api.wait_server(sid, timeout=180)
    api.wait_console(sid, "onestack-guest: ready")
    # two operations in flight, then kill -9: a creation (qemu-img convert of 768 MiB: killed once its
    # temporary file exists) and an attachment (killed once QEMU has the device)
    creating = cinder.create(1, imageRef=big)
    deadline = time.monotonic() + 30
    while not any(f.startswith(f".tmp-volume-{creating}") for f in volume_files(data_dir)):
        assert time.monotonic() < deadline, volume_files(data_dir)
        time.sleep(0.01)
    attach(api, sid, vid)
    sock = qemu_process.socket_path(data_dir / "compute" / "onestack" / "instances" / sid)
    deadline = time.monotonic() + 10
    while vid not in qemu_volumes.plugged(sock) and time.monotonic() < deadline:
        time.sleep(0.005)
    first.kill9()
    at_kill = {"creating": cinder_db_status(data_dir, creating), "attaching": cinder_db_status(data_dir, vid)}
    api.close()
    time.sleep(0.5)

    second = Proc(data_dir, env=ENV, port=first.port, log_name="serve-2.log").start()
    try:
        api = Api(second.url)
        cinder = Cinder(api)
        c = cinder.wait(creating, ("available", "error"), timeout=60)
        v = cinder.wait(vid, ("available", "in-use"), timeout=60)
        print(f"\n[volume e2e] at the kill: {at_kill}; after the restart: the volume being created is "
              f"{c['status']}, the one being attached is {v['status']}")
        files = volume_files(data_dir)
        # no temporary debris; a file exactly for every volume that exists
        assert not [f for f in files if f.startswith(".")], files
        assert (f"volume-{creating}.qcow2" in files) == (c["status"] == "available")
        assert f"volume-{vid}.qcow2" in files
        # the attachment: either complete everywhere or nowhere
        atts = api.nova("GET", f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]
        dev = qemu_devices(data_dir, sid, vid)
        if v["status"] == "in-use":
            assert [x["volumeId"] for x in atts] == [vid] and dev == (True, True)
            assert v["attachments"][0]["server_id"] == sid
            api.wait_console(sid, "onestack-guest: sh: READ", timeout=120)
            detach(api, sid, vid)
            cinder.wait(vid)
        else:
            assert atts == [] and dev == (False, False) and v["attachments"] == []
        assert qemu_devices(data_dir, sid, vid) == (False, False)
        # everything still works afterwards
        attach(api, sid, vid)
        cinder.wait(vid, ("in-use",))
        assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
        api.wait_server(sid, ("DELETED",), timeout=60)
        cinder.wait(vid)
        for v_id in (vid, creating):
            assert cinder.req("DELETE", f"/volumes/{v_id}").status_code == 202
            cinder.wait(v_id, ("deleted",))
        assert volume_files(data_dir) == []
        assert qemu_pids(str(data_dir)) == {}
        api.close()
    finally:
        second.stop()

