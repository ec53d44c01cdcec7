"""The ``file`` volume driver: two figures, each against its bare counterpart in the same run.

    /tmp/devvenv/bin/python benchmarks/volume_file.py                 # 3 rounds, 256 MiB guest write
    /tmp/devvenv/bin/python benchmarks/volume_file.py --rounds 5 --write-mib 512

1. **Create a 10 GiB volume from a 1 GiB image** through the API (``POST
   /volume/v3/{project}/volumes`` with ``imageRef``, polled every 20 ms until
   ``available``) against ``qemu-img convert -f raw -O qcow2`` of the same image
   file (the image service's stored file) on the same disk; ``sync`` (untimed)
   before each side, so no side pays for another's dirty pages.  The image is 1 GiB
   of raw data with no holes (a pseudo-random 1 MiB block repeated), uploaded once
   through Glance.  Rounds alternate which side goes first; the created volume and
   the converted file are deleted after each round.  Also the driver's own time
   (``FileDriver.create_from_image``, no API), to split API overhead from
   ``qemu-img``.
2. **Sequential write in a guest to an attached volume** against the same write
   from the host to the same kind of file.  Guest: the test guest (QEMU driver,
   TCG where KVM does not work) with a 1 GiB volume hot-plugged; it runs
   ``dd if=/dev/zero of=/dev/vdX bs=1M count=N conv=fsync`` and reports the time by
   its own uptime clock.  Host: ``qemu-io -c 'write -P 0 0 N MiB' -c flush`` on a
   fresh 1 GiB qcow2 made by the driver the same way (a fresh one, so both sides
   allocate every cluster).  Reported as a ratio (guest / host throughput).

Needs root, QEMU and the test guest (``scripts/build-test-guest``).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from onestack.volume.drivers.file import FileDriver  # noqa: E402
from tests.compute_qemu.realserve import Api, Proc, kill_qemus  # noqa: E402
from tests.volume_file import guest_scripts  # noqa: E402

MiB, GiB = 1024**2, 1024**3
ENV = {"ONESTACK_COMPUTE__DRIVER": "qemu", "ONESTACK_VOLUME__DRIVER": "file",
       "ONESTACK_SERVICES__ENABLED": "identity,image,compute,volume", "ONESTACK_SERVER__LOG_LEVEL": "warning"}


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Cinder:
    def __init__(self, api: Api) -> None:
        self.api = api
        r = api.http.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": api.token})
        self.base = f"/volume/v3/{r.json()['token']['project']['id']}"

    def req(self, method: str, path: str, **kw: Any) -> Any:
        return self.api.http.request(method, self.base + path,
                                     headers={"OpenStack-API-Version": "volume 3.60"}, **kw)

    def status(self, vid: str) -> str:
        r = self.req("GET", f"/volumes/{vid}")
        return "deleted" if r.status_code == 404 else str(r.json()["volume"]["status"])

    def wait(self, vid: str, want: str, poll: float = 0.02, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while (s := self.status(vid)) != want:
            if s.startswith("error") or time.monotonic() > deadline:
                raise SystemExit(f"volume {vid} is {s}, wanted {want}")
            time.sleep(poll)

    def create(self, **body: Any) -> str:
        r = self.req("POST", "/volumes", json={"volume": body})
        assert r.status_code == 202, r.text
        return str(r.json()["volume"]["id"])

    def delete(self, vid: str) -> None:
        assert self.req("DELETE", f"/volumes/{vid}").status_code == 202
        self.wait(vid, "deleted")


def make_image(path: Path, mib: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(block)


def drop_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    subprocess.run(["sync"], check=False)


def create_from_image(api: Api, cinder: Cinder, data_dir: Path, image_id: str, image_file: Path,
                      rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"api": [], "convert": [], "driver": []}
    work = data_dir / "bench-convert"
    work.mkdir(exist_ok=True)
    driver = FileDriver(work / "driver")

    def api_side() -> None:
        t0 = time.monotonic()
        vid = cinder.create(size=10, imageRef=image_id)
        cinder.wait(vid, "available")
        out["api"].append(time.monotonic() - t0)
        cinder.delete(vid)

    def convert_side() -> None:
        target = work / "converted.qcow2"
        t0 = time.monotonic()
        subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(image_file), str(target)],
                       check=True)
        out["convert"].append(time.monotonic() - t0)
        drop_file(target)

    def driver_side() -> None:
        vid = str(uuid.uuid4())
        t0 = time.monotonic()
        driver.create_from_image(vid, 10, image_file, "raw")
        out["driver"].append(time.monotonic() - t0)
        driver.delete_volume(vid)

    for i in range(rounds):
        sides = [api_side, convert_side, driver_side]
        for side in sides[i % 3:] + sides[:i % 3]:
            subprocess.run(["sync"], check=False)  # each side starts with no dirty pages of the others
            side()
        print(f"  round {i + 1}: api {out['api'][-1]:.2f}s  qemu-img convert {out['convert'][-1]:.2f}s  "
              f"driver {out['driver'][-1]:.2f}s  (load {load()})", flush=True)
    return out


def guest_write(api: Api, cinder: Cinder, data_dir: Path, guest_image: str, mib: int) -> float:
    """MiB/s of the guest's sequential write (its own clock)."""
    vid = cinder.create(size=1)
    cinder.wait(vid, "available")
    nano = api.flavor_id("m1.nano")
    body = {"name": "bench-writer", "imageRef": guest_image, "flavorRef": nano, "networks": "none",
            "user_data": base64.b64encode(guest_scripts.timed_write(vid[:20], mib)).decode()}
    r = api.nova("POST", "/servers", json={"server": body})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_server(sid, timeout=300)
    api.wait_console(sid, "onestack-guest: ready", timeout=300)
    r = api.nova("POST", f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vid}})
    assert r.status_code == 200, r.text
    api.wait_console(sid, "onestack-guest: sh: WRITE-DONE", timeout=900)
    m = re.search(r"WRITE-DONE bytes=(\d+) centiseconds=(\d+)", api.console(sid))
    assert m, api.console(sid, 20)
    rate = int(m[1]) / MiB / max(int(m[2]) / 100, 0.01)
    assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
    api.wait_server(sid, ("DELETED",), timeout=120)
    cinder.delete(vid)
    return rate


