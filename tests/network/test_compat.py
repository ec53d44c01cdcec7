"""Real clients against a real ``onestack serve`` with the network service: the
``openstack`` CLI (network/subnet/port commands) and openstacksdk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import connect, live_server

pytestmark = [
    pytest.mark.compat,
    pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve")
    with live_server(data, {"ONESTACK_SERVICES__ENABLED": "identity,network"}) as url:
        yield url, data


def test_openstack_cli_network_subnet_port(server: tuple[str, Path]) -> None:
    exe = shutil.which("openstack", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("python-openstackclient is not installed")
    url, data = server
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(data / "clouds.yaml")}

    def cli(*args: str) -> Any:
        r = subprocess.run([exe, "--os-cloud", "onestack", *args, "-f", "json"], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, (args, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def cli_plain(*args: str) -> str:
        r = subprocess.run([exe, "--os-cloud", "onestack", *args], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    net = cli("network", "create", "--description", "cli net", "cli-net")
    assert net["name"] == "cli-net" and net["status"] == "ACTIVE"
    names = {n["Name"] for n in cli("network", "list")}
    assert {"cli-net", "public"} <= names
    assert cli("network", "show", "cli-net")["id"] == net["id"]
    assert cli("network", "list", "--external")[0]["Name"] == "public"
    sub = cli("subnet", "create", "--network", "cli-net", "--subnet-range", "192.168.50.0/24",
              "--dns-nameserver", "8.8.8.8", "cli-subnet")
    assert sub["cidr"] == "192.168.50.0/24" and sub["gateway_ip"] == "192.168.50.1"
    port = cli("port", "create", "--network", "cli-net", "--fixed-ip", "subnet=cli-subnet,ip-address=192.168.50.10",
               "cli-port")
    assert "192.168.50.10" in json.dumps(port["fixed_ips"])
    ports = cli("port", "list", "--network", "cli-net")
    assert "cli-port" in {p["Name"] for p in ports}
    cli_plain("network", "set", "--name", "cli-net2", "cli-net")
    cli_plain("port", "delete", "cli-port")
    cli_plain("subnet", "delete", "cli-subnet")
    cli_plain("network", "delete", "cli-net2")
    assert "cli-net2" not in {n["Name"] for n in cli("network", "list")}
    quota = cli("quota", "show", "--network")
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
