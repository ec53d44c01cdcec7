"""IPAM under concurrency: racing threads never get the same address, and
addresses come back to the pool on delete."""

from __future__ import annotations

import concurrent.futures

from onestack.core.context import RequestContext
from tests.network.conftest import NetFixture


def test_racing_ports_get_distinct_addresses(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "10.30.0.0/26", enable_dhcp=False)  # 61 addresses in the pool
    ctx = RequestContext(user_id="u", project_id=net.project_id, roles=["member", "reader"])
    mgr = net.mgr

    def make(i: int) -> dict:
        return mgr.ports.create(ctx, {"network_id": n["id"], "name": f"r{i}"})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ports = list(pool.map(make, range(40)))
    ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
    assert len(set(ips)) == 40
    # racing for the same explicit address: exactly one wins, the others get 409
    free = next(f"10.30.0.{i}" for i in range(62, 1, -1) if f"10.30.0.{i}" not in ips)
    def same(_: int) -> int:
        try:
            mgr.ports.create(ctx, {"network_id": n["id"], "fixed_ips": [{"subnet_id": s["id"],
                                                                          "ip_address": free}]})
            return 201
        except Exception as e:  # noqa: BLE001
            return int(getattr(e, "status", 500))

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(same, range(6)))
    assert statuses == [201] + [409] * 5
    # fill the pool, then exhaust it: all 61 addresses distinct
    def fill(i: int) -> str | None:
        try:
            return mgr.ports.create(ctx, {"network_id": n["id"]})["fixed_ips"][0]["ip_address"]
        except Exception as e:  # noqa: BLE001
            assert getattr(e, "type", "") == "IpAddressGenerationFailure", e
            return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        more = [x for x in pool.map(fill, range(30)) if x]
    assert len(set(ips + more + [free])) == 61 == len(ips) + len(more) + 1
    # delete everything: every address is free again
    for p in ports:
        mgr.ports.delete(ctx, p["id"])
    with mgr.db.session() as ses:
        sub = mgr.subnets.get_row(ses, None, s["id"])
        assert len(mgr.ipam.used(ses, sub.id)) == 61 - 40
