"""Real clients against a real ``onestack serve`` with the network service
(fake compute driver, noop dataplane): the openstack CLI creates a network and a
server on it, shows its addresses, adds and removes a port and a security group;
openstacksdk boots on a network and lists the server's interfaces and IPs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve-net")
    with live_server(data, {"ONESTACK_SERVICES__ENABLED": "identity,image,compute,network",
                            "ONESTACK_NETWORK__DRIVER": "noop", "ONESTACK_COMPUTE__DRIVER": "fake"}) as url:
        yield url, data


def test_openstack_cli_servers_on_networks(server: tuple[str, Path]) -> None:
    url, data = server
    cli = Cli(data)
    image = connect(url).image.create_image(name="cli-image", data=b"\0" * 1024, disk_format="raw",
                                            container_format="bare", visibility="public").id
    cli.json("network", "create", "cli-net")
    cli.json("subnet", "create", "--network", "cli-net", "--subnet-range", "10.44.0.0/24", "cli-subnet")
    cli.json("security", "group", "create", "cli-sg")
    srv = cli.json("server", "create", "--wait", "--image", image, "--flavor", "m1.nano", "--network",
                   "cli-net", "cli-vm")
    assert srv["status"] == "ACTIVE"
    shown = cli.json("server", "show", "cli-vm")
    addrs = shown["addresses"]
    assert list(addrs) == ["cli-net"] and addrs["cli-net"][0].startswith("10.44.0."), addrs
    listed = cli.json("server", "list")
    assert listed[0]["Networks"] == addrs
    # a second NIC by port, then remove it
    port = cli.json("port", "create", "--network", "cli-net", "cli-port")
    cli("server", "add", "port", "cli-vm", port["id"])
    assert len(cli.json("server", "show", "cli-vm")["addresses"]["cli-net"]) == 2
    cli("server", "remove", "port", "cli-vm", port["id"])
    assert len(cli.json("server", "show", "cli-vm")["addresses"]["cli-net"]) == 1
    # security groups through the compute API (the CLI sends addSecurityGroup)
    cli("server", "add", "security", "group", "cli-vm", "cli-sg")
    groups = {g["name"] for g in cli.json("server", "show", "cli-vm")["security_groups"]}
    assert groups == {"default", "cli-sg"}
    cli("server", "remove", "security", "group", "cli-vm", "cli-sg")
    cli("server", "delete", "--wait", "cli-vm")
    assert cli.json("port", "list", "--device-owner", "compute:nova") == []


def test_openstacksdk_interfaces_and_ips(server: tuple[str, Path]) -> None:
    conn = connect(server[0], compute_api_version="2")
    image = conn.image.create_image(name="sdk-image", data=b"\0" * 1024, disk_format="raw",
                                    container_format="bare", visibility="public")
    net = conn.network.create_network(name="sdk-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.45.0.0/24", ip_version=4)
    flavor = conn.compute.find_flavor("m1.nano", ignore_missing=False)
    srv = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=flavor.id,
                                     networks=[{"uuid": net.id, "fixed_ip": "10.45.0.9"}])
    srv = conn.compute.wait_for_server(srv, status="ACTIVE", wait=30, interval=0.2)
    assert srv.addresses["sdk-net"][0]["addr"] == "10.45.0.9"
    ifaces = list(conn.compute.server_interfaces(srv))
    assert [i.fixed_ips[0]["ip_address"] for i in ifaces] == ["10.45.0.9"]
    ips = list(conn.compute.server_ips(srv))
    assert [(i.network_label, i.address) for i in ips] == [("sdk-net", "10.45.0.9")]
    extra = conn.compute.create_server_interface(srv, net_id=net.id)
    assert len(list(conn.compute.server_interfaces(srv))) == 2
    conn.compute.delete_server_interface(extra, server=srv)
    assert len(list(conn.compute.server_interfaces(srv))) == 1
    conn.compute.delete_server(srv)
    conn.compute.wait_for_delete(srv, wait=30, interval=0.2)
    assert list(conn.network.ports(device_id=srv.id)) == []
