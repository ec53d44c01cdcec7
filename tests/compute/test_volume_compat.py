"""Real clients attach volumes to servers on a real ``onestack serve`` (fake
compute and volume drivers): openstacksdk (``create_volume_attachment``,
``volume_attachments``, ``delete_volume_attachment``) and the openstack CLI
(``server add volume``, ``server volume list``, ``server remove volume``,
``server create --volume`` to boot from a volume)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS
ENV = {"ONESTACK_SERVICES__ENABLED": "identity,image,compute,volume", "ONESTACK_VOLUME__DRIVER": "fake",
       "ONESTACK_SERVER__LOG_LEVEL": "warning"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve-volumes")
    with live_server(data, ENV) as url:
        yield url, data


def _connect(url: str) -> Any:
    return connect(url, compute_api_version="2", block_storage_api_version="3")


def test_openstacksdk_attach_list_detach(server: tuple[str, Path]) -> None:
    conn = _connect(server[0])
    image = conn.image.create_image(name="sdk-img", data=b"\1" * 4096, disk_format="raw",
                                    container_format="bare", visibility="public")
    flavor = conn.compute.find_flavor("m1.nano", ignore_missing=False)
    srv = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=flavor.id, networks="none")
    srv = conn.compute.wait_for_server(srv, status="ACTIVE", wait=30, interval=0.2)
    vol = conn.block_storage.create_volume(size=1, name="sdk-vol")
    conn.block_storage.wait_for_status(vol, status="available", wait=30, interval=0.2)
    att = conn.compute.create_volume_attachment(srv, volume_id=vol.id)
    assert att.volume_id == vol.id and att.server_id == srv.id and att.device == "/dev/vdb"
    vol = conn.block_storage.wait_for_status(vol, status="in-use", wait=30, interval=0.2)
    assert vol.attachments[0]["server_id"] == srv.id
    assert [a.volume_id for a in conn.compute.volume_attachments(srv)] == [vol.id]
    conn.compute.delete_volume_attachment(srv, vol.id)
    conn.block_storage.wait_for_status(vol, status="available", wait=30, interval=0.2)
    assert list(conn.compute.volume_attachments(srv)) == []
    conn.compute.delete_server(srv)
    conn.compute.wait_for_delete(srv, wait=30, interval=0.2)
    conn.block_storage.delete_volume(vol)


def test_openstack_cli_server_volumes(server: tuple[str, Path]) -> None:
    url, data = server
    cli = Cli(data)
    conn = _connect(url)
    image = conn.image.create_image(name="cli-img", data=b"\1" * 4096, disk_format="raw",
                                    container_format="bare", visibility="public").id
    cli("server", "create", "--wait", "--image", image, "--flavor", "m1.nano", "--nic", "none", "cli-vm")
    vol = cli("volume", "create", "--size", "1", "-f", "value", "-c", "id", "cli-vol").strip()
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(vol), status="available", wait=30,
                                       interval=0.2)
    cli("server", "add", "volume", "cli-vm", "cli-vol")
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(vol), status="in-use", wait=30,
                                       interval=0.2)
    out = cli("server", "volume", "list", "cli-vm", "-f", "value", "-c", "Volume ID")
    assert out.split() == [vol]
    cli("server", "remove", "volume", "cli-vm", "cli-vol")
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(vol), status="available", wait=30,
                                       interval=0.2)
    # boot from the volume (made bootable from the image)
    root = cli("volume", "create", "--size", "1", "--image", image, "--bootable", "-f", "value", "-c", "id",
               "cli-root").strip()
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(root), status="available", wait=30,
                                       interval=0.2)
    out = cli("server", "create", "--wait", "--volume", root, "--flavor", "m1.nano", "--nic", "none",
              "-f", "value", "-c", "status", "cli-bfv")
    assert out.strip() == "ACTIVE"
    assert conn.block_storage.get_volume(root).status == "in-use"
    cli("server", "delete", "--wait", "cli-bfv", "cli-vm")
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(root), status="available", wait=30,
                                       interval=0.2)
