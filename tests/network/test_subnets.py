"""Subnets and subnet pools through the API: IPv4/IPv6 (SLAAC, DHCPv6), pools,
gateway, host routes, DNS, DHCP port, overlap and in-use errors."""

from __future__ import annotations

import ipaddress

from tests.network.conftest import NetFixture


def _type(r: object) -> str:
    return r.json()["NeutronError"]["type"]  # type: ignore[attr-defined,no-any-return]


def test_ipv4_defaults(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "10.1.0.0/24", dns_nameservers=["8.8.8.8"],
                   host_routes=[{"destination": "10.2.0.0/24", "nexthop": "10.1.0.254"}])
    assert s["gateway_ip"] == "10.1.0.1" and s["enable_dhcp"] is True and s["ip_version"] == 4
    assert s["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert s["dns_nameservers"] == ["8.8.8.8"]
    assert s["host_routes"] == [{"destination": "10.2.0.0/24", "nexthop": "10.1.0.254"}]
    got = net.ok("GET", f"/networks/{n['id']}", net.member)["network"]
    assert got["subnets"] == [s["id"]]
    # the DHCP port holds an address from the pool
    dhcp = net.ok("GET", f"/ports?network_id={n['id']}&device_owner=network:dhcp", net.member)["ports"]
    assert len(dhcp) == 1 and dhcp[0]["fixed_ips"][0]["subnet_id"] == s["id"]


def test_gateway_pools_and_updates(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "10.3.0.0/24", gateway_ip="10.3.0.254",
                   allocation_pools=[{"start": "10.3.0.10", "end": "10.3.0.20"}], enable_dhcp=False)
    assert s["gateway_ip"] == "10.3.0.254"
    u = net.ok("PUT", f"/subnets/{s['id']}", net.member, json={"subnet": {
        "name": "new", "gateway_ip": "10.3.0.253", "dns_nameservers": ["1.1.1.1", "8.8.4.4"],
        "host_routes": [], "enable_dhcp": True}})["subnet"]
    assert u["gateway_ip"] == "10.3.0.253" and u["dns_nameservers"] == ["1.1.1.1", "8.8.4.4"]
    assert u["revision_number"] == 1 and u["enable_dhcp"] is True
    # no gateway
    n2 = net.network()
    s2 = net.subnet(n2["id"], "10.4.0.0/24", gateway_ip=None)
    assert s2["gateway_ip"] is None
    assert s2["allocation_pools"] == [{"start": "10.4.0.1", "end": "10.4.0.254"}]


def test_bad_subnets(net: NetFixture) -> None:
    n = net.network()
    net.subnet(n["id"], "10.5.0.0/24")
    cases = [
        ({"cidr": "10.5.0.128/25"}, 400, "InvalidInput"),  # overlap
        ({"cidr": "10.6.0.1/24"}, 400, "InvalidInput"),  # not a network address
        ({"cidr": "nonsense"}, 400, None),
        ({"cidr": "10.7.0.0/24", "ip_version": 6}, 400, None),
        ({"cidr": "10.7.0.0/24", "ip_version": 5}, 400, None),
        ({"cidr": "10.7.0.0/24", "gateway_ip": "10.7.0.5",
          "allocation_pools": [{"start": "10.7.0.2", "end": "10.7.0.9"}]}, 409, None),
        ({"cidr": "10.7.0.0/24", "allocation_pools": [{"start": "10.7.0.2", "end": "10.8.0.9"}]}, 400, None),
        ({"cidr": "10.7.0.0/24", "allocation_pools": [{"start": "10.7.0.9", "end": "10.7.0.2"}]}, 400, None),
        ({"cidr": "10.7.0.0/24", "dns_nameservers": ["1.1.1.1", "1.1.1.1"]}, 400, None),
        ({"cidr": "10.7.0.0/24", "dns_nameservers": ["x"]}, 400, None),
        ({"cidr": "10.7.0.0/24", "host_routes": [{"destination": "x", "nexthop": "1.1.1.1"}]}, 400, None),
        ({"cidr": "10.7.0.0/24", "ipv6_ra_mode": "slaac"}, 400, None),
        ({"cidr": "10.7.0.0/24", "enable_dhcp": "sometimes"}, 400, None),
    ]
    for extra, status, typ in cases:
        body = {"network_id": n["id"], "ip_version": 4, **extra}
        r = net.req("POST", "/subnets", net.member, json={"subnet": body})
        assert r.status_code == status, (extra, r.text)
        if typ:
            assert _type(r) == typ
    r = net.req("POST", "/subnets", net.member, json={"subnet": {"ip_version": 4, "cidr": "10.9.9.0/24"}})
    assert r.status_code == 400
    r = net.req("POST", "/subnets", net.member, json={"subnet": {
        "network_id": "00000000-0000-0000-0000-000000000000", "ip_version": 4, "cidr": "10.9.9.0/24"}})
    assert r.status_code == 404 and _type(r) == "NetworkNotFound"


def test_ipv6_modes(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "2001:db8:1::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    assert s["gateway_ip"] == "2001:db8:1::1"
    assert s["allocation_pools"] == [{"start": "2001:db8:1::2", "end": "2001:db8:1:0:ffff:ffff:ffff:ffff"}]
    p = net.port(n["id"])
    mac = p["mac_address"]
    ip = ipaddress.ip_address(p["fixed_ips"][0]["ip_address"])
    m = int(mac.replace(":", ""), 16)
    expected = ((m >> 24) << 40 | 0xFFFE << 24 | (m & 0xFFFFFF)) ^ (1 << 57)
    assert int(ip) & (2**64 - 1) == expected
    # an auto address cannot be asked for
    r = net.req("POST", "/ports", net.member, json={"port": {
        "network_id": n["id"], "fixed_ips": [{"subnet_id": s["id"], "ip_address": "2001:db8:1::99"}]}})
    assert r.status_code == 400
    # SLAAC needs a /64; mismatched modes are refused
    n2 = net.network()
    for ra, am, cidr in (("slaac", "slaac", "2001:db8:2::/80"), ("slaac", "dhcpv6-stateful", "2001:db8:2::/64"),
                         ("dhcpv6-stateless", "slaac", "2001:db8:2::/64")):
        r = net.req("POST", "/subnets", net.member, json={"subnet": {
            "network_id": n2["id"], "ip_version": 6, "cidr": cidr, "ipv6_ra_mode": ra, "ipv6_address_mode": am}})
        assert r.status_code == 400, (ra, am, cidr)
    st = net.subnet(n2["id"], "2001:db8:3::/64", ipv6_ra_mode="dhcpv6-stateful",
                    ipv6_address_mode="dhcpv6-stateful")
    p = net.port(n2["id"], fixed_ips=[{"subnet_id": st["id"], "ip_address": "2001:db8:3::10"}])
    assert p["fixed_ips"][0]["ip_address"] == "2001:db8:3::10"
    r = net.req("POST", "/ports", net.member, json={"port": {
        "network_id": n2["id"], "fixed_ips": [{"subnet_id": st["id"], "ip_address": "2001:db8:3::10"}]}})
    assert r.status_code == 409 and _type(r) == "IpAddressAlreadyAllocated"
    r = net.req("POST", "/ports", net.member, json={"port": {
        "network_id": n2["id"], "fixed_ips": [{"subnet_id": st["id"], "ip_address": "2001:db8:4::10"}]}})
    assert r.status_code == 400


def test_delete_subnet_in_use(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "10.11.0.0/24")
    p = net.port(n["id"])
    r = net.req("DELETE", f"/subnets/{s['id']}", net.member)
    assert r.status_code == 409 and _type(r) == "SubnetInUse"
    net.ok("DELETE", f"/ports/{p['id']}", net.member, 204)
    assert net.req("DELETE", f"/subnets/{s['id']}", net.member).status_code == 204
    # the DHCP port went with the last DHCP subnet
    assert net.ok("GET", f"/ports?network_id={n['id']}", net.member)["ports"] == []


def test_subnet_visibility(net: NetFixture) -> None:
    n = net.network()
    s = net.subnet(n["id"], "10.12.0.0/24")
    assert net.req("GET", f"/subnets/{s['id']}", net.other).status_code == 404
    assert net.req("DELETE", f"/subnets/{s['id']}", net.other).status_code == 404
    assert net.req("DELETE", f"/subnets/{s['id']}", net.reader).status_code == 403
    assert net.ok("GET", f"/subnets/{s['id']}", net.reader)["subnet"]["id"] == s["id"]
    r = net.req("POST", "/subnets", net.other, json={"subnet": {
        "network_id": n["id"], "ip_version": 4, "cidr": "10.13.0.0/24"}})
    assert r.status_code == 404


def test_subnet_pools(net: NetFixture) -> None:
    pool = net.ok("POST", "/subnetpools", net.member, 201, json={"subnetpool": {
        "name": "p", "prefixes": ["10.100.0.0/16"], "default_prefixlen": 24}})["subnetpool"]
    assert pool["ip_version"] == 4 and pool["min_prefixlen"] == 8 and pool["max_prefixlen"] == 32
    n = net.network()
    a = net.ok("POST", "/subnets", net.member, 201, json={"subnet": {
        "network_id": n["id"], "ip_version": 4, "subnetpool_id": pool["id"]}})["subnet"]
    assert a["cidr"] == "10.100.0.0/24" and a["subnetpool_id"] == pool["id"]
    n2 = net.network()
    b = net.ok("POST", "/subnets", net.member, 201, json={"subnet": {
        "network_id": n2["id"], "ip_version": 4, "subnetpool_id": pool["id"], "prefixlen": 28}})["subnet"]
    assert ipaddress.ip_network(b["cidr"]).prefixlen == 28
    assert not ipaddress.ip_network(b["cidr"]).overlaps(ipaddress.ip_network(a["cidr"]))
    r = net.req("POST", "/subnets", net.member, json={"subnet": {
        "network_id": n2["id"], "ip_version": 4, "subnetpool_id": pool["id"], "prefixlen": 4}})
    assert r.status_code == 400
    small = net.ok("POST", "/subnetpools", net.member, 201, json={"subnetpool": {
        "name": "s", "prefixes": ["10.200.0.0/30"], "default_prefixlen": 30}})["subnetpool"]
    n3 = net.network()
    net.ok("POST", "/subnets", net.member, 201, json={"subnet": {
        "network_id": n3["id"], "ip_version": 4, "subnetpool_id": small["id"]}})
    n4 = net.network()
    r = net.req("POST", "/subnets", net.member, json={"subnet": {
        "network_id": n4["id"], "ip_version": 4, "subnetpool_id": small["id"]}})
    assert r.status_code == 409
    r = net.req("DELETE", f"/subnetpools/{pool['id']}", net.member)
    assert r.status_code == 409
    u = net.ok("PUT", f"/subnetpools/{pool['id']}", net.member, json={"subnetpool": {
        "prefixes": ["10.100.0.0/16", "10.101.0.0/16"]}})["subnetpool"]
    assert u["prefixes"] == ["10.100.0.0/15"]
    assert net.req("GET", f"/subnetpools/{pool['id']}", net.other).status_code == 404
    r = net.req("POST", "/subnetpools", net.member, json={"subnetpool": {"prefixes": ["10.0.0.0/8", "fd00::/8"]}})
    assert r.status_code == 400
