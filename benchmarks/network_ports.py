"""Port creation throughput and IPAM correctness (a real ``onestack serve`` subprocess,
identity + network, noop dataplane).

    /tmp/devvenv/bin/python benchmarks/network_ports.py
    /tmp/devvenv/bin/python benchmarks/network_ports.py --ports 1000 --concurrency 8

Creates one network with a /21 subnet (DHCP on), then ``--ports`` ports on it through
``POST /v2.0/ports`` from ``--concurrency`` client threads (one keep-alive connection
each), as the project's member.  Prints ports per second (wall clock, first POST to
last answer), p50/p99 latency, and the number of duplicate fixed IPs (must be 0),
checked both in the answers and in a final ``GET /v2.0/ports`` listing.  Then deletes
them all at the same concurrency and reports that rate too.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.compute_qemu.realserve import Api, Proc  # noqa: E402

NET = "/network/v2.0"


class Client:
    def __init__(self, url: str, token: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"X-Auth-Token": token, "Content-Type": "application/json"}

    def req(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.conn.request(method, NET + path, body=None if body is None else json.dumps(body),
                          headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(n_ports: int, concurrency: int, data: Path) -> None:
    proc = Proc(data, env={"ONESTACK_SERVICES__ENABLED": "identity,network",
                           "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4"}).start()
    try:
        api = Api(proc.url)
        token = api.token
        r = api.http.get("/identity/v3/projects?name=admin")
        project = r.json()["projects"][0]["id"]
        api.http.put(f"{NET}/quotas/{project}", json={"quota": {"port": -1}}).raise_for_status()
        r = api.http.post(f"{NET}/networks", json={"network": {"name": "bench"}})
        r.raise_for_status()
        net_id = r.json()["network"]["id"]
        api.http.post(f"{NET}/subnets", json={"subnet": {
            "network_id": net_id, "ip_version": 4, "cidr": "10.128.0.0/21"}}).raise_for_status()
        local = threading.local()

        def client() -> Client:
            if not hasattr(local, "c"):
                local.c = Client(proc.url, token)
            return local.c  # type: ignore[no-any-return]

        def create(i: int) -> tuple[float, str, str]:
            t0 = time.perf_counter()
            status, body = client().req("POST", "/ports", {"port": {"network_id": net_id, "name": f"p{i}"}})
            dt = time.perf_counter() - t0
            if status != 201:
                raise RuntimeError(f"port create answered {status}: {body}")
            port = body["port"]
            return dt, port["id"], port["fixed_ips"][0]["ip_address"]

        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            t0 = time.perf_counter()
            results = list(pool.map(create, range(n_ports)))
            wall = time.perf_counter() - t0
        lat = [r[0] for r in results]
        ips = [r[2] for r in results]
        dup_answers = sum(c - 1 for c in Counter(ips).values() if c > 1)
        listed = api.http.get(f"{NET}/ports?network_id={net_id}").json()["ports"]
        all_ips = [ip["ip_address"] for p in listed for ip in p["fixed_ips"]]
        dup_listed = sum(c - 1 for c in Counter(all_ips).values() if c > 1)
        print(f"create: {n_ports} ports at concurrency {concurrency}: {n_ports / wall:.1f} ports/s "
              f"(wall {wall:.2f} s), p50 {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {pct(lat, 99) * 1000:.1f} ms")
        print(f"duplicates: {dup_answers} in the answers, {dup_listed} in the listing "
              f"({len(listed)} ports listed incl. the DHCP port)")

        def delete(pid: str) -> float:
            t0 = time.perf_counter()
            status, body = client().req("DELETE", f"/ports/{pid}")
            if status != 204:
                raise RuntimeError(f"port delete answered {status}: {body}")
            return time.perf_counter() - t0

        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            t0 = time.perf_counter()
            dl = list(pool.map(delete, [r[1] for r in results]))
            wall = time.perf_counter() - t0
        print(f"delete: {n_ports / wall:.1f} ports/s, p50 {statistics.median(dl) * 1000:.1f} ms, "
              f"p99 {pct(dl, 99) * 1000:.1f} ms")
        left = api.http.get(f"{NET}/ports?network_id={net_id}").json()["ports"]
        print(f"after delete: {len(left)} port(s) left on the network (the DHCP port)")
        if dup_answers or dup_listed:
            sys.exit("DUPLICATE ADDRESSES")
    finally:
        proc.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ports", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="onestack-netbench-") as d:
        run(args.ports, args.concurrency, Path(d))


if __name__ == "__main__":
    main()
