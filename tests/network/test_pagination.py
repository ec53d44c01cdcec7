"""Neutron list pagination (``limit``, ``marker``, ``page_reverse``, ``sort_key``/``sort_dir``)
when the sort key has NULLs and duplicates: following the ``next`` links (or the ``previous``
links from the end) yields every row exactly once, in the order of the unpaginated list, and
that order puts NULLs first ascending and last descending on every database."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

import pytest

from tests.network.conftest import API, NetFixture

# (collection, the query that selects this test's rows, the sort keys and dirs)
CASES = [
    ("security_group_rules", "protocol", ["asc"]),
    ("security_group_rules", "protocol", ["desc"]),
    ("security_group_rules", "port_range_min", ["asc"]),
    ("security_group_rules", "port_range_min", ["desc"]),
    ("security_group_rules", "protocol,port_range_min", ["asc", "desc"]),
    ("security_group_rules", "protocol,port_range_min", ["desc", "asc"]),
    ("security_group_rules", "remote_group_id,protocol", ["desc", "desc"]),
    ("subnets", "gateway_ip", ["asc"]),
    ("subnets", "gateway_ip", ["desc"]),
    ("subnets", "gateway_ip,name", ["asc", "desc"]),
    # a boolean key (no NULLs): the marker's True/False is compared too
    ("networks", "admin_state_up", ["asc"]),
    ("networks", "admin_state_up,shared", ["desc", "asc"]),
]
PATHS = {"security_group_rules": "/security-group-rules", "subnets": "/subnets", "networks": "/networks"}
NULLABLE = {"protocol", "port_range_min", "remote_group_id", "gateway_ip"}


@pytest.fixture(scope="module")
def rows(net: NetFixture) -> dict[str, str]:
    """Rows whose sortable columns have NULLs and repeated values; for each collection
    the filter that selects exactly them."""
    sg = net.ok("POST", "/security-groups", net.member, 201,
                json={"security_group": {"name": "paging"}})["security_group"]
    other = net.ok("POST", "/security-groups", net.member, 201,
                   json={"security_group": {"name": "paging-remote"}})["security_group"]
    # beside the two default egress rules (protocol and ports NULL)
    for protocol, port, extra in [
        ("tcp", 22, {"remote_ip_prefix": "10.1.0.0/16"}),
        ("tcp", 22, {"remote_ip_prefix": "10.2.0.0/16"}),
        ("tcp", 80, {"remote_group_id": other["id"]}),
        ("udp", 53, {}),
        ("udp", None, {"remote_group_id": other["id"]}),
        ("icmp", None, {}),
        (None, None, {"remote_ip_prefix": "192.168.0.0/24"}),
        (None, None, {"remote_group_id": other["id"]}),
    ]:
        body: dict[str, Any] = {"security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4",
                                "protocol": protocol, **extra}
        if port is not None:
            body |= {"port_range_min": port, "port_range_max": port}
        net.ok("POST", "/security-group-rules", net.member, 201, json={"security_group_rule": body})
    tag = "paging-" + uuid.uuid4().hex[:6]
    nets = []
    for up, shared in [(True, False), (False, False), (True, True), (False, True), (True, False),
                       (False, False), (True, False)]:
        n = net.network(net.fx.admin_token, admin_state_up=up, shared=shared, project_id=net.project_id)
        net.ok("PUT", f"/networks/{n['id']}/tags/{tag}", net.member, 201)
        nets.append(n["id"])
    for i, (gateway, name) in enumerate([(None, "b"), ("10.9.0.1", "a"), (None, "a"), ("10.9.0.1", "b"),
                                          ("10.9.1.1", "a"), (None, "c"), ("10.9.0.9", "a")]):
        net.subnet(nets[i % 2], f"10.9.{i}.0/24", gateway_ip=gateway, name=name, enable_dhcp=False)
    return {"security_group_rules": f"security_group_id={sg['id']}",
            "subnets": "&".join(f"network_id={n}" for n in nets[:2]), "networks": f"tags={tag}"}


def _get(net: NetFixture, url: str) -> dict[str, Any]:
    r = net.fx.client.get(url.removeprefix("http://testserver"), headers={"X-Auth-Token": net.member})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _link(body: dict[str, Any], collection: str, rel: str) -> str | None:
    links = [link["href"] for link in body.get(f"{collection}_links", []) if link["rel"] == rel]
    return links[0] if links else None


def _query(select: str, keys: str, dirs: list[str]) -> str:
    return "&".join([select, *(f"sort_key={k}" for k in keys.split(",")), *(f"sort_dir={d}" for d in dirs)])


def _expected(items: list[dict[str, Any]], keys: str, dirs: list[str]) -> list[str]:
    """The order upstream's sort gives with NULL the smallest value and the id (ascending)
    breaking ties."""
    out = sorted(items, key=lambda i: i["id"])
    for key, d in reversed(list(zip(keys.split(","), dirs, strict=True))):
        out.sort(key=lambda i: (i[key] is not None, "" if i[key] is None else i[key]), reverse=d == "desc")
    return [i["id"] for i in out]


@pytest.mark.parametrize("limit", [2, 3])
@pytest.mark.parametrize(("collection", "keys", "dirs"), CASES)
def test_pages_hold_every_row_once_in_sorted_order(net: NetFixture, rows: dict[str, str], collection: str,
                                                   keys: str, dirs: list[str], limit: int) -> None:
    base = API + PATHS[collection] + "?" + _query(rows[collection], keys, dirs)
    full = _get(net, base)[collection]
    assert len(full) >= 7
    if keys.split(",")[0] in NULLABLE:
        assert any(item[keys.split(",")[0]] is None for item in full)
    assert [i["id"] for i in full] == _expected(full, keys, dirs)
    want = [i["id"] for i in full]

    forward: list[str] = []
    url: str | None = f"{base}&limit={limit}"
    while url and len(forward) <= len(want):
        body = _get(net, url)
        assert len(body[collection]) <= limit
        forward += [i["id"] for i in body[collection]]
        url = _link(body, collection, "next")
    assert forward == want

    # from the end backwards: page_reverse without a marker is the last page
    backward: list[str] = []
    url = f"{base}&limit={limit}&page_reverse=True"
    while url and len(backward) <= len(want):
        body = _get(net, url)
        backward = [i["id"] for i in body[collection]] + backward
        url = _link(body, collection, "previous")
    assert backward == want


def test_marker_on_a_null_row_continues_after_it(net: NetFixture, rows: dict[str, str]) -> None:
    select = rows["security_group_rules"]
    full = _get(net, f"{API}/security-group-rules?{select}&sort_key=protocol")["security_group_rules"]
    nulls = [i["id"] for i in full if i["protocol"] is None]
    assert len(nulls) >= 3 and [i["id"] for i in full[:len(nulls)]] == nulls
    marker = nulls[-1]
    after = _get(net, f"{API}/security-group-rules?{select}&sort_key=protocol&marker={marker}")
    assert [i["id"] for i in after["security_group_rules"]] == [i["id"] for i in full[len(nulls):]]
    before = _get(net, f"{API}/security-group-rules?{select}&sort_key=protocol&marker={marker}&page_reverse=True")
    assert [i["id"] for i in before["security_group_rules"]] == nulls[:-1]
    q = urllib.parse.urlencode({"sort_key": "protocol", "sort_dir": "desc", "marker": nulls[0]})
    last = _get(net, f"{API}/security-group-rules?{select}&{q}")
    assert [i["id"] for i in last["security_group_rules"]] == nulls[1:]
