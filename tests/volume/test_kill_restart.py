"""Kill -9 a real ``onestack serve`` (``file`` driver) while volumes are being
created from an image and attached; on restart every volume is in a truthful
state and no file is left that no volume owns."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.compute_qemu.realserve import Api, Proc

pytestmark = pytest.mark.compat
VOLUME = "/volume/v3"
ENV = {"ONESTACK_SERVICES__ENABLED": "identity,image,volume", "ONESTACK_VOLUME__DRIVER": "file",
       "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4"}
MiB = 1024**2


def _need_qemu_img() -> None:
    if shutil.which("qemu-img") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-img missing (scripts/install-system-deps) [CI=true: not skipping]")
        pytest.skip("the file volume driver needs qemu-img (scripts/install-system-deps)")


def test_kill_during_creation_and_attachment(tmp_path: Path) -> None:
    _need_qemu_img()
    data = tmp_path / "cloud"
    proc = Proc(data, env=ENV).start()
    try:
        api = Api(proc.url)
        # an image big enough that converting it takes a moment
        img = tmp_path / "disk.raw"
        with open(img, "wb") as f:
            for i in range(64):
                f.write(bytes([i % 251 + 1]) * MiB)
        iid = api.upload_image("big", img, "raw", "bare")
        api.wait_image(iid)
        ok = api.http.post(f"{VOLUME}/volumes", json={"volume": {"size": 1, "name": "attached"}}).json()["volume"]
        deadline = time.monotonic() + 60
        while api.http.get(f"{VOLUME}/volumes/{ok['id']}").json()["volume"]["status"] != "available":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # an attachment left half-way (connector given, never completed)
        r = api.http.post(f"{VOLUME}/attachments", headers={"OpenStack-API-Version": "volume 3.54"},
                          json={"attachment": {"volume_uuid": ok["id"], "connector": {"host": "h1"}}})
        assert r.status_code == 200, r.text
        ids = []
        for i in range(6):
            r = api.http.post(f"{VOLUME}/volumes", json={"volume": {"size": 1, "name": f"img-{i}", "imageRef": iid}})
            assert r.status_code == 202, r.text
            ids.append(r.json()["volume"]["id"])
        api.close()
        proc.kill9()

        proc = Proc(data, env=ENV).start()
        api = Api(proc.url)
        vols = {v["id"]: v for v in api.http.get(f"{VOLUME}/volumes/detail").json()["volumes"]}
        files = {p.name for p in (data / "volumes").iterdir() if p.is_file()}
        for vid in ids:
            status = vols[vid]["status"]
            assert status in ("available", "error"), (vid, status)
            on_disk = any(vid in name for name in files)
            assert on_disk == (status == "available"), (vid, status, files)
        print("statuses after the restart:", sorted(vols[v]["status"] for v in ids))
        assert vols[ok["id"]]["status"] == "available" and vols[ok["id"]]["attachments"] == []
        # nothing on disk that no volume owns (the lock file aside), no temporary debris
        known = set(vols)
        strays = [n for n in files if n != "manager.lock" and not any(k in n for k in known)]
        assert strays == []
        api.close()
    finally:
        proc.stop()
