"""Security groups on guest taps: stateful, default deny inbound, live updates,
anti-spoofing, port security off."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.network_linux.conftest import ICMP_IN, default_rules, in_ns, network, pings, port, subnet


def _two_guests(driver: Any, guests: Any, rules_b: list[Any], **kw_b: Any) -> tuple[Any, Any, Any, str, str]:
    s = subnet("10.92.0.0/24", gateway=None, dhcp=False)
    a = port(s, "10.92.0.11", security_group_rules=default_rules())
    b = port(s, "10.92.0.12", security_group_rules=rules_b, **kw_b)
    net = network([s], [a, b])
    driver.sync_network(net)
    ga, gb = guests.new(), guests.new()
    driver.plug_veth(net, a.id, ga)
    driver.plug_veth(net, b.id, gb)
    in_ns(ga, "ip", "addr", "add", "10.92.0.11/24", "dev", "eth0")
    in_ns(ga, "ip", "link", "set", "eth0", "up")
    in_ns(gb, "ip", "addr", "add", "10.92.0.12/24", "dev", "eth0")
    in_ns(gb, "ip", "link", "set", "eth0", "up")
    return net, a, b, ga, gb


def test_default_deny_inbound_and_live_rule_changes(driver: Any, guests: Any) -> None:
    net, a, b, ga, gb = _two_guests(driver, guests, default_rules() + [ICMP_IN])
    assert pings(ga, "10.92.0.12")
    # b's replies are allowed (stateful) although b allows no inbound from anyone but ICMP,
    # and a allows no inbound at all: b cannot start a conversation with a
    assert not pings(gb, "10.92.0.11")

    # remove the ICMP rule: ping stops; put it back: it works again
    b.security_group_rules = default_rules()
    driver.sync_network(net)
    assert not pings(ga, "10.92.0.12")
    b.security_group_rules = default_rules() + [ICMP_IN]
    driver.sync_network(net)
    assert pings(ga, "10.92.0.12")


def test_tcp_rule_by_port_and_remote_prefix(driver: Any, guests: Any) -> None:
    from onestack.network.drivers.base import SecurityGroupRuleState as R

    rules = default_rules() + [R("ingress", "IPv4", "tcp", 8000, 8000, remote_ips=("10.92.0.11/32",))]
    net, a, b, ga, gb = _two_guests(driver, guests, rules)
    server = in_ns(gb, "sh", "-c", "busybox nc -l -p 8000 -e echo hello >/dev/null 2>&1 & echo $!").stdout.strip()
    try:
        out = in_ns(ga, "sh", "-c", "busybox nc -w 2 10.92.0.12 8000 </dev/null", check=False)
        assert out.stdout.strip() == "hello"
        assert not pings(ga, "10.92.0.12")  # only TCP 8000 is open
    finally:
        in_ns(gb, "kill", server, check=False)


def test_anti_spoofing(driver: Any, guests: Any) -> None:
    net, a, b, ga, gb = _two_guests(driver, guests, default_rules() + [ICMP_IN])
    assert pings(ga, "10.92.0.12")
    # a takes another address: nothing it sends from there gets through
    in_ns(ga, "ip", "addr", "flush", "dev", "eth0")
    in_ns(ga, "ip", "addr", "add", "10.92.0.99/24", "dev", "eth0")
    assert not pings(ga, "10.92.0.12")
    # allowed as an address pair, it may
    a.allowed_address_pairs = [("10.92.0.99", None)]
    driver.sync_network(net)
    assert pings(ga, "10.92.0.12")
    # a different MAC: dropped
    in_ns(ga, "ip", "link", "set", "eth0", "address", "fa:16:3e:00:00:01")
    in_ns(ga, "ip", "neigh", "flush", "all")
    in_ns(gb, "ip", "neigh", "flush", "all")
    assert not pings(ga, "10.92.0.12")


def test_port_security_disabled_means_no_filtering(driver: Any, guests: Any) -> None:
    net, a, b, ga, gb = _two_guests(driver, guests, [], port_security_enabled=False)
    assert pings(ga, "10.92.0.12")
    # a still filters its own inbound
    assert not pings(gb, "10.92.0.11")
    a2 = dataclasses.replace(a, port_security_enabled=False)
    net.ports = [a2, b]
    driver.sync_network(net)
    assert pings(gb, "10.92.0.11")