def host_write(data_dir: Path, mib: int) -> float:
    """MiB/s of the same write with qemu-io into a fresh volume file."""
    driver = FileDriver(data_dir / "bench-host")
    vid = str(uuid.uuid4())
    driver.create_volume(vid, 1)
    path = driver.volume_path(vid)
    t0 = time.monotonic()
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write -P 0 0 {mib}M", "-c", "flush", str(path)],
                   check=True, capture_output=True)
    took = time.monotonic() - t0
    driver.delete_volume(vid)
    return mib / took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--image-mib", type=int, default=1024)
    ap.add_argument("--write-mib", type=int, default=256)
    ap.add_argument("--write-rounds", type=int, default=2)
    args = ap.parse_args()

    from tests.compute_qemu.guest import test_guest

    g = test_guest()
    with tempfile.TemporaryDirectory(prefix="bench-volume-") as tmp:
        data_dir = Path(tmp) / "data"
        serve = Proc(data_dir, env=ENV).start()
        try:
            api = Api(serve.url, timeout=600)
            cinder = Cinder(api)
            raw = Path(tmp) / "image.raw"
            make_image(raw, args.image_mib)
            r = api.http.post("/image/v2/images", json={"name": "bench-1g", "disk_format": "raw",
                                                         "container_format": "bare"})
            image_id = r.json()["id"]
            with open(raw, "rb") as f:
                r = api.http.put(f"/image/v2/images/{image_id}/file", content=f,
                                 headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 204, r.text
            raw.unlink()
            # the image service's stored file (the only big file in its store)
            stored = max((p for p in data_dir.rglob("*") if p.is_file() and "volumes" not in p.parts),
                         key=lambda p: p.stat().st_size)
            assert stored.stat().st_size == args.image_mib * MiB, stored

            print(f"1. 10 GiB volume from a {args.image_mib} MiB image ({args.rounds} rounds, load {load()})")
            res = create_from_image(api, cinder, data_dir, image_id, stored, args.rounds)
            api_m, conv_m, drv_m = (statistics.median(res[k]) for k in ("api", "convert", "driver"))
            print(f"   median: API {api_m:.2f}s, driver {drv_m:.2f}s, qemu-img convert {conv_m:.2f}s "
                  f"-> API {100 * (api_m / conv_m - 1):+.1f}%, driver {100 * (drv_m / conv_m - 1):+.1f}%")

            from tests.compute_qemu.test_api_e2e import guest_images

            guest = guest_images(api, g)
            print(f"2. sequential write of {args.write_mib} MiB ({args.write_rounds} rounds, load {load()})")
            ratios = []
            for i in range(args.write_rounds):
                gw = guest_write(api, cinder, data_dir, guest, args.write_mib)
                hw = host_write(data_dir, args.write_mib)
                ratios.append(gw / hw)
                print(f"  round {i + 1}: guest {gw:.1f} MiB/s, host {hw:.1f} MiB/s, ratio {gw / hw:.3f} "
                      f"(load {load()})", flush=True)
            print(f"   median ratio guest/host: {statistics.median(ratios):.3f}")
            api.close()
        finally:
            serve.stop()
            kill_qemus(str(data_dir))


if __name__ == "__main__":
    main()
