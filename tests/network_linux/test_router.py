"""Routers: between tenant networks, SNAT out of the gateway, floating IPs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onestack.network.drivers import linux_links as links
from onestack.network.drivers.base import FloatingIPState, RouterInterfaceState, RouterState
from tests.network_linux.conftest import (
    ICMP_IN,
    default_rules,
    in_ns,
    mac,
    network,
    pings,
    pings_eventually,
    port,
    subnet,
    uid,
)


def _guest(driver: Any, guests: Any, net: Any, p: Any, cidr: str, gw: str) -> str:
    g = guests.new()
    driver.plug_veth(net, p.id, g)
    in_ns(g, "ip", "addr", "add", cidr, "dev", "eth0")
    in_ns(g, "ip", "link", "set", "eth0", "up")
    in_ns(g, "ip", "route", "add", "default", "via", gw)
    return g


def _itf(net: Any, cidr: str, ip_cidr: str) -> RouterInterfaceState:
    return RouterInterfaceState(port_id=uid(), network_id=net.id, mac_address=mac(), ip_cidrs=[ip_cidr], subnet_cidrs=[cidr])


def test_router_routes_snats_and_floating_ip(driver: Any, guests: Any) -> None:
    ext_s = subnet("172.30.9.0/24", gateway="172.30.9.1", dhcp=False)
    outside_port = port(ext_s, "172.30.9.1", port_security_enabled=False)
    ext = network([ext_s], [outside_port], vni=300, external=True)
    s1 = subnet("10.93.1.0/24", gateway="10.93.1.1", dhcp=False)
    s2 = subnet("10.93.2.0/24", gateway="10.93.2.1", dhcp=False)
    rules = default_rules() + [ICMP_IN]
    a = port(s1, "10.93.1.11", security_group_rules=rules)
    b = port(s2, "10.93.2.11", security_group_rules=rules)
    n1 = network([s1], [a], vni=301)
    n2 = network([s2], [b], vni=302)
    for n in (ext, n1, n2):
        driver.sync_network(n)

    router = RouterState(
        id=uid(), project_id="p1", admin_state_up=True,
        gateway=_itf(ext, "172.30.9.0/24", "172.30.9.10/24"), gateway_nexthop="172.30.9.1", enable_snat=True,
        interfaces=[_itf(n1, "10.93.1.0/24", "10.93.1.1/24"), _itf(n2, "10.93.2.0/24", "10.93.2.1/24")],
        floating_ips=[FloatingIPState(id=uid(), floating_ip_address="172.30.9.20", fixed_ip_address="10.93.1.11")],
    )
    driver.sync_router(router)
    assert links.router_ns(router.id) in links.namespaces()

    ga = _guest(driver, guests, n1, a, "10.93.1.11/24", "10.93.1.1")
    gb = _guest(driver, guests, n2, b, "10.93.2.11/24", "10.93.2.1")
    outside = guests.new()
    driver.plug_veth(ext, outside_port.id, outside)
    in_ns(outside, "ip", "addr", "add", "172.30.9.1/24", "dev", "eth0")
    in_ns(outside, "ip", "link", "set", "eth0", "up")

    # east-west through the router
    assert pings_eventually(ga, "10.93.2.11")
    assert pings(gb, "10.93.1.11")
    # the floating IP answers from outside; the guest is seen there as its floating IP
    assert pings_eventually(outside, "172.30.9.20")
    # without a floating IP, b gets out by SNAT (outside has no route back to 10.93.0.0/16)
    assert pings_eventually(gb, "172.30.9.1")
    # a goes out as its floating IP: outside answers only what it can route
    assert pings(ga, "172.30.9.1")

    # floating IP removed: it no longer answers
    router.floating_ips = []
    driver.sync_router(router)
    assert not pings(outside, "172.30.9.20")

    # the second interface removed: b is cut off from a
    router.interfaces = router.interfaces[:1]
    driver.sync_router(router)
    assert not pings(ga, "10.93.2.11")
    assert links.tap_name(router.interfaces[0].port_id) in links.our_links(driver.marker)

    driver.delete_router(router.id)
    assert links.router_ns(router.id) not in links.namespaces()
    assert not pings(gb, "172.30.9.1")


def test_router_extra_routes_and_no_snat(driver: Any, guests: Any) -> None:
    ext_s = subnet("172.30.8.0/24", gateway="172.30.8.1", dhcp=False)
    ext = network([ext_s], [], vni=310, external=True)
    s1 = subnet("10.94.1.0/24", gateway="10.94.1.1", dhcp=False)
    n1 = network([s1], [], vni=311)
    driver.sync_network(ext)
    driver.sync_network(n1)
    router = RouterState(
        id=uid(), project_id="p1", admin_state_up=True,
        gateway=_itf(ext, "172.30.8.0/24", "172.30.8.10/24"), gateway_nexthop="172.30.8.1", enable_snat=False,
        interfaces=[_itf(n1, "10.94.1.0/24", "10.94.1.1/24")], routes=[("192.168.77.0/24", "10.94.1.50")],
    )
    driver.sync_router(router)
    ns = links.router_ns(router.id)
    routes = in_ns(ns, "ip", "route").stdout
    assert "default via 172.30.8.1" in routes
    assert "192.168.77.0/24 via 10.94.1.50" in routes
    assert "snat" not in in_ns(ns, "nft", "list", "ruleset").stdout
    router.routes = []
    driver.sync_router(router)
    assert "192.168.77.0/24" not in in_ns(ns, "ip", "route").stdout


def _eui64(prefix: str, mac_address: str) -> str:
    import ipaddress

    b = [int(x, 16) for x in mac_address.split(":")]
    b[0] ^= 0x02
    iid = int.from_bytes(bytes(b[:3] + [0xFF, 0xFE] + b[3:]), "big")
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Network(prefix).network_address) | iid))


def test_ipv6_slaac_router_advertisements(driver: Any, guests: Any) -> None:
    import time

    from onestack.network.drivers.base import FixedIP

    s6 = subnet("fd00:93::/64", gateway="fd00:93::1", dhcp=True, ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    a = port(s6, "fd00:93::5", security_group_rules=default_rules())
    a.fixed_ips = [FixedIP(s6.id, _eui64("fd00:93::/64", a.mac_address))]
    n = network([s6], [a], vni=320)
    driver.sync_network(n)
    router = RouterState(
        id=uid(), project_id="p1", admin_state_up=True, gateway=None, gateway_nexthop=None, enable_snat=True,
        interfaces=[_itf(n, "fd00:93::/64", "fd00:93::1/64")],
    )
    driver.sync_router(router)
    g = guests.new()
    driver.plug_veth(n, a.id, g)
    in_ns(g, "ip", "link", "set", "eth0", "up")
    want = a.fixed_ips[0].ip_address
    deadline = time.monotonic() + 15
    addrs = ""
    while time.monotonic() < deadline:
        addrs = in_ns(g, "ip", "-6", "addr", "show", "dev", "eth0").stdout
        if want in addrs and "tentative" not in addrs:
            break
        time.sleep(0.3)
    assert f"{want}/64" in addrs
    assert "default via fe80::" in in_ns(g, "ip", "-6", "route").stdout
    assert in_ns(g, "ping", "-6", "-c", "1", "-W", "2", "fd00:93::1", check=False).returncode == 0
    router.interfaces = []
    driver.sync_router(router)
    assert not (Path(driver.state_path) / "routers" / router.id / "ra.pid").exists() or not links.alive(
        int((Path(driver.state_path) / "routers" / router.id / "ra.pid").read_text())
    )
