"""What the driver writes (dnsmasq files and argv, nftables rulesets), checked
without touching the host: runs without root."""

from __future__ import annotations

from pathlib import Path

from onestack.network.drivers import linux_dhcp as dhcp
from onestack.network.drivers import linux_nft as nft
from onestack.network.drivers.base import (
    FloatingIPState,
    RouterInterfaceState,
    RouterState,
    SecurityGroupRuleState,
)
from tests.network_linux.conftest import default_rules, network, port, subnet

R = SecurityGroupRuleState


def test_dnsmasq_dual_stack_files_and_argv() -> None:
    v4 = subnet("10.1.0.0/24", gateway="10.1.0.1", host_routes=[("192.168.0.0/16", "10.1.0.254")])
    v6 = subnet("fd00:1::/64", gateway="fd00:1::1", ipv6_address_mode="dhcpv6-stateful",
                ipv6_ra_mode="dhcpv6-stateful", dns_nameservers=["fd00::53"])
    slaac = subnet("fd00:2::/64", gateway="fd00:2::1", ipv6_address_mode="slaac", ipv6_ra_mode="slaac")
    d = port(v4, "10.1.0.2", owner="network:dhcp")
    g = port(v4, "10.1.0.5", dns_name="web")
    g.fixed_ips.append(type(g.fixed_ips[0])(v6.id, "fd00:1::5"))
    net = network([v4, v6, slaac], [d, g])

    hosts, addn = dhcp.render_hosts(net, "example.org.")
    assert hosts == (
        f"{g.mac_address},set:port-{g.id},web.example.org,10.1.0.5\n"
        f"{g.mac_address},set:port-{g.id},web.example.org,[fd00:1::5]\n"
    )
    assert addn == "10.1.0.5\tweb.example.org web\nfd00:1::5\tweb.example.org web\n"
    opts = dhcp.render_opts(net, "10.1.0.2")
    assert f"tag:subnet-{v4.id},option:router,10.1.0.1" in opts
    assert (f"tag:subnet-{v4.id},option:classless-static-route,"
            "192.168.0.0/16,10.1.0.254,169.254.169.254/32,10.1.0.2,0.0.0.0/0,10.1.0.1") in opts
    assert f"tag:subnet-{v6.id},option6:dns-server,[fd00::53]" in opts

    argv = dhcp.command(net, Path("/s"), "ns-x", "example.org.")
    assert "--no-hosts" in argv and "--no-resolv" in argv and "--conf-file=/s/conf" in argv
    assert f"--dhcp-range=set:subnet-{v4.id},10.1.0.0,static,255.255.255.0,86400s" in argv
    assert f"--dhcp-range=set:subnet-{v6.id},fd00:1::,static,64,86400s" in argv
    assert not any(slaac.id in a for a in argv)  # SLAAC: no DHCPv6 addresses


def test_security_group_rules_render() -> None:
    s = subnet("10.2.0.0/24", gateway=None)
    p = port(s, "10.2.0.5", allowed_address_pairs=[("10.2.0.100/30", "fa:16:3e:aa:bb:cc")])
    p.security_group_rules = default_rules() + [
        R("ingress", "IPv4", "tcp", 22, 22, remote_ips=("0.0.0.0/0",)),
        R("ingress", "IPv4", "udp", 1000, 2000),
        R("ingress", "IPv4", "icmp", 8, 0),
        R("ingress", "IPv6", "ipv6-icmp"),
        R("ingress", "IPv4", "112"),
        R("ingress", "IPv4", None, remote_ips=()),  # an empty remote group: matches nothing
    ]
    f = nft.PortFilter.from_port("tapX", p)
    text = nft.host_ruleset("abc", {"brqX": 7}, [nft.PortFilter.from_json(nft.loads(nft.dumps([f]))[0].__dict__)])
    assert "table bridge onestack-abc {" in text and "table inet onestack-abc {" in text
    assert "meta nfproto ipv4 ip saddr { 0.0.0.0/0 } meta l4proto tcp th dport 22 accept" in text
    assert "meta nfproto ipv4 meta l4proto udp th dport 1000-2000 accept" in text
    assert "meta nfproto ipv4 meta l4proto icmp icmp type 8 icmp code 0 accept" in text
    assert "meta nfproto ipv6 meta l4proto ipv6-icmp accept" in text
    assert "meta nfproto ipv4 meta l4proto 112 accept" in text
    assert "{  }" not in text
    assert "ether saddr . ip saddr { fa:16:3e" in text and "fa:16:3e:aa:bb:cc . 10.2.0.100/30" in text
    assert 'ct zone set iifname map { "brqX" : 7 }' in text
    # no ports, no bridges: the tables are only removed
    assert nft.host_ruleset("abc", {}, []).count("{") == 0


def test_router_nat_renders() -> None:
    gw = RouterInterfaceState("gwport", "ext", "fa:16:3e:00:00:01", ["172.24.4.10/24"], ["172.24.4.0/24"])
    itf = RouterInterfaceState("p1", "n1", "fa:16:3e:00:00:02", ["10.0.0.1/24"], ["10.0.0.0/24"])
    r = RouterState("r", "p", True, gw, "172.24.4.1", True, [itf],
                    floating_ips=[FloatingIPState("f", "172.24.4.20", "10.0.0.5")])
    text = nft.router_ruleset(r, "qg-gwport")
    assert "ip daddr 172.24.4.20 dnat to 10.0.0.5" in text
    assert 'oifname "qg-gwport" ip saddr 10.0.0.5 snat to 172.24.4.20' in text
    assert 'oifname "qg-gwport" ip saddr { 10.0.0.0/24 } snat to 172.24.4.10' in text
    r.enable_snat = False
    assert "172.24.4.10" not in nft.router_ruleset(r, "qg-gwport")
