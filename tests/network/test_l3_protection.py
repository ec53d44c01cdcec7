"""Personas against the L3 and security group policy defaults: the owner (member),
a reader of the project, a member of another project, the admin.  Another project
never sees (404) nor changes a project's routers, floating IPs or security groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_cloud
from tests.network.test_l3_api import EXTRA, Net


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    for fx in make_cloud(tmp_path_factory.mktemp("l3prot"), extra=EXTRA):
        net = Net(fx)
        p = fx.make_project()
        _, member = fx.persona("member", project_id=p["id"])
        _, reader = fx.persona("reader", project_id=p["id"])
        _, other = fx.persona("member", project_id=fx.make_project()["id"])
        net.member = member
        pub = net.ok("POST", "/networks", net.admin, 201, json={"network": {
            "name": "ext", "router:external": True}})["network"]
        net.ok("POST", "/subnets", net.admin, 201, json={"subnet": {
            "network_id": pub["id"], "cidr": "172.25.0.0/24", "ip_version": 4}})
        n, s = net.network("10.50.0.0/24")
        router = net.router(external_gateway_info={"network_id": pub["id"]})
        net.ok("PUT", f"/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]})
        fip = net.ok("POST", "/floatingips", expect=201, json={"floatingip": {
            "floating_network_id": pub["id"]}})["floatingip"]
        sg = net.ok("POST", "/security-groups", expect=201, json={"security_group": {
            "name": "prot"}})["security_group"]
        rule = sg["security_group_rules"][0]
        yield {"net": net, "member": member, "reader": reader, "other": other, "admin": fx.admin_token,
               "router": router, "fip": fip, "sg": sg, "rule": rule, "subnet": s, "network": n,
               "public": pub}


def _tok(env: dict[str, Any], who: str) -> str:
    return str(env[who])


@pytest.mark.parametrize("who,expect", [("member", 200), ("reader", 200), ("other", 404), ("admin", 200)])
@pytest.mark.parametrize("path", ["/routers/{router}", "/floatingips/{fip}", "/security-groups/{sg}",
                                  "/security-group-rules/{rule}"])
def test_show(env: dict[str, Any], who: str, expect: int, path: str) -> None:
    url = path.format(router=env["router"]["id"], fip=env["fip"]["id"], sg=env["sg"]["id"],
                      rule=env["rule"]["id"])
    r = env["net"].req("GET", url, _tok(env, who))
    assert r.status_code == expect, r.text


@pytest.mark.parametrize("who,expect", [("member", 200), ("reader", 403), ("other", 404), ("admin", 200)])
@pytest.mark.parametrize("path,body", [
    ("/routers/{router}", {"router": {"description": "x"}}),
    ("/floatingips/{fip}", {"floatingip": {"description": "x"}}),
    ("/security-groups/{sg}", {"security_group": {"description": "x"}}),
])
def test_update(env: dict[str, Any], who: str, expect: int, path: str, body: dict[str, Any]) -> None:
    url = path.format(router=env["router"]["id"], fip=env["fip"]["id"], sg=env["sg"]["id"])
    r = env["net"].req("PUT", url, _tok(env, who), json=body)
    assert r.status_code == expect, r.text


@pytest.mark.parametrize("who,expect", [("reader", 403), ("other", 404)])
def test_delete_and_interfaces_refused(env: dict[str, Any], who: str, expect: int) -> None:
    net, tok = env["net"], _tok(env, who)
    assert net.req("DELETE", f"/routers/{env['router']['id']}", tok).status_code == expect
    assert net.req("DELETE", f"/floatingips/{env['fip']['id']}", tok).status_code == expect
    assert net.req("DELETE", f"/security-groups/{env['sg']['id']}", tok).status_code == expect
    assert net.req("DELETE", f"/security-group-rules/{env['rule']['id']}", tok).status_code == expect
    assert net.req("PUT", f"/routers/{env['router']['id']}/remove_router_interface", tok,
                   json={"subnet_id": env["subnet"]["id"]}).status_code == expect
    r = net.req("POST", "/security-group-rules", tok, json={"security_group_rule": {
        "security_group_id": env["sg"]["id"], "direction": "ingress", "protocol": "tcp"}})
    assert r.status_code == expect


@pytest.mark.parametrize("who,expect", [("member", 201), ("reader", 403), ("admin", 201)])
def test_create(env: dict[str, Any], who: str, expect: int) -> None:
    net, tok = env["net"], _tok(env, who)
    assert net.req("POST", "/routers", tok, json={"router": {"name": "c"}}).status_code == expect
    assert net.req("POST", "/security-groups", tok, json={"security_group": {"name": "c"}}).status_code == expect
    assert net.req("POST", "/floatingips", tok, json={"floatingip": {
        "floating_network_id": env["public"]["id"]}}).status_code == expect


def test_lists_show_only_own(env: dict[str, Any]) -> None:
    net = env["net"]
    for path, key, rid in (("/routers", "routers", env["router"]["id"]),
                           ("/floatingips", "floatingips", env["fip"]["id"]),
                           ("/security-groups", "security_groups", env["sg"]["id"]),
                           ("/security-group-rules", "security_group_rules", env["rule"]["id"])):
        assert rid in [x["id"] for x in net.ok("GET", path, env["reader"])[key]]
        assert rid not in [x["id"] for x in net.ok("GET", path, env["other"])[key]]
        assert rid in [x["id"] for x in net.ok("GET", path, env["admin"])[key]]


def test_other_project_cannot_use_my_things(env: dict[str, Any]) -> None:
    net, other = env["net"], env["other"]
    # my subnet on their router, my port for their floating IP, my group in their rule
    theirs = net.router(other)
    assert net.req("PUT", f"/routers/{theirs['id']}/add_router_interface", other,
                   json={"subnet_id": env["subnet"]["id"]}).status_code == 404
    port = net.port(env["network"]["id"])
    assert net.req("POST", "/floatingips", other, json={"floatingip": {
        "floating_network_id": env["public"]["id"], "port_id": port["id"]}}).status_code == 404
    their_sg = net.ok("POST", "/security-groups", other, 201, json={"security_group": {
        "name": "t"}})["security_group"]
    assert net.req("POST", "/security-group-rules", other, json={"security_group_rule": {
        "security_group_id": their_sg["id"], "direction": "ingress",
        "remote_group_id": env["sg"]["id"]}}).status_code == 404
    # nor attach my group to their port
    n2, _ = net.network("10.51.0.0/24", other)
    assert net.req("POST", "/ports", other, json={"port": {
        "network_id": n2["id"], "security_groups": [env["sg"]["id"]]}}).status_code == 404


def test_no_token(env: dict[str, Any]) -> None:
    r = env["net"].fx.client.get("/network/v2.0/routers")
    assert r.status_code == 401 and "NeutronError" in r.json()
