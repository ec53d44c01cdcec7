"""A real ``onestack serve`` subprocess for tests that drive it with real clients:
the server (``live_server``), an openstacksdk connection to it (``connect``) and the
``openstack`` CLI pointed at it (``Cli``)."""

from __future__ import annotations

import contextlib
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

PASSWORD = "compat-secret"

# the marks of a module of such tests: ``compat``, and the warnings the clients raise
MARKS = [
    pytest.mark.compat,
    pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``onestack serve`` on a free port with its data in ``data`` (the admin password
    is ``PASSWORD``, bcrypt is cheap, the output goes to ``data/serve.log``); yields its
    URL once it answers, stops it after."""
    import httpx2 as httpx

    port = free_port()
    full = {**os.environ, "ONESTACK_ADMIN_PASSWORD": PASSWORD,
            "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4", **(env or {})}
    full.pop("ONESTACK_CONFIG", None)
    exe = shutil.which("onestack", path=str(Path(sys.executable).parent)) or "onestack"
    log = data / "serve.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([exe, "serve", "--data-dir", str(data), "--port", str(port)], env=full,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"onestack serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def connect(url: str, **kw: Any) -> Any:
    """An openstacksdk connection to the live server as the admin."""
    import openstack

    return openstack.connect(auth_url=url + "/identity/v3", username="admin", password=PASSWORD,
                             project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne", **kw)


class Cli:
    """The ``openstack`` CLI against a live server, through the ``clouds.yaml`` that
    ``onestack serve`` writes into its data dir; skips the test when
    python-openstackclient is not installed."""

    def __init__(self, data: Path) -> None:
        exe = shutil.which("openstack", path=str(Path(sys.executable).parent))
        if exe is None:
            pytest.skip("python-openstackclient is not installed")
        clouds = data / "clouds.yaml"
        assert clouds.exists()
        self.exe = exe
        self.env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}

    def __call__(self, *args: str) -> str:
        """``openstack --os-cloud onestack ARGS``: its output; the test fails unless it exits 0."""
        r = subprocess.run([self.exe, "--os-cloud", "onestack", *args], env=self.env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, f"{args}: {r.stderr}"
        return r.stdout

    def json(self, *args: str) -> Any:
        """The same with ``-f json``: the parsed output (None when there is none)."""
        out = self(*args, "-f", "json")
        return json.loads(out) if out.strip() else None
