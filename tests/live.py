"""A real ``onestack serve`` subprocess for tests that drive it with real clients
(the openstack CLI, openstacksdk), and the openstacksdk connection to it."""

from __future__ import annotations

import contextlib
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``onestack serve`` on a free port with its data in ``data`` (the admin password
    is ``PASSWORD``, bcrypt is cheap); yields its URL once it answers, stops it after."""
    import httpx2 as httpx

    port = free_port()
    full = {**os.environ, "ONESTACK_ADMIN_PASSWORD": PASSWORD,
            "ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4", **(env or {})}
    full.pop("ONESTACK_CONFIG", None)
    exe = shutil.which("onestack", path=str(Path(sys.executable).parent)) or "onestack"
    proc = subprocess.Popen([exe, "serve", "--data-dir", str(data), "--port", str(port)], env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"onestack serve did not start:\n{out[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout:
            proc.stdout.close()


def connect(url: str, **kw: Any) -> Any:
    """An openstacksdk connection to the live server as the admin."""
    import openstack

    return openstack.connect(auth_url=url + "/identity/v3", username="admin", password=PASSWORD,
                             project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne", **kw)
