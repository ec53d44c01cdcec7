"""Real clients against a real ``onestack serve``: openstacksdk and the openstack CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.compat,
    # openstacksdk warns about its own defaults and internal calls (RemovedInSDK60Warning)
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]
PASSWORD = "compat-secret"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import httpx2 as httpx  # (the declared test dependency; plain httpx is not)

    data = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "ONESTACK_ADMIN_PASSWORD": PASSWORD, "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4"}
    env.pop("ONESTACK_CONFIG", None)
    exe = shutil.which("onestack", path=str(BIN)) or "onestack"
    log = open(data / "serve.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [exe, "serve", "--data-dir", str(data), "--port", str(port), "--host", "127.0.0.1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/image/", timeout=1).status_code == 300:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("onestack serve did not start:\n" + (data / "serve.log").read_text())
            time.sleep(0.1)
        yield {"base": base, "data": data, "clouds": data / "clouds.yaml"}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_openstacksdk(server: dict[str, Any], tmp_path: Path) -> None:
    import openstack

    conn = openstack.connect(
        auth_url=server["base"] + "/identity/v3", username="admin", password=PASSWORD,
        project_name="admin", user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", identity_api_version="3",
    )
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


def test_openstack_cli(server: dict[str, Any], tmp_path: Path) -> None:
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(server["clouds"]), "OS_CLOUD": "onestack"}
    exe = shutil.which("openstack", path=str(BIN)) or "openstack"

    def osc(*args: str) -> str:
        r = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    src = tmp_path / "cli.img"
    src.write_bytes(os.urandom(1024 * 1024))
    created = json.loads(osc("image", "create", "--file", str(src), "--disk-format", "qcow2",
                             "--container-format", "bare", "--property", "os_distro=cirros",
                             "-f", "json", "cli-image"))
    assert created["status"] == "active"
    listed = json.loads(osc("image", "list", "-f", "json"))
    assert "cli-image" in {i["Name"] for i in listed}
    out = tmp_path / "saved.img"
    osc("image", "save", "--file", str(out), "cli-image")
    assert out.read_bytes() == src.read_bytes()
