"""The ``openstack`` CLI against ``onestack serve`` with networking on: security
groups and rules, a router to the public network with a subnet behind it, and a
floating IP on a port, exactly as a user types them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.compat.conftest import Cli, Server, http

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("l3compat") / "data", env={
        "ONESTACK_SERVICES__ENABLED": "identity,network", "ONESTACK_NETWORK__DRIVER": "noop"}).start()
    yield srv
    srv.kill()


@pytest.fixture(scope="module")
def osc(server: Server) -> Cli:
    return Cli(server)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_security_group_and_rules(osc: Cli, server: Server) -> None:
    name = _name("sg")
    sg = osc("security", "group", "create", "--description", "web", name)
    assert sg["name"] == name and sg["description"] == "web"
    rule = osc("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22:23",
               "--remote-ip", "10.0.0.0/8", sg["id"])
    assert rule["port_range_min"] == 22 and rule["port_range_max"] == 23
    assert rule["remote_ip_prefix"] == "10.0.0.0/8" and rule["direction"] == "ingress"
    dup = osc.run("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22:23",
                  "--remote-ip", "10.0.0.0/8", sg["id"], check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr
    rules = osc("security", "group", "rule", "list", sg["id"])
    assert rule["id"] in {r["ID"] for r in rules}
    groups = osc("security", "group", "list")
    assert {name, "default"} <= {g["Name"] for g in groups}
    osc("security", "group", "delete", sg["id"], fmt=False)
    token = server.password_token()
    assert http("GET", f"{server.url}/network/v2.0/security-groups/{sg['id']}",
                headers={"X-Auth-Token": token})[0] == 404


def test_router_subnet_gateway_and_floating_ip(osc: Cli, server: Server) -> None:
    net = osc("network", "create", _name("net"))
    subnet = osc("subnet", "create", "--network", net["id"], "--subnet-range", "10.11.0.0/24",
                 _name("sub"))
    router = osc("router", "create", _name("router"))
    osc("router", "add", "subnet", router["id"], subnet["id"], fmt=False)
    osc("router", "set", "--external-gateway", "public", router["id"], fmt=False)
    shown = osc("router", "show", router["id"])
    gw = shown["external_gateway_info"]
    assert gw["enable_snat"] is True and gw["external_fixed_ips"]
    public = osc("network", "show", "public")
    assert gw["network_id"] == public["id"]
    port = osc("port", "create", "--network", net["id"], _name("port"))
    fip = osc("floating", "ip", "create", "public")
    assert fip["floating_network_id"] == public["id"] and fip["port_id"] is None
    osc("floating", "ip", "set", "--port", port["id"], fip["id"], fmt=False)
    fip = osc("floating", "ip", "show", fip["id"])
    assert fip["port_id"] == port["id"] and fip["router_id"] == router["id"]
    assert fip["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    osc("floating", "ip", "unset", "--port", fip["id"], fmt=False)
    assert osc("floating", "ip", "show", fip["id"])["port_id"] is None
    osc("floating", "ip", "delete", fip["id"], fmt=False)
    busy = osc.run("router", "delete", router["id"], check=False, fmt=False)
    assert busy.returncode != 0
    osc("router", "remove", "subnet", router["id"], subnet["id"], fmt=False)
    osc("router", "unset", "--external-gateway", router["id"], fmt=False)
    osc("router", "delete", router["id"], fmt=False)
