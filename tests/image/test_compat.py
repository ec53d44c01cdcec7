"""Real clients against a real ``onestack serve``: openstacksdk and the openstack CLI."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import MARKS, Cli, connect, live_server

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("serve")
    with live_server(data) as url:
        yield url, data


def test_openstacksdk(server: tuple[str, Path], tmp_path: Path) -> None:
    import openstack

    conn = connect(server[0], identity_api_version="3")
    try:
        src = tmp_path / "disk.raw"
        src.write_bytes(os.urandom(2 * 1024 * 1024 + 3))
        with open(src, "rb") as f:
            img = conn.image.create_image(name="sdk-image", data=f, disk_format="raw",
                                          container_format="bare", wait=True, timeout=30)
        got = conn.image.get_image(img.id)
        assert got.status == "active" and got.size == src.stat().st_size
        assert got.checksum == hashlib.md5(src.read_bytes()).hexdigest()
        out = tmp_path / "out.raw"
        conn.image.download_image(got, output=str(out))
        assert out.read_bytes() == src.read_bytes()
        # paging follows Glance's "next" links
        for i in range(3):
            conn.image.create_image(name=f"sdk-page-{i}", allow_duplicates=True)
        names = [i.name for i in conn.image.images(limit=2)]
        assert {"sdk-image", "sdk-page-0", "sdk-page-1", "sdk-page-2"} <= set(names)
        conn.image.update_image(got, name="sdk-renamed", tags=["t1"], foo="bar")
        again = conn.image.get_image(img.id)
        assert again.name == "sdk-renamed" and again.tags == ["t1"] and again.properties["foo"] == "bar"
        # interoperable import (glance-direct)
        with open(src, "rb") as f:
            staged = conn.image.create_image(name="sdk-import", data=f, disk_format="raw",
                                             container_format="bare", use_import=True, wait=True, timeout=30)
        done = conn.image.wait_for_status(conn.image.get_image(staged.id), "active", interval=0.1, wait=30)
        assert done.size == src.stat().st_size
        conn.image.delete_image(got)
        with pytest.raises(openstack.exceptions.NotFoundException):
            conn.image.get_image(img.id)
    finally:
        conn.close()


def test_openstack_cli(server: tuple[str, Path], tmp_path: Path) -> None:
    osc = Cli(server[1])
    src = tmp_path / "cli.img"
    src.write_bytes(os.urandom(1024 * 1024))
    created = osc.json("image", "create", "--file", str(src), "--disk-format", "qcow2",
                       "--container-format", "bare", "--property", "os_distro=cirros", "cli-image")
    assert created["status"] == "active"
    listed = osc.json("image", "list")
    assert "cli-image" in {i["Name"] for i in listed}
    out = tmp_path / "saved.img"
    osc("image", "save", "--file", str(out), "cli-image")
    assert out.read_bytes() == src.read_bytes()
