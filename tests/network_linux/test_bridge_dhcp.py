"""One network: two guests get their addresses from dnsmasq and reach each other."""

from __future__ import annotations

from typing import Any

from onestack.network.drivers import linux_links as links
from tests.network_linux.conftest import default_rules, in_ns, network, pings, port, subnet


def test_two_guests_get_leases_and_ping(driver: Any, guests: Any) -> None:
    s = subnet("10.91.0.0/24", gateway="10.91.0.1", dns_nameservers=["10.91.0.53"])
    dhcp_port = port(s, "10.91.0.2", owner="network:dhcp")
    a = port(s, "10.91.0.11", security_group_rules=default_rules(ingress_from=None))
    b = port(s, "10.91.0.12", security_group_rules=default_rules(ingress_from=None))
    net = network([s], [dhcp_port, a, b])
    driver.sync_network(net)

    assert links.link_exists(links.bridge_name(net.id))
    assert links.dhcp_ns(net.id) in links.namespaces()

    ga, gb = guests.new(), guests.new()
    assert driver.plug_veth(net, a.id, ga) == links.tap_name(a.id)
    driver.plug_veth(net, b.id, gb)
    lease = guests.dhcp(ga)
    assert lease["ip"] == "10.91.0.11"
    assert lease["mask"] == "24"
    assert lease["router"] == "10.91.0.1"
    assert lease["dns"] == "10.91.0.53"
    assert lease["mtu"] == "1450"
    # metadata through the DHCP port, and the default route repeated (option 121)
    assert lease["staticroutes"] == "169.254.169.254/32 10.91.0.2 0.0.0.0/0 10.91.0.1"
    assert lease["hostname"] == "host-10-91-0-11"
    assert guests.dhcp(gb)["ip"] == "10.91.0.12"
    assert pings(ga, "10.91.0.12")
    assert pings(gb, "10.91.0.11")


def test_dual_stack_dnsmasq_serves_dhcpv6(driver: Any, guests: Any) -> None:
    from onestack.network.drivers.base import FixedIP

    v4 = subnet("10.90.0.0/24", gateway="10.90.0.1")
    v6 = subnet("fd00:90::/64", gateway="fd00:90::1", ipv6_address_mode="dhcpv6-stateful",
                ipv6_ra_mode="dhcpv6-stateful")
    d = port(v4, "10.90.0.2", owner="network:dhcp")
    d.fixed_ips.append(FixedIP(v6.id, "fd00:90::2"))
    a = port(v4, "10.90.0.11", security_group_rules=default_rules(ingress_from=None))
    a.fixed_ips.append(FixedIP(v6.id, "fd00:90::11"))
    net = network([v4, v6], [d, a])
    driver.sync_network(net)
    ns = links.dhcp_ns(net.id)
    sockets = in_ns(ns, "ss", "-uln").stdout
    assert ":67 " in sockets and ":547 " in sockets
    addrs = in_ns(ns, "ip", "addr").stdout
    assert "10.90.0.2/24" in addrs and "fd00:90::2/64" in addrs and "169.254.169.254/32" in addrs
    g = guests.new()
    driver.plug_veth(net, a.id, g)
    assert guests.dhcp(g)["ip"] == "10.90.0.11"
