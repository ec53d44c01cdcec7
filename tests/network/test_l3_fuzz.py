"""Hypothesis: random bodies, ids and query strings on the router, floating IP and
security group routes never produce a 5xx (and errors are NeutronError bodies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_cloud
from tests.network.test_l3_api import EXTRA, Net

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20)
    | st.sampled_from(["10.0.0.0/24", "::/0", "tcp", "icmp", "IPv6", "ingress", "0", "65535"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=10,
)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))

ROUTER_KEYS = ["name", "description", "admin_state_up", "external_gateway_info", "routes",
               "distributed", "ha", "project_id", "tags", "bogus"]
FIP_KEYS = ["floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address", "subnet_id",
            "description", "project_id", "tags"]
SG_KEYS = ["name", "description", "stateful", "project_id", "tags"]
RULE_KEYS = ["security_group_id", "direction", "ethertype", "protocol", "port_range_min",
             "port_range_max", "remote_ip_prefix", "remote_group_id", "description"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    for fx in make_cloud(tmp_path_factory.mktemp("l3fuzz"), extra=EXTRA):
        net = Net(fx)
        net.member = fx.admin_token
        pub = net.ok("POST", "/networks", expect=201, json={"network": {
            "name": "ext", "router:external": True}})["network"]
        net.ok("POST", "/subnets", expect=201, json={"subnet": {
            "network_id": pub["id"], "cidr": "172.26.0.0/24", "ip_version": 4}})
        _, s = net.network("10.60.0.0/24")
        router = net.router()
        sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {
            "name": "f"}})["security_group"]
        fip = net.ok("POST", "/floatingips", expect=201, json={"floatingip": {
            "floating_network_id": pub["id"]}})["floatingip"]
        ids = {"router": router["id"], "sg": sg["id"], "fip": fip["id"], "public": pub["id"],
               "subnet": s["id"]}
        yield {"net": net, "ids": ids}


def _ok(r: Any) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400 and r.status_code != 404 or r.status_code == 404 and r.content:
        assert "NeutronError" in r.json(), r.text


def _known(ids: dict[str, str]) -> Any:
    return st.sampled_from(list(ids.values())) | json_values


@SETTINGS
@given(data=st.data())
def test_router_bodies(env: dict[str, Any], data: Any) -> None:
    net, ids = env["net"], env["ids"]
    body = data.draw(st.dictionaries(st.sampled_from(ROUTER_KEYS), _known(ids), max_size=4))
    wrap = data.draw(st.booleans())
    _ok(net.req("POST", "/routers", json={"router": body} if wrap else body))
    body.pop("routes", None) if data.draw(st.booleans()) else None
    _ok(net.req("PUT", f"/routers/{ids['router']}", json={"router": body}))
    iface = data.draw(st.dictionaries(st.sampled_from(["subnet_id", "port_id"]), _known(ids), max_size=2))
    _ok(net.req("PUT", f"/routers/{ids['router']}/add_router_interface", json=iface))
    _ok(net.req("PUT", f"/routers/{ids['router']}/remove_router_interface", json=iface))


@SETTINGS
@given(data=st.data())
def test_floatingip_bodies(env: dict[str, Any], data: Any) -> None:
    net, ids = env["net"], env["ids"]
    body = data.draw(st.dictionaries(st.sampled_from(FIP_KEYS), _known(ids), max_size=4))
    r = net.req("POST", "/floatingips", json={"floatingip": body})
    _ok(r)
    if r.status_code == 201:
        net.req("DELETE", f"/floatingips/{r.json()['floatingip']['id']}")
    upd = data.draw(st.dictionaries(st.sampled_from(["port_id", "fixed_ip_address", "description"]),
                                    _known(ids), max_size=2))
    _ok(net.req("PUT", f"/floatingips/{ids['fip']}", json={"floatingip": upd}))


@SETTINGS
@given(data=st.data())
def test_security_group_bodies(env: dict[str, Any], data: Any) -> None:
    net, ids = env["net"], env["ids"]
    body = data.draw(st.dictionaries(st.sampled_from(SG_KEYS), json_values, max_size=3))
    r = net.req("POST", "/security-groups", json={"security_group": body})
    _ok(r)
    if r.status_code == 201:
        net.req("DELETE", f"/security-groups/{r.json()['security_group']['id']}")
    _ok(net.req("PUT", f"/security-groups/{ids['sg']}", json={"security_group": body}))
    rule = data.draw(st.dictionaries(st.sampled_from(RULE_KEYS), _known(ids), max_size=6))
    if data.draw(st.booleans()):
        rule["security_group_id"] = ids["sg"]
    r = net.req("POST", "/security-group-rules", json={"security_group_rule": rule})
    _ok(r)
    if r.status_code == 201:
        net.req("DELETE", f"/security-group-rules/{r.json()['security_group_rule']['id']}")


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["limit", "marker", "sort_key", "sort_dir", "fields", "name",
                                              "status", "port_id", "protocol", "page_reverse", "tags",
                                              "admin_state_up", "port_range_min", "bogus"]),
                             st.text(max_size=12), max_size=4),
       path=st.sampled_from(["/routers", "/floatingips", "/security-groups", "/security-group-rules"]))
def test_lists(env: dict[str, Any], query: dict[str, str], path: str) -> None:
    _ok(env["net"].req("GET", path, params=query))


@SETTINGS
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
       body=json_values)
def test_paths(env: dict[str, Any], segment: str, body: Any) -> None:
    net = env["net"]
    seg = quote(segment, safe="")
    for method, path in (("GET", f"/routers/{seg}"), ("PUT", f"/routers/{seg}"),
                         ("DELETE", f"/floatingips/{seg}"), ("GET", f"/security-groups/{seg}"),
                         ("PUT", f"/routers/{seg}/add_router_interface"),
                         ("DELETE", f"/security-group-rules/{seg}")):
        _ok(net.req(method, path, json=body if method == "PUT" else None))
