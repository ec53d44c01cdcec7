"""Security group rule validation as upstream (no cloud needed): the converters and
checks behind ``POST /v2.0/security-group-rules``, with Tempest's expected messages."""

from __future__ import annotations

from typing import Any

import pytest

from onestack.core.errors import BadRequest
from onestack.network.manager import sg_rules as sg


def _rule(**kw: Any) -> dict[str, Any]:
    r = {"security_group_id": "g", "direction": "ingress", "ethertype": "IPv4", "protocol": None,
         "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
         "remote_group_id": None, "remote_address_group_id": None}
    r.update(kw)
    return r


def _error(fn: Any, *args: Any) -> BadRequest:
    with pytest.raises(BadRequest) as e:
        fn(*args)
    return e.value


@pytest.mark.parametrize("value,expect", [
    ("tcp", "tcp"), ("TCP", "tcp"), ("6", "6"), (6, "6"), ("any", None), (None, None),
    ("icmp", "icmp"), ("ipv6-icmp", "ipv6-icmp"), ("255", "255"), ("0", "0"),
])
def test_protocols(value: Any, expect: Any) -> None:
    assert sg.convert_protocol(value) == expect


@pytest.mark.parametrize("value", ["bad_protocol_name", "256", "-1", 300, [], {}, 1.5])
def test_bad_protocols(value: Any) -> None:
    assert _error(sg.convert_protocol, value).type == "SecurityGroupRuleInvalidProtocol"


def test_ethertype_is_case_insensitive() -> None:
    assert sg.convert_ethertype("ipv6") == "IPv6"
    assert _error(sg.convert_ethertype, "bad_ethertype").status == 400


@pytest.mark.parametrize("prefix", ["192.168.1./24", "192.168.1.1/33", "bad_prefix", "256", 5])
def test_bad_prefixes(prefix: Any) -> None:
    assert _error(sg.convert_prefix, prefix).type == "InvalidCIDR"


def test_prefix_keeps_host_bits_and_adds_mask() -> None:
    assert sg.convert_prefix("10.0.0.5/24") == "10.0.0.5/24"
    assert sg.convert_prefix("10.0.0.5") == "10.0.0.5/32"
    assert sg.convert_prefix("2001:db8::/64") == "2001:db8::/64"


@pytest.mark.parametrize("pmin,pmax,msg", [
    (-16, 80, "Invalid value for port -16"),
    (80, 79, "port_range_min must be <= port_range_max"),
    (80, 65536, "Invalid value for port 65536"),
    (None, 6, "port_range_min must be <= port_range_max"),
    (-16, 65536, "Invalid value for port"),
])
def test_tcp_ports(pmin: Any, pmax: Any, msg: str) -> None:
    with pytest.raises(BadRequest) as e:
        rule = _rule(protocol="tcp", port_range_min=sg.convert_port(pmin),
                     port_range_max=sg.convert_port(pmax))
        sg.validate_rule(rule)
    assert msg in e.value.message


@pytest.mark.parametrize("pmin,pmax,msg", [
    (1, 256, "Invalid value for ICMP code"),
    (-1, 25, "Invalid value"),
    (None, 6, "ICMP type (port-range-min) is missing"),
    (300, 1, "Invalid value for ICMP type"),
])
def test_icmp_type_code(pmin: Any, pmax: Any, msg: str) -> None:
    with pytest.raises(BadRequest) as e:
        rule = _rule(protocol="icmp", port_range_min=sg.convert_port(pmin),
                     port_range_max=sg.convert_port(pmax))
        sg.validate_rule(rule)
    assert msg in e.value.message


def test_ethertype_must_match_prefix() -> None:
    e = _error(sg.validate_rule, _rule(ethertype="IPv6", remote_ip_prefix="10.0.0.0/24"))
    assert "Conflicting value ethertype IPv6" in e.message
    e = _error(sg.validate_rule, _rule(ethertype="IPv4", remote_ip_prefix="2001:db8::/64"))
    assert "Conflicting value ethertype IPv4" in e.message


def test_remote_group_and_prefix_exclusive() -> None:
    e = _error(sg.validate_rule, _rule(remote_ip_prefix="10.0.0.0/24", remote_group_id="x"))
    assert e.type == "SecurityGroupMultipleRemoteEntites"


def test_ports_need_a_protocol_that_has_ports() -> None:
    assert _error(sg.validate_rule, _rule(port_range_min=22, port_range_max=22)).type == \
        "SecurityGroupProtocolRequiredWithPorts"
    assert _error(sg.validate_rule, _rule(protocol="gre", port_range_min=1, port_range_max=2)).type == \
        "SecurityGroupInvalidProtocolForPort"


def test_ipv6_only_protocol_on_ipv4() -> None:
    assert _error(sg.validate_rule, _rule(protocol="ipv6-icmp")).type == \
        "SecurityGroupEthertypeConflictWithProtocol"


def test_canonical_forms() -> None:
    r = _rule(protocol="tcp", port_range_min=1, port_range_max=65535)
    sg.validate_rule(r)
    assert r["port_range_min"] is None and r["port_range_max"] is None
    r = _rule(ethertype="IPv6", protocol="icmp")
    sg.validate_rule(r)
    assert r["protocol"] == "ipv6-icmp"


def test_duplicate_keys_see_through_names_and_numbers() -> None:
    a = _rule(protocol="tcp", port_range_min=22, port_range_max=22)
    b = _rule(protocol="6", port_range_min=22, port_range_max=22)
    c = _rule(protocol="udp", port_range_min=22, port_range_max=22)
    assert sg.rule_key(a) == sg.rule_key(b) != sg.rule_key(c)
    assert sg.rule_key(_rule(remote_ip_prefix="0.0.0.0/0")) == sg.rule_key(_rule())
