"""Real clients attach volumes to servers on a real ``onestack serve`` (fake
compute and volume drivers): openstacksdk (``create_volume_attachment``,
``volume_attachments``, ``delete_volume_attachment``) and the openstack CLI
(``server add volume``, ``server volume list``, ``server remove volume``,
``server create --volume`` to boot from a volume)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compute_qemu.realserve import PASSWORD, Proc

pytestmark = [
    pytest.mark.compat,
    pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
ENV = {"ONESTACK_SERVICES__ENABLED": "identity,image,compute,volume", "ONESTACK_VOLUME__DRIVER": "fake",
       "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4", "ONESTACK_SERVER__LOG_LEVEL": "warning"}


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    p = Proc(tmp_path_factory.mktemp("serve-volumes"), env=ENV).start()
    try:
        yield p
    finally:
        p.stop()


def _connect(url: str) -> Any:
    import openstack

    return openstack.connect(auth_url=url + "/identity/v3", username="admin", password=PASSWORD,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", compute_api_version="2", block_storage_api_version="3")


def test_openstacksdk_attach_list_detach(serve: Proc) -> None:
    conn = _connect(serve.url)
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


def test_openstack_cli_server_volumes(serve: Proc) -> None:
    exe = shutil.which("openstack", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("python-openstackclient is not installed")
    clouds = serve.data_dir / "clouds.yaml"
    assert clouds.exists()
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}

    def cli(*args: str) -> str:
        r = subprocess.run([exe, "--os-cloud", "onestack", *args], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    conn = _connect(serve.url)
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
