"""Real clients against a real ``onestack serve`` with the volume service
(fake driver): openstacksdk and the ``openstack`` CLI create, list, show and
delete volumes, snapshot one, and list volume types."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve")
    with live_server(data, {"ONESTACK_SERVICES__ENABLED": "identity,image,volume", "ONESTACK_VOLUME__DRIVER": "fake"}) as url:
        yield url, data


def test_openstacksdk_volume_lifecycle(server: tuple[str, Path]) -> None:
    conn = connect(server[0])
    vol = conn.block_storage.create_volume(size=1, name="sdk-vol", metadata={"k": "v"})
    vol = conn.block_storage.wait_for_status(vol, status="available", wait=30, interval=0.2)
    assert vol.size == 1 and vol.metadata == {"k": "v"}
    conn.block_storage.extend_volume(vol, 2)
    vol = conn.block_storage.wait_for_status(vol, status="available", wait=30, interval=0.2)
    assert conn.block_storage.get_volume(vol.id).size == 2
    snap = conn.block_storage.create_snapshot(volume_id=vol.id, name="sdk-snap")
    snap = conn.block_storage.wait_for_status(snap, status="available", wait=30, interval=0.2)
    assert [s.id for s in conn.block_storage.snapshots(volume_id=vol.id)] == [snap.id]
    conn.block_storage.delete_snapshot(snap)
    conn.block_storage.wait_for_delete(snap, wait=30, interval=0.2)
    assert "__DEFAULT__" in [t.name for t in conn.block_storage.types()]
    assert [v.name for v in conn.block_storage.volumes()] == ["sdk-vol"]
    conn.block_storage.delete_volume(vol)
    conn.block_storage.wait_for_delete(vol, wait=30, interval=0.2)


def test_openstack_cli_volumes(server: tuple[str, Path]) -> None:
    cli = Cli(server[1])
    created = cli.json("volume", "create", "--size", "1", "--property", "a=b", "cli-vol")
    assert created["size"] == 1 and created["name"] == "cli-vol"
    deadline = time.monotonic() + 30
    while cli.json("volume", "show", "cli-vol")["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    listed = cli.json("volume", "list")
    assert [v["Name"] for v in listed] == ["cli-vol"] and listed[0]["Status"] == "available"
    snap = cli.json("volume", "snapshot", "create", "--volume", "cli-vol", "cli-snap")
    assert snap["name"] == "cli-snap"
    types = cli.json("volume", "type", "list")
    assert "__DEFAULT__" in [t["Name"] for t in types]
    deadline = time.monotonic() + 30
    while cli.json("volume", "snapshot", "show", "cli-snap")["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cli("volume", "snapshot", "delete", "cli-snap")
    deadline = time.monotonic() + 30
    while cli.json("volume", "snapshot", "list"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cli("volume", "delete", "cli-vol")
