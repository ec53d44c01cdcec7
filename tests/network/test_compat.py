"""Real clients against a real ``onestack serve`` with the network service: the
``openstack`` CLI (network/subnet/port commands) and openstacksdk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve")
    with live_server(data, {"ONESTACK_SERVICES__ENABLED": "identity,network"}) as url:
        yield url, data


def test_openstack_cli_network_subnet_port(server: tuple[str, Path]) -> None:
    cli = Cli(server[1])
    net = cli.json("network", "create", "--description", "cli net", "cli-net")
    assert net["name"] == "cli-net" and net["status"] == "ACTIVE"
    names = {n["Name"] for n in cli.json("network", "list")}
    assert {"cli-net", "public"} <= names
    assert cli.json("network", "show", "cli-net")["id"] == net["id"]
    assert cli.json("network", "list", "--external")[0]["Name"] == "public"
    sub = cli.json("subnet", "create", "--network", "cli-net", "--subnet-range", "192.168.50.0/24",
                   "--dns-nameserver", "8.8.8.8", "cli-subnet")
    assert sub["cidr"] == "192.168.50.0/24" and sub["gateway_ip"] == "192.168.50.1"
    port = cli.json("port", "create", "--network", "cli-net", "--fixed-ip",
                    "subnet=cli-subnet,ip-address=192.168.50.10", "cli-port")
    assert "192.168.50.10" in json.dumps(port["fixed_ips"])
    ports = cli.json("port", "list", "--network", "cli-net")
    assert "cli-port" in {p["Name"] for p in ports}
    cli("network", "set", "--name", "cli-net2", "cli-net")
    cli("port", "delete", "cli-port")
    cli("subnet", "delete", "cli-subnet")
    cli("network", "delete", "cli-net2")
    assert "cli-net2" not in {n["Name"] for n in cli.json("network", "list")}
    quota = cli.json("quota", "show", "--network")
    assert quota


def test_openstacksdk_network_resources(server: tuple[str, Path]) -> None:
    conn = connect(server[0])
    net = conn.network.create_network(name="sdk-net")
    sub = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.60.0.0/24", name="sdk-sub")
    v6 = conn.network.create_subnet(network_id=net.id, ip_version=6, cidr="fd00:60::/64",
                                    ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = conn.network.create_port(network_id=net.id, name="sdk-port")
    assert {ip["subnet_id"] for ip in port.fixed_ips} == {sub.id, v6.id}
    assert conn.network.find_network("sdk-net").id == net.id
    assert conn.network.get_subnet(sub.id).cidr == "10.60.0.0/24"
    conn.network.set_tags(net, ["a", "b"])
    assert sorted(conn.network.get_network(net.id).tags) == ["a", "b"]
    # paginated listing through the links
    for i in range(5):
        conn.network.create_network(name=f"page-{i}")
    names = [n.name for n in conn.network.networks(limit=2, sort_key="name", sort_dir="asc")]
    assert [n for n in names if n.startswith("page-")] == [f"page-{i}" for i in range(5)]
    port = conn.network.update_port(port, name="renamed")
    assert port.name == "renamed"
    conn.network.delete_port(port)
    conn.network.delete_subnet(sub)
    conn.network.delete_subnet(v6)
    conn.network.delete_network(net)
    assert conn.network.find_network("sdk-net") is None
    pub = conn.network.find_network("public")
    assert pub.is_router_external
    quota = conn.network.get_quota(conn.current_project_id)
    assert quota.networks == 100
