"""nftables for the ``linux`` driver: security groups on the host, NAT in routers.

Security groups.  This kernel family has no conntrack in the nftables ``bridge``
family everywhere (``nf_conntrack_bridge`` is often not built), so the work is split:

* ``table bridge onestack-<instance>`` sees bridge ports by name.  Its prerouting
  chain jumps, per guest tap, to an anti-spoofing chain (MAC, IP, ARP; no DHCP
  server or router advertisement from a guest) that also writes the port's index in
  the low 16 bits of the packet mark; its forward chain writes the output guest
  port's index in the high 16 bits.
* ``table inet onestack-<instance>`` sees bridged IP (the bridges are made with
  ``nf_call_iptables``/``nf_call_ip6tables``), with conntrack in a zone per
  network: established/related accepted, invalid dropped, then the sending port's
  egress chain and the receiving port's ingress chain, chosen by the mark (verdict
  maps: one lookup each, no per-packet walk over all ports).

Both tables are rebuilt as a whole in one ``nft -f`` transaction whenever a port's
rules change: packets see the old ruleset or the new one, never a mix, and
connections survive (conntrack does not depend on the ruleset).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from onestack.network.drivers.base import PortState, RouterState, SecurityGroupRuleState
from onestack.network.drivers.linux_links import nsenter, run

PORT_PROTOCOLS = {"tcp", "udp", "sctp", "udplite", "dccp", "6", "17", "132", "136", "33"}
PROTO_NUMBERS = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "dccp": 33,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "ipv6-icmp": 58,
    "icmpv6": 58,
    "ipip": 4,
    "ipv6-encap": 41,
    "ospf": 89,
    "pgm": 113,
    "vrrp": 112,
    "sctp": 132,
    "udplite": 136,
}
PORT_PROTO_NAMES = {"6": "tcp", "17": "udp", "132": "sctp", "136": "udplite", "33": "dccp"}


@dataclass
class PortFilter:
    """What the host enforces for one guest tap (persisted as JSON per network)."""

    tap: str
    mac: str
    ips: list[str]
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (cidr, mac)
    rules: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_port(cls, tap: str, port: PortState) -> PortFilter:
        pairs = [(ip, (mac or port.mac_address).lower()) for ip, mac in port.allowed_address_pairs]
        return cls(
            tap=tap,
            mac=port.mac_address.lower(),
            ips=[f.ip_address for f in port.fixed_ips],
            pairs=pairs,
            rules=[asdict(r) for r in port.security_group_rules],
        )

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PortFilter:
        return cls(tap=d["tap"], mac=d["mac"], ips=d["ips"], pairs=[tuple(p) for p in d["pairs"]], rules=d["rules"])  # type: ignore[misc]


def _net(c: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(c, strict=False)


def _set(items: list[str]) -> str:
    return "{ " + ", ".join(items) + " }"


def _rule_match(rule: SecurityGroupRuleState) -> str | None:
    """The nft match for one security group rule (None: matches nothing)."""
    fam = "ip" if rule.ethertype == "IPv4" else "ip6"
    parts = ["meta nfproto " + ("ipv4" if fam == "ip" else "ipv6")]
    if rule.remote_ips is not None:
        nets = [str(_net(c)) for c in rule.remote_ips if _net(c).version == (4 if fam == "ip" else 6)]
        if not nets:
            return None
        where = "saddr" if rule.direction == "ingress" else "daddr"
        parts.append(f"{fam} {where} {_set(nets)}")
    proto = (rule.protocol or "").lower() or None
    if proto in ("any", "0"):
        proto = None
    if proto is not None:
        if proto in ("icmp", "1", "ipv6-icmp", "icmpv6", "58"):
            icmp = "icmp" if fam == "ip" else "icmpv6"
            parts.append(f"meta l4proto {'icmp' if fam == 'ip' else 'ipv6-icmp'}")
            if rule.port_range_min is not None:
                parts.append(f"{icmp} type {rule.port_range_min}")
                if rule.port_range_max is not None:
                    parts.append(f"{icmp} code {rule.port_range_max}")
        elif proto in PORT_PROTOCOLS:
            name = PORT_PROTO_NAMES.get(proto, proto)
            parts.append(f"meta l4proto {name}")
            lo, hi = rule.port_range_min, rule.port_range_max
            if lo is not None or hi is not None:
                lo = lo if lo is not None else 1
                hi = hi if hi is not None else 65535
                parts.append(f"th dport {lo}" if lo == hi else f"th dport {lo}-{hi}")
        else:
            number = int(proto) if proto.isdigit() else PROTO_NUMBERS.get(proto)
            if number is None:
                return None
            parts.append(f"meta l4proto {number}")
    return " ".join(parts)


def _antispoof(idx: int, pf: PortFilter) -> list[str]:
    out = [f"meta mark set meta mark & 0xffff0000 | {idx:#x}"]
    v4 = [(pf.mac, f"{ip}/32") for ip in pf.ips if _net(ip).version == 4]
    v6 = [(pf.mac, f"{ip}/128") for ip in pf.ips if _net(ip).version == 6]
    for cidr, mac in pf.pairs:
        (v4 if _net(cidr).version == 4 else v6).append((mac, str(_net(cidr))))
    v6.append((pf.mac, "fe80::/64"))
    macs = sorted({pf.mac} | {m for _, m in pf.pairs})
    out.append(f"ether saddr != {_set(macs)} drop")
    # no DHCP server, DHCPv6 server or router advertisement from a guest
    out.append("ether type ip udp sport 67 udp dport 68 drop")
    out.append("ether type ip6 udp sport 547 udp dport 546 drop")
    out.append("ether type ip6 icmpv6 type nd-router-advert drop")
    if v4:
        out.append(f"ether type arp arp saddr ether . arp saddr ip {_set([f'{m} . {c}' for m, c in v4])} return")
        out.append(f"ether type ip ether saddr . ip saddr {_set([f'{m} . {c}' for m, c in v4])} return")
    out.append(f"ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 ether saddr {_set(macs)} return")
    out.append(f"ether type ip6 ether saddr . ip6 saddr {_set([f'{m} . {c}' for m, c in v6])} return")
    # duplicate address detection and solicitations before the guest has an address
    out.append("ether type ip6 ip6 saddr :: icmpv6 type { nd-neighbor-solicit, nd-router-solicit, mld2-listener-report } return")
    out.append("drop")
    return out


def _egress(pf: PortFilter) -> list[str]:
    out = [
        "ct state established,related return",
        "ct state invalid drop",
        "meta nfproto ipv4 udp sport 68 udp dport 67 return",
        "meta nfproto ipv6 udp sport 546 udp dport 547 return",
        "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, "
        "mld2-listener-report } return",
    ]
    for r in pf.rules:
        rule = SecurityGroupRuleState(**{**r, "remote_ips": tuple(r["remote_ips"]) if r["remote_ips"] is not None else None})
        if rule.direction == "egress" and (m := _rule_match(rule)):
            out.append(f"{m} return")
    out.append("drop")
    return out


def _ingress(pf: PortFilter) -> list[str]:
    out = [
        "ct state established,related accept",
        "ct state invalid drop",
        "meta nfproto ipv4 udp sport 67 udp dport 68 accept",
        "meta nfproto ipv6 udp sport 547 udp dport 546 accept",
        "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept",
    ]
    for r in pf.rules:
        rule = SecurityGroupRuleState(**{**r, "remote_ips": tuple(r["remote_ips"]) if r["remote_ips"] is not None else None})
        if rule.direction == "ingress" and (m := _rule_match(rule)):
            out.append(f"{m} accept")
    out.append("drop")
    return out


def _chain(name: str, body: list[str], hook: str | None = None) -> list[str]:
    lines = [f"  chain {name} {{"]
    if hook:
        lines.append(f"    {hook}")
    lines += [f"    {b}" for b in body]
    lines.append("  }")
    return lines


def host_ruleset(instance: str, bridges: dict[str, int], filters: list[PortFilter]) -> str:
    """The whole host ruleset: ``bridges`` (name → conntrack zone) and the filters of
    every guest port with port security on this host."""
    table = f"onestack-{instance}"
    lines = [f"table bridge {table}", f"delete table bridge {table}", f"table inet {table}", f"delete table inet {table}"]
    filters = sorted(filters, key=lambda f: f.tap)[:0xFFFF]
    if not bridges:
        return "\n".join(lines) + "\n"
    # ---- bridge family: anti-spoofing and marks
    lines.append(f"table bridge {table} {{")
    pre, fwd = [], []
    if filters:
        pre.append("iifname vmap " + _set([f'"{f.tap}" : jump as-{f.tap}' for f in filters]))
        fwd.append("oifname vmap " + _set([f'"{f.tap}" : jump mo-{f.tap}' for f in filters]))
    lines += _chain("prerouting", pre, "type filter hook prerouting priority -300; policy accept;")
    lines += _chain("forward", fwd, "type filter hook forward priority -300; policy accept;")
    for idx, f in enumerate(filters, 1):
        lines += _chain(f"as-{f.tap}", _antispoof(idx, f))
        lines += _chain(f"mo-{f.tap}", [f"meta mark set meta mark & 0xffff | {idx << 16:#x}"])
    lines.append("}")
    # ---- inet family: conntrack zones and stateful rules
    names = _set([f'"{b}"' for b in sorted(bridges)])
    lines.append(f"table inet {table} {{")
    lines += _chain(
        "prerouting",
        [f"iifname != {names} accept", "ct zone set iifname map " + _set([f'"{b}" : {z}' for b, z in sorted(bridges.items())])],
        "type filter hook prerouting priority -300; policy accept;",
    )
    body = [f"iifname != {names} accept", "meta mark & 0xffffffff == 0 accept"]
    if filters:
        body.append("meta mark & 0xffff vmap " + _set([f"{i:#x} : jump eg-{f.tap}" for i, f in enumerate(filters, 1)]))
        body.append("meta mark & 0xffff0000 vmap " + _set([f"{i << 16:#x} : jump in-{f.tap}" for i, f in enumerate(filters, 1)]))
    lines += _chain("forward", body, "type filter hook forward priority 0; policy accept;")
    for f in filters:
        lines += _chain(f"eg-{f.tap}", _egress(f))
        lines += _chain(f"in-{f.tap}", _ingress(f))
    lines.append("}")
    return "\n".join(lines) + "\n"


def apply(ruleset: str, ns: str | None = None) -> None:
    run([*(nsenter(ns) if ns else []), "nft", "-f", "-"], input=ruleset)


def delete_tables(instance: str) -> None:
    table = f"onestack-{instance}"
    apply(f"table bridge {table}\ndelete table bridge {table}\ntable inet {table}\ndelete table inet {table}\n")


def router_ruleset(router: RouterState, gw_dev: str | None) -> str:
    lines = ["table ip onestack-nat", "delete table ip onestack-nat", "table ip onestack-nat {"]
    pre, out, post = [], [], []
    if router.gateway is not None and gw_dev:
        for fip in sorted(router.floating_ips, key=lambda f: f.floating_ip_address):
            pre.append(f"ip daddr {fip.floating_ip_address} dnat to {fip.fixed_ip_address}")
            out.append(f"ip daddr {fip.floating_ip_address} dnat to {fip.fixed_ip_address}")
            post.append(f'oifname "{gw_dev}" ip saddr {fip.fixed_ip_address} snat to {fip.floating_ip_address}')
        gw4 = [c.split("/")[0] for c in router.gateway.ip_cidrs if _net(c).version == 4]
        subnets = sorted({str(_net(c)) for i in router.interfaces for c in i.subnet_cidrs if _net(c).version == 4})
        if router.enable_snat and gw4 and subnets:
            post.append(f'oifname "{gw_dev}" ip saddr {_set(subnets)} snat to {gw4[0]}')
    lines += _chain("prerouting", pre, "type nat hook prerouting priority dstnat; policy accept;")
    lines += _chain("output", out, "type nat hook output priority -100; policy accept;")
    lines += _chain("postrouting", post, "type nat hook postrouting priority srcnat; policy accept;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dumps(filters: list[PortFilter]) -> str:
    return json.dumps([asdict(f) for f in filters], sort_keys=True, indent=1)


def loads(text: str) -> list[PortFilter]:
    return [PortFilter.from_json(d) for d in json.loads(text)]
