"""Routers, floating IPs and security groups through the Neutron API, as a user
checks them: status codes, bodies, NeutronError types, and what the driver is told."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

EXTRA = {"services": {"enabled": ["identity", "network"]}, "network": {"driver": "noop"}}


@dataclass
class Net:
    fx: CloudFixture
    member: str = ""
    project_id: str = ""
    public_id: str = ""
    synced: list[Any] = field(default_factory=list)

    def req(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        headers["X-Auth-Token"] = token if token is not None else self.member
        return self.fx.client.request(method, "/network/v2.0" + path, headers=headers, **kw)

    def ok(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw: Any) -> Any:
        r = self.req(method, path, token, **kw)
        assert r.status_code == expect, r.text
        return r.json() if r.content else None

    def error(self, method: str, path: str, status: int, token: str | None = None, **kw: Any) -> dict[str, Any]:
        r = self.req(method, path, token, **kw)
        assert r.status_code == status, r.text
        err = r.json()["NeutronError"]
        assert set(err) == {"type", "message", "detail"}
        return dict(err)

    @property
    def admin(self) -> str:
        return self.fx.admin_token

    def network(self, cidr: str, token: str | None = None, **subnet: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        n = self.ok("POST", "/networks", token, 201, json={"network": {"name": "n-" + uuid.uuid4().hex[:6]}})
        s = self.ok("POST", "/subnets", token, 201, json={"subnet": {
            "network_id": n["network"]["id"], "cidr": cidr, "ip_version": 4, **subnet}})
        return n["network"], s["subnet"]

    def port(self, network_id: str, token: str | None = None, **kw: Any) -> dict[str, Any]:
        return dict(self.ok("POST", "/ports", token, 201, json={"port": {"network_id": network_id, **kw}})["port"])

    def router(self, token: str | None = None, **kw: Any) -> dict[str, Any]:
        return dict(self.ok("POST", "/routers", token, 201, json={"router": {"name": "r", **kw}})["router"])


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    for fx in make_cloud(tmp_path_factory.mktemp("l3"), extra=EXTRA):
        n = Net(fx)
        p = fx.make_project()
        _, n.member = fx.persona("member", project_id=p["id"])
        n.project_id = p["id"]
        nets = n.ok("GET", "/networks?router:external=True", n.admin)["networks"]
        if not nets:  # the cloud's own public network, or one like it
            pub = n.ok("POST", "/networks", n.admin, 201, json={"network": {
                "name": "public", "router:external": True}})["network"]
            n.ok("POST", "/subnets", n.admin, 201, json={"subnet": {
                "network_id": pub["id"], "cidr": "172.24.4.0/24", "ip_version": 4,
                "enable_dhcp": False}})
            nets = [pub]
        n.public_id = nets[0]["id"]
        n.ok("PUT", f"/quotas/{p['id']}", n.admin, json={"quota": {
            "security_group": 100, "security_group_rule": 1000}})
        driver = fx.cloud.services["network"].driver
        driver.sync_router = _recorder(n, driver.sync_router)
        yield n


def _recorder(n: Net, orig: Any) -> Any:
    def record(state: Any) -> None:
        n.synced.append(state)
        orig(state)

    return record


# ---- security groups ------------------------------------------------------------------------
def test_default_group_made_on_first_list(net: Net) -> None:
    groups = net.ok("GET", "/security-groups")["security_groups"]
    default = [g for g in groups if g["name"] == "default"]
    assert len(default) == 1
    g = default[0]
    assert g["project_id"] == net.project_id and g["stateful"] is True
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"]) for r in g["security_group_rules"]}
    assert rules == {("egress", "IPv4", None), ("egress", "IPv6", None),
                     ("ingress", "IPv4", g["id"]), ("ingress", "IPv6", g["id"])}
    assert all(r["belongs_to_default_sg"] for r in g["security_group_rules"])
    # listing again does not make another one
    again = net.ok("GET", "/security-groups?name=default")["security_groups"]
    assert [x["id"] for x in again] == [g["id"]]
    assert net.error("DELETE", f"/security-groups/{g['id']}", 409)["type"] == \
        "SecurityGroupCannotRemoveDefault"
    assert net.error("PUT", f"/security-groups/{g['id']}", 409,
                     json={"security_group": {"name": "other"}})["type"] == \
        "SecurityGroupCannotUpdateDefault"
    # the description may change
    net.ok("PUT", f"/security-groups/{g['id']}", json={"security_group": {"description": "d"}})


def test_no_second_default(net: Net) -> None:
    assert net.error("POST", "/security-groups", 409, json={"security_group": {"name": "default"}})[
        "type"] == "SecurityGroupDefaultAlreadyExists"
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": "x"}})
    assert net.error("PUT", f"/security-groups/{sg['security_group']['id']}", 409,
                     json={"security_group": {"name": "Default"}})["type"] == \
        "SecurityGroupDefaultAlreadyExists"


def test_group_crud(net: Net) -> None:
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {
        "name": "web", "description": "web servers"}})["security_group"]
    assert sg["name"] == "web" and sg["description"] == "web servers" and sg["revision_number"] == 0
    assert {(r["direction"], r["ethertype"]) for r in sg["security_group_rules"]} == {
        ("egress", "IPv4"), ("egress", "IPv6")}
    assert sg["created_at"].endswith("Z") and sg["tags"] == [] and sg["shared"] is False
    up = net.ok("PUT", f"/security-groups/{sg['id']}", json={"security_group": {"name": "web2"}})
    assert up["security_group"]["name"] == "web2" and up["security_group"]["revision_number"] == 1
    shown = net.ok("GET", f"/security-groups/{sg['id']}?fields=id&fields=name")["security_group"]
    assert shown == {"id": sg["id"], "name": "web2"}
    assert sg["id"] in [g["id"] for g in net.ok("GET", "/security-groups")["security_groups"]]
    net.ok("DELETE", f"/security-groups/{sg['id']}", expect=204)
    assert net.error("GET", f"/security-groups/{sg['id']}", 404)["type"] == "SecurityGroupNotFound"
    assert net.error("DELETE", f"/security-groups/{sg['id']}", 404)["type"] == "SecurityGroupNotFound"
    assert net.error("POST", "/security-groups", 400, json={"security_group": {"bogus": 1}})


def test_rules(net: Net) -> None:
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": "r"}})["security_group"]
    body = {"security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.5/24"}
    rule = net.ok("POST", "/security-group-rules", expect=201, json={"security_group_rule": body})
    rule = rule["security_group_rule"]
    assert rule["ethertype"] == "IPv4" and rule["protocol"] == "tcp"
    assert rule["remote_ip_prefix"] == "10.0.0.5/24" and rule["normalized_cidr"] == "10.0.0.0/24"
    assert rule["belongs_to_default_sg"] is False
    dup = net.error("POST", "/security-group-rules", 409, json={"security_group_rule": {
        **body, "protocol": "6"}})
    assert dup["type"] == "SecurityGroupRuleExists" and rule["id"] in dup["message"]
    assert net.ok("GET", f"/security-group-rules/{rule['id']}")["security_group_rule"]["id"] == rule["id"]
    shown = net.ok("GET", f"/security-groups/{sg['id']}")["security_group"]
    assert rule["id"] in [r["id"] for r in shown["security_group_rules"]]
    listed = net.ok("GET", f"/security-group-rules?security_group_id={sg['id']}&protocol=tcp")
    assert [r["id"] for r in listed["security_group_rules"]] == [rule["id"]]
    # protocol numbers, ICMP type/code, remote group
    net.ok("POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "17"}})
    net.ok("POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "icmp",
        "port_range_min": 8, "port_range_max": 0}})
    net.ok("POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv6",
        "remote_group_id": sg["id"]}})
    net.ok("DELETE", f"/security-group-rules/{rule['id']}", expect=204)
    assert net.error("GET", f"/security-group-rules/{rule['id']}", 404)["type"] == \
        "SecurityGroupRuleNotFound"


@pytest.mark.parametrize("extra,status,kind", [
    ({"protocol": "bad_protocol_name"}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"ethertype": "bad"}, 400, "SecurityGroupRuleInvalidEtherType"),
    ({"protocol": "tcp", "remote_ip_prefix": "192.168.1.1/33"}, 400, "InvalidCIDR"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}, 400, "SecurityGroupRuleParameterConflict"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79}, 400, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": -16, "port_range_max": 80}, 400, "SecurityGroupInvalidPortValue"),
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 1}, 400, "SecurityGroupInvalidIcmpValue"),
    ({"remote_group_id": "bad_group_id"}, 404, "SecurityGroupNotFound"),
    ({"remote_group_id": str(uuid.uuid4())}, 404, "SecurityGroupNotFound"),
    ({"direction": "sideways"}, 400, "InvalidInput"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"}, 400, "SecurityGroupMultipleRemoteEntites"),
])
def test_bad_rules(net: Net, extra: dict[str, Any], status: int, kind: str) -> None:
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": "b"}})["security_group"]
    body = {"security_group_id": sg["id"], "direction": "ingress", **extra}
    if body.get("remote_group_id") == "SELF":
        body["remote_group_id"] = sg["id"]
    assert net.error("POST", "/security-group-rules", status, json={"security_group_rule": body})["type"] == kind


def test_rule_on_missing_group(net: Net) -> None:
    assert net.error("POST", "/security-group-rules", 404, json={"security_group_rule": {
        "security_group_id": str(uuid.uuid4()), "direction": "ingress"}})["type"] == "SecurityGroupNotFound"


def test_group_in_use_by_port(net: Net) -> None:
    n, _ = net.network("10.90.0.0/24")
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": "u"}})["security_group"]
    port = net.port(n["id"], security_groups=[sg["id"]])
    assert port["security_groups"] == [sg["id"]]
    assert net.error("DELETE", f"/security-groups/{sg['id']}", 409)["type"] == "SecurityGroupInUse"
    net.ok("PUT", f"/ports/{port['id']}", json={"port": {"security_groups": []}})
    net.ok("DELETE", f"/security-groups/{sg['id']}", expect=204)
    # a port made without naming groups is in the project's default group
    p2 = net.port(n["id"])
    default = net.ok("GET", "/security-groups?name=default")["security_groups"][0]
    assert p2["security_groups"] == [default["id"]]


def test_port_rules_resolve_remote_groups(net: Net) -> None:
    mgr = net.fx.cloud.services["network"]
    n, _ = net.network("10.91.0.0/24")
    default = net.ok("GET", "/security-groups?name=default")["security_groups"][0]
    a = net.port(n["id"])
    b = net.port(n["id"])
    with mgr.db.session() as s:
        rules = mgr.secgroups.port_rules(s, [a["id"]])[a["id"]]
    ingress4 = [r for r in rules if r.direction == "ingress" and r.ethertype == "IPv4"]
    assert len(ingress4) == 1
    ips = {f"{ip['ip_address']}/32" for p in (a, b) for ip in p["fixed_ips"]}
    assert ips <= set(ingress4[0].remote_ips or ())
    egress = [r for r in rules if r.direction == "egress"]
    assert {r.ethertype for r in egress} == {"IPv4", "IPv6"} and all(r.remote_ips is None for r in egress)
    assert default["id"]


def test_group_quota(net: Net) -> None:
    p = net.fx.make_project()
    _, tok = net.fx.persona("member", project_id=p["id"])
    net.ok("PUT", f"/quotas/{p['id']}", net.admin, json={"quota": {"security_group": 2}})
    net.ok("POST", "/security-groups", tok, 201, json={"security_group": {"name": "a"}})  # + default
    assert net.error("POST", "/security-groups", 409, tok, json={"security_group": {"name": "b"}})[
        "type"] == "OverQuota"


def test_group_list_sort_and_page(net: Net) -> None:
    for name in ("pg-b", "pg-a", "pg-c"):
        net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": name}})
    r = net.ok("GET", "/security-groups?sort_key=name&sort_dir=desc&limit=2&fields=name&fields=id")
    names = [g["name"] for g in r["security_groups"]]
    assert len(names) == 2 and names == sorted(names, reverse=True)
    assert any(link["rel"] == "next" for link in r["security_groups_links"])
    assert net.error("GET", "/security-groups?sort_key=bogus", 400)


# ---- routers --------------------------------------------------------------------------------
def test_router_with_gateway(net: Net) -> None:
    r = net.router(external_gateway_info={"network_id": net.public_id}, admin_state_up=False)
    gw = r["external_gateway_info"]
    assert gw["network_id"] == net.public_id and gw["enable_snat"] is True
    assert len(gw["external_fixed_ips"]) == 1
    public_subnet = net.ok("GET", f"/subnets?network_id={net.public_id}", net.admin)["subnets"][0]
    ip = gw["external_fixed_ips"][0]["ip_address"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(public_subnet["cidr"])
    assert r["admin_state_up"] is False and r["status"] == "ACTIVE" and r["routes"] == []
    assert "distributed" not in r  # admin-only attribute
    ports = net.ok("GET", f"/ports?device_id={r['id']}", net.admin)["ports"]
    assert [p["device_owner"] for p in ports] == ["network:router_gateway"]
    state = net.synced[-1]
    assert state.id == r["id"] and state.gateway is not None and state.enable_snat is True
    assert state.gateway.ip_cidrs[0].startswith(ip + "/")
    assert state.gateway_nexthop == public_subnet["gateway_ip"]
    # clear the gateway: the port goes away
    up = net.ok("PUT", f"/routers/{r['id']}", json={"router": {"external_gateway_info": {}}})
    assert up["router"]["external_gateway_info"] is None
    assert net.ok("GET", f"/ports?device_id={r['id']}", net.admin)["ports"] == []
    assert net.synced[-1].gateway is None
    admin_view = net.ok("GET", f"/routers/{r['id']}", net.admin)["router"]
    assert admin_view["distributed"] is False and admin_view["ha"] is False
    net.ok("DELETE", f"/routers/{r['id']}", expect=204)
    assert net.error("GET", f"/routers/{r['id']}", 404)["type"] == "RouterNotFound"


def test_gateway_errors(net: Net) -> None:
    r = net.router()
    assert net.error("PUT", f"/routers/{r['id']}", 404, json={"router": {
        "external_gateway_info": {"network_id": r["id"]}}})["type"] == "NetworkNotFound"
    n, _ = net.network("10.92.0.0/24")
    assert net.error("PUT", f"/routers/{r['id']}", 400, json={"router": {
        "external_gateway_info": {"network_id": n["id"]}}})
    # enable_snat and external_fixed_ips are the admin's to choose
    assert net.req("PUT", f"/routers/{r['id']}", json={"router": {
        "external_gateway_info": {"network_id": net.public_id, "enable_snat": False}}}).status_code == 403
    up = net.ok("PUT", f"/routers/{r['id']}", net.admin, json={"router": {
        "external_gateway_info": {"network_id": net.public_id, "enable_snat": False}}})
    assert up["router"]["external_gateway_info"]["enable_snat"] is False
    assert net.error("POST", "/routers", 400, json={"router": {"routes": []}})
    assert net.req("POST", "/routers", json={"router": {"distributed": True}}).status_code == 403


def test_interfaces_by_subnet(net: Net) -> None:
    n1, s1 = net.network("10.93.0.0/24")
    n2, s2 = net.network("10.93.0.0/25")
    r = net.router(external_gateway_info={"network_id": net.public_id})
    body = net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"subnet_id": s1["id"]})
    assert body["subnet_id"] == s1["id"] and body["id"] == r["id"] and body["network_id"] == n1["id"]
    port = net.ok("GET", f"/ports/{body['port_id']}")["port"]
    assert port["device_id"] == r["id"] and port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"] == [{"subnet_id": s1["id"], "ip_address": s1["gateway_ip"]}]
    state = net.synced[-1]
    assert [i.ip_cidrs for i in state.interfaces] == [[s1["gateway_ip"] + "/24"]]
    assert net.error("PUT", f"/routers/{r['id']}/add_router_interface", 400, json={"subnet_id": s1["id"]})
    assert "overlaps" in net.error("PUT", f"/routers/{r['id']}/add_router_interface", 400,
                                   json={"subnet_id": s2["id"]})["message"]
    assert net.error("PUT", f"/routers/{r['id']}/add_router_interface", 400, json={})
    assert net.error("PUT", f"/routers/{r['id']}/add_router_interface", 404,
                     json={"subnet_id": str(uuid.uuid4())})["type"] == "SubnetNotFound"
    # in use: the router, the subnet, the port
    assert net.error("DELETE", f"/routers/{r['id']}", 409)["type"] == "RouterInUse"
    assert net.req("DELETE", f"/subnets/{s1['id']}").status_code == 409
    assert net.req("DELETE", f"/ports/{body['port_id']}").status_code == 409
    out = net.ok("PUT", f"/routers/{r['id']}/remove_router_interface", json={"subnet_id": s1["id"]})
    assert out["port_id"] == body["port_id"]
    assert net.req("GET", f"/ports/{body['port_id']}").status_code == 404
    assert net.error("PUT", f"/routers/{r['id']}/remove_router_interface", 404,
                     json={"subnet_id": s1["id"]})["type"] == "RouterInterfaceNotFoundForSubnet"
    assert net.synced[-1].interfaces == []
    net.ok("DELETE", f"/routers/{r['id']}", expect=204)


def test_interface_by_port(net: Net) -> None:
    n, s = net.network("10.94.0.0/24")
    r = net.router()
    p = net.port(n["id"])
    body = net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"port_id": p["id"]})
    assert body["port_id"] == p["id"] and body["subnet_id"] == s["id"]
    shown = net.ok("GET", f"/ports/{p['id']}")["port"]
    assert shown["device_id"] == r["id"] and shown["device_owner"] == "network:router_interface"
    r2 = net.router()
    assert net.error("PUT", f"/routers/{r2['id']}/add_router_interface", 409,
                     json={"port_id": p["id"]})["type"] == "PortInUse"
    assert net.error("PUT", f"/routers/{r2['id']}/remove_router_interface", 404,
                     json={"port_id": p["id"]})["type"] == "RouterInterfaceNotFound"
    net.ok("PUT", f"/routers/{r['id']}/remove_router_interface", json={"port_id": p["id"]})
    assert net.req("GET", f"/ports/{p['id']}").status_code == 404


def test_subnet_without_gateway(net: Net) -> None:
    _, s = net.network("10.95.0.0/24", gateway_ip=None)
    r = net.router()
    assert "gateway" in net.error("PUT", f"/routers/{r['id']}/add_router_interface", 400,
                                  json={"subnet_id": s["id"]})["message"]


def test_extra_routes(net: Net) -> None:
    _, s = net.network("10.96.0.0/24")
    r = net.router()
    net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"subnet_id": s["id"]})
    routes = [{"destination": "192.168.50.0/24", "nexthop": "10.96.0.10"},
              {"destination": "192.168.60.0/24", "nexthop": "10.96.0.11"}]
    up = net.ok("PUT", f"/routers/{r['id']}", json={"router": {"routes": routes}})["router"]
    assert sorted(up["routes"], key=lambda x: x["destination"]) == routes
    assert net.synced[-1].routes == [("192.168.50.0/24", "10.96.0.10"), ("192.168.60.0/24", "10.96.0.11")]
    bad = net.error("PUT", f"/routers/{r['id']}", 400, json={"router": {"routes": [
        {"destination": "192.168.70.0/24", "nexthop": "172.31.0.1"}]}})
    assert bad["type"] == "InvalidRoutes" and "not connected" in bad["message"]
    assert net.error("PUT", f"/routers/{r['id']}", 400, json={"router": {"routes": [
        {"destination": "192.168.70.0/24", "nexthop": s["gateway_ip"]}]}})["type"] == "InvalidRoutes"
    assert net.error("PUT", f"/routers/{r['id']}", 400, json={"router": {"routes": [{"destination": "x"}]}})
    assert net.error("PUT", f"/routers/{r['id']}/remove_router_interface", 409,
                     json={"subnet_id": s["id"]})["type"] == "RouterInterfaceInUseByRoute"
    cleared = net.ok("PUT", f"/routers/{r['id']}", json={"router": {"routes": None}})["router"]
    assert cleared["routes"] == []
    net.ok("PUT", f"/routers/{r['id']}/remove_router_interface", json={"subnet_id": s["id"]})


def test_router_update_and_list(net: Net) -> None:
    r = net.router(admin_state_up=False)
    up = net.ok("PUT", f"/routers/{r['id']}", json={"router": {"admin_state_up": True, "name": "renamed"}})
    assert up["router"]["admin_state_up"] is True and up["router"]["name"] == "renamed"
    assert up["router"]["revision_number"] == r["revision_number"] + 1
    listed = net.ok("GET", "/routers?name=renamed&fields=id")["routers"]
    assert {"id": r["id"]} in listed
    assert net.error("PUT", f"/routers/{uuid.uuid4()}", 404, json={"router": {"name": "x"}})["type"] == \
        "RouterNotFound"
    assert net.error("DELETE", "/routers/nope", 404)["type"] == "RouterNotFound"
    assert net.req("PUT", f"/routers/{r['id']}", headers={"If-Match": "revision_number=0"},
                   json={"router": {"name": "x"}}).status_code == 412


# ---- floating IPs ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def topo(net: Net) -> dict[str, Any]:
    n, s = net.network("10.97.0.0/24")
    r = net.router(external_gateway_info={"network_id": net.public_id})
    net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"subnet_id": s["id"]})
    return {"network": n, "subnet": s, "router": r}


def test_floating_ip_lifecycle(net: Net, topo: dict[str, Any]) -> None:
    fip = net.ok("POST", "/floatingips", expect=201, json={"floatingip": {
        "floating_network_id": net.public_id}})["floatingip"]
    assert fip["status"] == "DOWN" and fip["port_id"] is None and fip["router_id"] is None
    assert fip["project_id"] == net.project_id and fip["port_details"] is None
    public_subnet = net.ok("GET", f"/subnets?network_id={net.public_id}", net.admin)["subnets"][0]
    assert ipaddress.ip_address(fip["floating_ip_address"]) in ipaddress.ip_network(public_subnet["cidr"])
    port = net.port(topo["network"]["id"])
    up = net.ok("PUT", f"/floatingips/{fip['id']}", json={"floatingip": {"port_id": port["id"]}})["floatingip"]
    assert up["port_id"] == port["id"] and up["router_id"] == topo["router"]["id"]
    assert up["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"] and up["status"] == "ACTIVE"
    assert up["port_details"]["network_id"] == topo["network"]["id"]
    state = net.synced[-1]
    assert state.id == topo["router"]["id"]
    assert [(f.floating_ip_address, f.fixed_ip_address) for f in state.floating_ips] == [
        (fip["floating_ip_address"], up["fixed_ip_address"])]
    # one floating IP per fixed IP
    assert net.error("POST", "/floatingips", 409, json={"floatingip": {
        "floating_network_id": net.public_id, "port_id": port["id"]}})["type"] == \
        "FloatingIPPortAlreadyAssociated"
    listed = net.ok("GET", f"/floatingips?port_id={port['id']}")["floatingips"]
    assert [f["id"] for f in listed] == [fip["id"]]
    # the router interface is needed by the floating IP
    assert net.error("PUT", f"/routers/{topo['router']['id']}/remove_router_interface", 409,
                     json={"subnet_id": topo["subnet"]["id"]})["type"] == "RouterInterfaceInUseByFloatingIP"
    assert net.error("PUT", f"/routers/{topo['router']['id']}", 409, json={"router": {
        "external_gateway_info": {}}})["type"] == "RouterExternalGatewayInUseByFloatingIp"
    down = net.ok("PUT", f"/floatingips/{fip['id']}", json={"floatingip": {"port_id": None}})["floatingip"]
    assert down["port_id"] is None and down["fixed_ip_address"] is None and down["router_id"] is None
    assert net.synced[-1].floating_ips == []
    fip_port = net.ok("GET", f"/ports?device_id={fip['id']}", net.admin)["ports"]
    assert [p["device_owner"] for p in fip_port] == ["network:floatingip"]
    net.ok("DELETE", f"/floatingips/{fip['id']}", expect=204)
    assert net.ok("GET", f"/ports?device_id={fip['id']}", net.admin)["ports"] == []
    assert net.error("GET", f"/floatingips/{fip['id']}", 404)["type"] == "FloatingIPNotFound"


def test_floating_ip_follows_port_delete(net: Net, topo: dict[str, Any]) -> None:
    port = net.port(topo["network"]["id"])
    fip = net.ok("POST", "/floatingips", expect=201, json={"floatingip": {
        "floating_network_id": net.public_id, "port_id": port["id"]}})["floatingip"]
    assert fip["router_id"] == topo["router"]["id"]
    net.ok("DELETE", f"/ports/{port['id']}", expect=204)
    shown = net.ok("GET", f"/floatingips/{fip['id']}")["floatingip"]
    assert shown["port_id"] is None and shown["fixed_ip_address"] is None and shown["router_id"] is None
    net.ok("DELETE", f"/floatingips/{fip['id']}", expect=204)


def test_floating_ip_errors(net: Net, topo: dict[str, Any]) -> None:
    n, s = net.network("10.98.0.0/24")
    lonely = net.port(n["id"])
    err = net.error("POST", "/floatingips", 404, json={"floatingip": {
        "floating_network_id": net.public_id, "port_id": lonely["id"]}})
    assert err["type"] == "ExternalGatewayForFloatingIPNotFound"
    # a router without gateway does not help
    r = net.router()
    net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"subnet_id": s["id"]})
    assert net.error("POST", "/floatingips", 404, json={"floatingip": {
        "floating_network_id": net.public_id, "port_id": lonely["id"]}})["type"] == \
        "ExternalGatewayForFloatingIPNotFound"
    assert net.error("POST", "/floatingips", 400, json={"floatingip": {
        "floating_network_id": n["id"]}})
    assert net.error("POST", "/floatingips", 404, json={"floatingip": {
        "floating_network_id": str(uuid.uuid4())}})["type"] == "NetworkNotFound"
    assert net.error("POST", "/floatingips", 400, json={"floatingip": {}})
    port = net.port(topo["network"]["id"])
    assert net.error("POST", "/floatingips", 400, json={"floatingip": {
        "floating_network_id": net.public_id, "port_id": port["id"], "fixed_ip_address": "10.0.0.99"}})
    # only an admin picks the address
    assert net.req("POST", "/floatingips", json={"floatingip": {
        "floating_network_id": net.public_id, "floating_ip_address": "172.24.4.200"}}).status_code == 403


def test_admin_picks_the_address(net: Net) -> None:
    public_subnet = net.ok("GET", f"/subnets?network_id={net.public_id}", net.admin)["subnets"][0]
    want = str(ipaddress.ip_network(public_subnet["cidr"])[-10])
    fip = net.ok("POST", "/floatingips", net.admin, 201, json={"floatingip": {
        "floating_network_id": net.public_id, "floating_ip_address": want}})["floatingip"]
    assert fip["floating_ip_address"] == want
    assert net.req("POST", "/floatingips", net.admin, json={"floatingip": {
        "floating_network_id": net.public_id, "floating_ip_address": want}}).status_code == 409
    net.ok("DELETE", f"/floatingips/{fip['id']}", net.admin, 204)


def test_floating_ip_quota(net: Net) -> None:
    p = net.fx.make_project()
    _, tok = net.fx.persona("member", project_id=p["id"])
    net.ok("PUT", f"/quotas/{p['id']}", net.admin, json={"quota": {"floatingip": 1, "router": 0}})
    net.ok("POST", "/floatingips", tok, 201, json={"floatingip": {"floating_network_id": net.public_id}})
    assert net.error("POST", "/floatingips", 409, tok, json={"floatingip": {
        "floating_network_id": net.public_id}})["type"] == "OverQuota"
    assert net.error("POST", "/routers", 409, tok, json={"router": {}})["type"] == "OverQuota"


def test_ipv6_interface_gets_the_gateway(net: Net) -> None:
    n = net.ok("POST", "/networks", expect=201, json={"network": {"name": "v6"}})["network"]
    s = net.ok("POST", "/subnets", expect=201, json={"subnet": {
        "network_id": n["id"], "cidr": "2001:db8:10::/64", "ip_version": 6,
        "ipv6_ra_mode": "dhcpv6-stateful", "ipv6_address_mode": "dhcpv6-stateful"}})["subnet"]
    r = net.router()
    body = net.ok("PUT", f"/routers/{r['id']}/add_router_interface", json={"subnet_id": s["id"]})
    port = net.ok("GET", f"/ports/{body['port_id']}")["port"]
    assert port["fixed_ips"][0]["ip_address"] == s["gateway_ip"]
    assert net.synced[-1].interfaces[0].ip_cidrs == [s["gateway_ip"] + "/64"]
    listed = net.ok("GET", "/ports")["ports"]
    assert body["port_id"] in [p["id"] for p in listed]
    net.ok("PUT", f"/routers/{r['id']}/remove_router_interface", json={"port_id": body["port_id"]})
    net.ok("DELETE", f"/subnets/{s['id']}", expect=204)
    net.ok("DELETE", f"/routers/{r['id']}", expect=204)


def test_auto_allocated_topology(net: Net) -> None:
    """compute's networks="auto": a network, a subnet and a router to the public network."""
    from onestack.core.context import RequestContext

    mgr = net.fx.cloud.services["network"]
    p = net.fx.make_project()
    ctx = RequestContext(user_id="u", project_id=p["id"], roles=["member"])
    nid = mgr.routers.auto_allocate(ctx, p["id"])
    assert mgr.routers.auto_allocate(ctx, p["id"]) == nid
    routers = net.ok("GET", f"/routers?project_id={p['id']}", net.admin)["routers"]
    assert len(routers) == 1 and routers[0]["external_gateway_info"]["network_id"] == net.public_id
    ports = net.ok("GET", f"/ports?device_id={routers[0]['id']}&network_id={nid}", net.admin)["ports"]
    assert [x["device_owner"] for x in ports] == ["network:router_interface"]


