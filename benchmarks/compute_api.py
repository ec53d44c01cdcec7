"""Compute API throughput with the fake driver (a real ``onestack serve`` subprocess).

    /tmp/devvenv/bin/python benchmarks/compute_api.py
    /tmp/devvenv/bin/python benchmarks/compute_api.py --servers 500 --concurrency 8 --total 5000 --workers 2

1. create: ``--servers`` servers through ``POST /servers`` at ``--concurrency``
   (one keep-alive connection per client thread); each client polls
   ``GET /servers/{id}`` every 5 ms until ACTIVE.  Reports create->ACTIVE p50/p99
   and servers per second (wall clock, first POST to last ACTIVE).
2. list: tops the project up to ``--total`` servers (``max_count`` batches of
   100), then times ``GET /servers/detail?limit=1000`` paged with ``marker``
   over every page, ``--rounds`` times; reports p50/p99 per page.

The fake driver's host holds 256 one-vCPU servers, so the cloud runs
``--fake-hosts`` fake hosts (default 24); the admin project's quotas are lifted.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.compute_qemu.realserve import COMPUTE, Api, Proc  # noqa: E402


class Client:
    """One keep-alive connection."""

    def __init__(self, url: str, token: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.79",
                        "Content-Type": "application/json"}

    def req(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.conn.request(method, COMPUTE + path, body=None if body is None else json.dumps(body),
                          headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children so far (``/proc``)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            f = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(f[1]) == pid:
            total += (int(f[11]) + int(f[12])) / tick
    return total


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def create_one(c: Client, image: str, i: int) -> float:
    t0 = time.monotonic()
    st, body = c.req("POST", "/servers", {"server": {"name": f"bench-{i}", "imageRef": image,
                                                     "flavorRef": "42", "networks": "none"}})
    assert st == 202, body
    sid = body["server"]["id"]
    while True:
        st, body = c.req("GET", f"/servers/{sid}")
        assert st == 200, body
        if body["server"]["status"] == "ACTIVE":
            return time.monotonic() - t0
        assert body["server"]["status"] != "ERROR", body["server"].get("fault")
        time.sleep(0.005)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--total", type=int, default=5000)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--fake-hosts", type=int, default=24)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="compute-bench-") as tmp:
        env = {"ONESTACK_SERVER__LOG_LEVEL": "warning", "ONESTACK_COMPUTE__FAKE_HOSTS": str(args.fake_hosts)}
        serve = Proc(Path(tmp) / "data", env=env, args=["--workers", str(args.workers)]).start(timeout=120)
        try:
            api = Api(serve.url)
            r = api.http.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": api.token})
            project = r.json()["token"]["project"]["id"]
            r = api.nova("PUT", f"/os-quota-sets/{project}", json={"quota_set": {
                "instances": -1, "cores": -1, "ram": -1}})
            assert r.status_code == 200, r.text
            r = api.http.post("/image/v2/images", json={"name": "bench", "disk_format": "raw",
                                                         "container_format": "bare"})
            image = r.json()["id"]
            api.http.put(f"/image/v2/images/{image}/file", content=b"\0" * 4096,
                         headers={"Content-Type": "application/octet-stream"}).raise_for_status()
            print(f"onestack serve --workers {args.workers}, fake driver x{args.fake_hosts} hosts")

            # 1. create -> ACTIVE
            clients = [Client(serve.url, api.token) for _ in range(args.concurrency)]
            for c in clients:  # warm-up: connections, caches
                create_one(c, image, -1)
            latencies: list[float] = []
            t0 = time.monotonic()
            free = list(clients)
            local = threading.local()

            def job(i: int) -> float:
                if not hasattr(local, "client"):  # one connection per thread
                    local.client = free.pop()
                return create_one(local.client, image, i)

            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                latencies = list(pool.map(job, range(args.servers)))
            wall = time.monotonic() - t0
            print(f"create->ACTIVE x{args.servers} at c={args.concurrency}: p50 {pct(latencies, 50) * 1000:.1f} ms"
                  f"  p99 {pct(latencies, 99) * 1000:.1f} ms  {args.servers / wall:.1f} servers/s"
                  f"  ({wall:.1f} s)")

            # 2. list 5,000 in pages of 1,000
            c = clients[0]
            have = args.servers + args.concurrency
            while have < args.total:
                n = min(100, args.total - have)
                st, body = c.req("POST", "/servers", {"server": {
                    "name": "fill", "imageRef": image, "flavorRef": "42", "networks": "none",
                    "min_count": n, "max_count": n}})
                assert st == 202, body
                have += n
            deadline = time.monotonic() + 300
            while True:
                st, body = c.req("GET", "/servers?status=BUILD&limit=1")
                if not body["servers"] or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            pages: list[float] = []
            assert serve.proc is not None
            cpu0, npages = 0.0, 0
            for rnd in range(args.rounds + 1):
                if rnd == 1:
                    cpu0 = cpu_seconds(serve.proc.pid)
                marker, seen = None, 0
                while True:
                    q = f"/servers/detail?limit={args.page}" + (f"&marker={marker}" if marker else "")
                    t = time.monotonic()
                    st, body = c.req("GET", q)
                    took = time.monotonic() - t
                    assert st == 200, body
                    if rnd:  # round 0 warms up
                        pages.append(took)
                        npages += 1
                    seen += len(body["servers"])
                    if len(body["servers"]) < args.page:
                        break
                    marker = body["servers"][-1]["id"]
            print(f"GET /servers/detail, {seen} servers in pages of {args.page} (x{args.rounds} rounds): "
                  f"p50 {pct(pages, 50) * 1000:.1f} ms  p99 {pct(pages, 99) * 1000:.1f} ms per page"
                  f"  (mean {statistics.mean(pages) * 1000:.1f} ms; server CPU "
                  f"{(cpu_seconds(serve.proc.pid) - cpu0) / npages * 1000:.1f} ms per page)")
            with open("/proc/loadavg") as f:
                print(f"host: {os.cpu_count()} CPUs, load average {f.read().split()[0]}")
            api.close()
        finally:
            serve.stop()


if __name__ == "__main__":
    main()
