"""Real clients against a real ``onestack serve`` (fake driver): openstacksdk
creates an image and a server and waits for it; ``openstack server create
--wait`` does the same through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    import httpx2 as httpx

    data = tmp_path_factory.mktemp("serve")
    with live_server(data) as url:
        services = httpx.get(url + "/").json()["services"]
        if "compute" not in services or "image" not in services:
            pytest.skip(f"compute and image must both be enabled by default; got {sorted(services)}")
        yield url, data


def _connect(url: str) -> Any:
    return connect(url, compute_api_version="2")


def test_openstacksdk_server_lifecycle(server: tuple[str, Path]) -> None:
    conn = _connect(server[0])
    image = conn.image.create_image(name="cirros", data=b"\0" * 1024, disk_format="raw", container_format="bare",
                                    visibility="public")
    flavor = conn.compute.find_flavor("m1.nano", ignore_missing=False)
    assert flavor is not None
    srv = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=flavor.id, networks="none")
    srv = conn.compute.wait_for_server(srv, status="ACTIVE", wait=30, interval=0.2)
    assert srv.status == "ACTIVE"
    conn.compute.stop_server(srv)
    conn.compute.wait_for_server(srv, status="SHUTOFF", wait=30, interval=0.2)
    assert [s.name for s in conn.compute.servers()] == ["sdk-vm"]
    kp = conn.compute.create_keypair(name="sdk-key")
    assert kp.private_key
    conn.compute.delete_server(srv)
    conn.compute.wait_for_delete(srv, wait=30, interval=0.2)


def test_openstack_cli_server_create_wait(server: tuple[str, Path]) -> None:
    url, data = server
    cli = Cli(data)
    image = _connect(url).image.create_image(name="cli-image", data=b"\0" * 1024, disk_format="raw",
                                             container_format="bare", visibility="public").id
    out = cli("server", "create", "--wait", "--image", image, "--flavor", "m1.nano", "--nic", "none",
              "-f", "value", "-c", "status", "cli-vm")
    assert out.strip() == "ACTIVE"
    cli("server", "delete", "--wait", "cli-vm")