def test_tags_and_extensions(net: Net) -> None:
    r = net.router()
    sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {"name": "tg"}})["security_group"]
    for path in (f"/routers/{r['id']}", f"/security-groups/{sg['id']}"):
        assert net.req("PUT", path + "/tags/blue").status_code == 201
        assert net.ok("GET", path)[path.split("/")[1][:-1].replace("-", "_")]["tags"] == ["blue"]
    assert [x["id"] for x in net.ok("GET", "/routers?tags=blue")["routers"]] == [r["id"]]
    aliases = {e["alias"] for e in net.ok("GET", "/extensions")["extensions"]}
    assert {"router", "ext-gw-mode", "extraroute", "security-group", "fip-port-details"} <= aliases
    assert not {"dvr", "l3-ha", "l3_agent_scheduler"} & aliases


def test_external_network_deleted_with_its_floating_ips(net: Net) -> None:
    ext = net.ok("POST", "/networks", net.admin, 201, json={"network": {
        "name": "ext2", "router:external": True}})["network"]
    net.ok("POST", "/subnets", net.admin, 201, json={"subnet": {
        "network_id": ext["id"], "cidr": "172.30.0.0/24", "ip_version": 4, "enable_dhcp": False}})
    fip = net.ok("POST", "/floatingips", net.admin, 201, json={"floatingip": {
        "floating_network_id": ext["id"]}})["floatingip"]
    listed = net.ok("GET", f"/floatingips?floating_network_id={ext['id']}", net.admin)["floatingips"]
    assert [f["id"] for f in listed] == [fip["id"]]
    net.ok("DELETE", f"/networks/{ext['id']}", net.admin, 204)
    assert net.req("GET", f"/floatingips/{fip['id']}", net.admin).status_code == 404


