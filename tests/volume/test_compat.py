"""Real clients against a real ``onestack serve`` with the volume service
(fake driver): openstacksdk and the ``openstack`` CLI create, list, show and
delete volumes, snapshot one, and list volume types."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import connect, live_server

pytestmark = [
    pytest.mark.compat,
    pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]
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
    exe = shutil.which("openstack", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("python-openstackclient is not installed")
    clouds = server[1] / "clouds.yaml"
    assert clouds.exists()
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}

    def cli(*args: str) -> str:
        r = subprocess.run([exe, "--os-cloud", "onestack", *args], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    created = json.loads(cli("volume", "create", "--size", "1", "--property", "a=b", "-f", "json", "cli-vol"))
    assert created["size"] == 1 and created["name"] == "cli-vol"
    deadline = time.monotonic() + 30
    while json.loads(cli("volume", "show", "cli-vol", "-f", "json"))["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    listed = json.loads(cli("volume", "list", "-f", "json"))
    assert [v["Name"] for v in listed] == ["cli-vol"] and listed[0]["Status"] == "available"
    snap = json.loads(cli("volume", "snapshot", "create", "--volume", "cli-vol", "-f", "json", "cli-snap"))
    assert snap["name"] == "cli-snap"
    types = json.loads(cli("volume", "type", "list", "-f", "json"))
    assert "__DEFAULT__" in [t["Name"] for t in types]
    deadline = time.monotonic() + 30
    while json.loads(cli("volume", "snapshot", "show", "cli-snap", "-f", "json"))["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cli("volume", "snapshot", "delete", "cli-snap")
    deadline = time.monotonic() + 30
    while json.loads(cli("volume", "snapshot", "list", "-f", "json")):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cli("volume", "delete", "cli-vol")
