"""Security group rule values as Neutron's API takes them (the converters of
``neutron/extensions/securitygroup.py`` and the checks of
``securitygroups_db._validate_base_security_group_rule_attributes``), and the key
that makes two rules "the same" (``tcp`` and ``6`` are one protocol)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from onestack.core.errors import BadRequest

PROTO_ANY = (None, "any")
PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46,
    "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
NUM_TO_NAME = {str(v): k for k, v in PROTOCOLS.items() if k != "icmpv6"}
PORT_PROTOCOLS = frozenset({"tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"})
IPV6_ONLY = frozenset({
    "ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route",
    "41", "44", "58", "59", "60", "43",
})
SUPPORTED = ("any", *PROTOCOLS)

def _invalid(message: str, type: str = "InvalidInput") -> BadRequest:
    return BadRequest(message, type=type)


# ---- rule values (neutron/extensions/securitygroup.py converters) --------------------------
def convert_protocol(value: Any) -> str | None:
    if value is None or value == "any":
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        n = int(value)
        if 0 <= n <= 255:
            return str(n)
    elif isinstance(value, str) and value.lower() in PROTOCOLS:
        return value.lower()
    raise _invalid(f"Security group rule protocol {value} not supported. Only protocol values "
                   f"{list(SUPPORTED)} and integer representations [0 to 255] are supported.",
                   "SecurityGroupRuleInvalidProtocol")


def convert_ethertype(value: Any) -> str:
    if isinstance(value, str):
        for e in ("IPv4", "IPv6"):
            if e.lower() == value.lower():
                return e
    raise _invalid(f"Security group rule for ethertype '{value}' not supported. Allowed values "
                   "are ['IPv4', 'IPv6'].", "SecurityGroupRuleInvalidEtherType")


def convert_port(value: Any) -> int | None:
    if value is None:
        return None
    ok = False
    if isinstance(value, int) and not isinstance(value, bool):
        ok = 0 <= value <= 65535
    elif isinstance(value, str) and value.strip().isdigit():
        ok = 0 <= int(value) <= 65535
    if not ok:
        raise _invalid(f"Invalid value for port {value}", "SecurityGroupInvalidPortValue")
    return int(value)


def convert_prefix(value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(ipaddress.ip_interface(value.strip()))
    except ValueError:
        raise _invalid(f"Invalid CIDR {value} given as IP prefix.", "InvalidCIDR") from None


def _proto_number(protocol: str) -> int:
    if protocol.isdigit():
        return int(protocol)
    return PROTOCOLS[protocol]


def _proto_key(protocol: Any, ethertype: str) -> str:
    """Protocol in a form that makes ``tcp`` and ``6`` the same rule."""
    if protocol in PROTO_ANY:
        return "+"
    p = str(protocol)
    if ethertype == "IPv6":
        if p in ("icmp", "icmpv6"):
            p = "ipv6-icmp"
        elif p == "1":
            p = "58"
    if p in PROTOCOLS:
        return str(PROTOCOLS[p])
    return p


def validate_rule(rule: dict[str, Any]) -> None:
    """Upstream's ``_validate_base_security_group_rule_attributes``, in its order."""
    proto = rule.get("protocol")
    if rule["ethertype"] == "IPv6" and proto is not None:
        if proto in ("icmp", "icmpv6"):
            rule["protocol"] = proto = "ipv6-icmp"
        elif proto == "1":
            rule["protocol"] = proto = "58"
    pmin, pmax = rule.get("port_range_min"), rule.get("port_range_max")
    if pmin == 1 and pmax == 65535:
        rule["port_range_min"] = rule["port_range_max"] = pmin = pmax = None
    if pmin is not None or pmax is not None:
        if not proto:
            raise _invalid("Must also specify protocol if port range is given.",
                           "SecurityGroupProtocolRequiredWithPorts")
        num = _proto_number(proto)
        if proto in PORT_PROTOCOLS or str(num) in PORT_PROTOCOLS:
            if pmin == 0 or pmax == 0:
                raise _invalid("Invalid value for port 0", "SecurityGroupInvalidPortValue")
            if pmin is None or pmax is None or pmin > pmax:
                raise _invalid("For TCP/UDP protocols, port_range_min must be <= port_range_max",
                               "SecurityGroupInvalidPortRange")
        elif num in (1, 58):
            for attr, fld in (("port_range_min", "type"), ("port_range_max", "code")):
                v = rule.get(attr)
                if v is not None and not 0 <= v <= 255:
                    raise _invalid(f"Invalid value for ICMP {fld} ({attr}) {v}. It must be 0 to 255.",
                                   "SecurityGroupInvalidIcmpValue")
            if pmin is None and pmax is not None:
                raise _invalid(f"ICMP code (port-range-max) {pmax} is provided but ICMP type "
                               "(port-range-min) is missing.", "SecurityGroupMissingIcmpType")
        else:
            raise _invalid(f"Ports cannot be specified for protocol {num}. Ports are only supported "
                           "for TCP, UDP, SCTP, DCCP, UDPLITE.", "SecurityGroupInvalidProtocolForPort")
    prefix = rule.get("remote_ip_prefix")
    if prefix:
        version = ipaddress.ip_interface(prefix).version
        if rule["ethertype"] != f"IPv{version}":
            raise _invalid(f"Conflicting value ethertype {rule['ethertype']} for CIDR {prefix}",
                           "SecurityGroupRuleParameterConflict")
    if proto in IPV6_ONLY and rule["ethertype"] == "IPv4":
        raise _invalid(f"Invalid ethertype IPv4 for protocol {proto}.",
                       "SecurityGroupEthertypeConflictWithProtocol")
    remotes = [k for k in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")
               if rule.get(k)]
    if len(remotes) > 1:
        raise _invalid("Only one of remote_ip_prefix or remote_group_id or remote_address_group_id "
                       "may be provided.", "SecurityGroupMultipleRemoteEntites")


def rule_key(rule: Mapping[str, Any]) -> tuple[str, ...]:
    def norm(v: Any) -> str:
        return "+" if v is None else str(v)

    prefix = rule.get("remote_ip_prefix")
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None
    return (
        str(rule["direction"]), str(rule["ethertype"]), norm(rule.get("port_range_max")),
        norm(rule.get("port_range_min")), _proto_key(rule.get("protocol"), rule["ethertype"]),
        norm(rule.get("remote_group_id")), norm(prefix), str(rule["security_group_id"]),
    )