def test_admin_chooses_gateway_address(net: Net) -> None:
    public_subnet = net.ok("GET", f"/subnets?network_id={net.public_id}", net.admin)["subnets"][0]
    cidr = ipaddress.ip_network(public_subnet["cidr"])
    first, second = str(cidr[-20]), str(cidr[-21])
    r = net.router(net.admin, external_gateway_info={
        "network_id": net.public_id, "external_fixed_ips": [{"ip_address": first}]})
    assert r["external_gateway_info"]["external_fixed_ips"] == [
        {"subnet_id": public_subnet["id"], "ip_address": first}]
    up = net.ok("PUT", f"/routers/{r['id']}", net.admin, json={"router": {"external_gateway_info": {
        "network_id": net.public_id, "external_fixed_ips": [
            {"subnet_id": public_subnet["id"], "ip_address": second}]}}})["router"]
    assert up["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] == second
    assert net.synced[-1].gateway.ip_cidrs[0].startswith(second + "/")
    # the address is taken now
    assert net.req("POST", "/routers", net.admin, json={"router": {"external_gateway_info": {
        "network_id": net.public_id, "external_fixed_ips": [{"ip_address": second}]}}}).status_code == 409
    net.ok("DELETE", f"/routers/{r['id']}", net.admin, 204)
