"""Volume create/delete throughput (a real ``onestack serve`` subprocess).

    /tmp/devvenv/bin/python benchmarks/volume_ops.py                       # file driver, 500 volumes, c=8
    /tmp/devvenv/bin/python benchmarks/volume_ops.py --driver fake --volumes 200

``--volumes`` volumes of ``--size`` GiB go through their whole life at
``--concurrency`` (one keep-alive connection per client thread): ``POST
/volumes``, poll ``GET /volumes/{id}`` every 5 ms until ``available``, then
``DELETE`` and poll until 404.  Reports, per phase, the operation time
(request -> final state) p50/p99, and operations per second over the run
(creates + deletes, wall clock, first POST to last 404), plus the server's CPU
seconds.  The admin project's quotas are lifted; the data directory is a fresh
temporary one (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.compute_api import cpu_seconds, pct  # noqa: E402
from tests.compute_qemu.realserve import Api, Proc  # noqa: E402

VOLUME = "/volume/v3"


class Client:
    """One keep-alive connection."""

    def __init__(self, url: str, token: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.70",
                        "Content-Type": "application/json"}

    def req(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.conn.request(method, VOLUME + path, body=None if body is None else json.dumps(body),
                          headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def life(c: Client, i: int, size: int) -> tuple[float, float]:
    t0 = time.monotonic()
    st, body = c.req("POST", "/volumes", {"volume": {"name": f"bench-{i}", "size": size}})
    if st != 202:
        raise RuntimeError(f"create: {st} {body}")
    vid = body["volume"]["id"]
    while True:
        st, body = c.req("GET", f"/volumes/{vid}")
        status = body["volume"]["status"]
        if status == "available":
            break
        if status != "creating":
            raise RuntimeError(f"volume {vid} went {status}")
        time.sleep(0.005)
    t1 = time.monotonic()
    st, body = c.req("DELETE", f"/volumes/{vid}")
    if st != 202:
        raise RuntimeError(f"delete: {st} {body}")
    while True:
        st, body = c.req("GET", f"/volumes/{vid}")
        if st == 404:
            break
        if body["volume"]["status"] not in ("deleting", "available"):
            raise RuntimeError(f"volume {vid} went {body['volume']['status']}")
        time.sleep(0.005)
    return t1 - t0, time.monotonic() - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", default="file")
    ap.add_argument("--volumes", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--size", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-volume-"))
    proc = Proc(data, env={"ONESTACK_SERVICES__ENABLED": "identity,image,volume",
                           "ONESTACK_VOLUME__DRIVER": args.driver, "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4"})
    try:
        proc.start()
        api = Api(proc.url)
        pid = api.http.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": api.token}
                           ).json()["token"]["project"]["id"]
        r = api.http.put(f"{VOLUME}/os-quota-sets/{pid}", json={"quota_set": {"volumes": -1, "gigabytes": -1}})
        r.raise_for_status()
        local = threading.local()

        def one(i: int) -> tuple[float, float]:
            if not hasattr(local, "c"):
                local.c = Client(proc.url, api.token)
            return life(local.c, i, args.size)

        assert proc.proc is not None
        cpu0 = cpu_seconds(proc.proc.pid)
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(one, range(args.volumes)))
        wall = time.monotonic() - t0
        cpu = cpu_seconds(proc.proc.pid) - cpu0
        creates = [r[0] * 1000 for r in results]
        deletes = [r[1] * 1000 for r in results]
        print(f"driver={args.driver} volumes={args.volumes} size={args.size}GiB concurrency={args.concurrency}")
        print(f"  wall {wall:.2f} s, {2 * args.volumes / wall:.1f} ops/s (creates + deletes), "
              f"{args.volumes / wall:.1f} volume lives/s, server CPU {cpu:.1f} s")
        print(f"  create -> available  p50 {pct(creates, 50):7.1f} ms  p99 {pct(creates, 99):7.1f} ms")
        print(f"  delete -> gone       p50 {pct(deletes, 50):7.1f} ms  p99 {pct(deletes, 99):7.1f} ms")
        left = [p.name for p in (data / "volumes").iterdir() if p.is_file() and p.name != "manager.lock"]
        print(f"  files left in the volume directory: {len(left)}")
        api.close()
    finally:
        proc.stop()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
        else:
            print(f"kept {data}")


if __name__ == "__main__":
    main()
