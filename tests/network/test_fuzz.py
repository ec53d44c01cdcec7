"""Hypothesis: random bodies, paths and query strings never produce a 5xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.network.conftest import NetFixture

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20)
    | st.sampled_from(["10.0.0.0/24", "10.0.0.5", "fd00::/64", "fa:16:3e:00:00:01", "slaac", "true", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
NET_KEYS = ["name", "admin_state_up", "shared", "router:external", "mtu", "port_security_enabled",
            "availability_zone_hints", "provider:network_type", "provider:segmentation_id", "description",
            "is_default", "dns_domain", "project_id"]
SUBNET_KEYS = ["network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "dns_nameservers",
               "host_routes", "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "prefixlen",
               "name", "use_default_subnetpool"]
PORT_KEYS = ["network_id", "fixed_ips", "mac_address", "device_id", "device_owner", "security_groups",
             "allowed_address_pairs", "port_security_enabled", "binding:host_id", "binding:profile",
             "binding:vnic_type", "name", "extra_dhcp_opts"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def target(net: NetFixture) -> dict[str, str]:
    n = net.network()
    s = net.subnet(n["id"], "10.0.0.0/24")
    return {"network": n["id"], "subnet": s["id"]}


def _bodies(keys: list[str]) -> Any:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=6)


@SETTINGS
@given(body=_bodies(NET_KEYS), admin=st.booleans())
def test_network_bodies(net: NetFixture, body: dict[str, Any], admin: bool) -> None:
    r = net.req("POST", "/networks", None if admin else net.member, json={"network": body})
    assert r.status_code < 500, r.text


@SETTINGS
@given(body=_bodies(SUBNET_KEYS), use_net=st.booleans())
def test_subnet_bodies(net: NetFixture, target: dict[str, str], body: dict[str, Any], use_net: bool) -> None:
    if use_net:
        body["network_id"] = target["network"]
    r = net.req("POST", "/subnets", net.member, json={"subnet": body})
    assert r.status_code < 500, r.text
    if r.status_code == 201:
        net.req("DELETE", f"/subnets/{r.json()['subnet']['id']}", net.member)
    r = net.req("PUT", f"/subnets/{target['subnet']}", net.member, json={"subnet": {
        k: v for k, v in body.items() if k not in ("network_id", "ip_version", "cidr")}})
    assert r.status_code < 500, r.text


@SETTINGS
@given(body=_bodies(PORT_KEYS), use_net=st.booleans(), admin=st.booleans())
def test_port_bodies(net: NetFixture, target: dict[str, str], body: dict[str, Any], use_net: bool,
                     admin: bool) -> None:
    if use_net:
        body["network_id"] = target["network"]
    r = net.req("POST", "/ports", None if admin else net.member, json={"port": body})
    assert r.status_code < 500, r.text
    if r.status_code == 201:
        pid = r.json()["port"]["id"]
        body.pop("network_id", None)
        r = net.req("PUT", f"/ports/{pid}", None if admin else net.member, json={"port": body})
        assert r.status_code < 500, r.text
        net.req("DELETE", f"/ports/{pid}")


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["limit", "marker", "sort_key", "sort_dir", "fields", "name",
                                              "tags", "tags-any", "not-tags", "page_reverse", "shared",
                                              "fixed_ips", "ip_version", "admin_state_up", "id"]),
                             st.text(max_size=15), max_size=4),
       path=st.sampled_from(["/networks", "/subnets", "/ports", "/subnetpools", "/quotas", "/extensions"]))
def test_lists(net: NetFixture, query: dict[str, str], path: str) -> None:
    r = net.req("GET", path, net.member, params=query)
    assert r.status_code < 500, r.text


@SETTINGS
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
       body=json_values)
def test_paths(net: NetFixture, segment: str, body: Any) -> None:
    seg = quote(segment, safe="")
    for method, path in (("GET", f"/networks/{seg}"), ("PUT", f"/subnets/{seg}"), ("DELETE", f"/ports/{seg}"),
                         ("PUT", f"/networks/{seg}/tags/{seg}"), ("PUT", f"/quotas/{seg}"),
                         ("GET", f"/quotas/{seg}/details"), ("PUT", f"/networks/{seg}/tags"),
                         ("GET", f"/extensions/{seg}")):
        r = net.req(method, path, None, json=body if method == "PUT" else None)
        assert r.status_code < 500, (method, path, r.text)
