"""Compute across processes (fake driver, real subprocesses):

* ``onestack serve --workers 2``: two API processes, one compute node (in the
  supervisor) behind the ``db://`` bus; requests on fresh connections land on
  both API processes and every action succeeds;
* an API-only ``serve`` plus a separate ``onestack worker`` over the ``db://``
  bus and over RabbitMQ (127.0.0.1:5672 guest/guest; skipped with the reason
  when unreachable, unless CI=true).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json as _json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compute_qemu.realserve import COMPUTE, Api, Proc

RABBIT = os.environ.get("ONESTACK_TEST_RABBIT_URL", "rabbit://guest:guest@127.0.0.1:5672//")


class _Resp:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.text = status, body.decode(errors="replace")

    def json(self) -> Any:
        return _json.loads(self.text)


def _fresh(api: Api, method: str, path: str, version: str = "2.79", json: Any = None) -> _Resp:
    """One request on a new connection (so the kernel picks any API process)."""
    headers = {"X-Auth-Token": api.token, "OpenStack-API-Version": f"compute {version}",
               "Connection": "close", "Content-Type": "application/json"}
    host, _, port = api.url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        body = None if json is None else _json.dumps(json)
        conn.request(method, COMPUTE + path, body=body, headers=headers)
        r = conn.getresponse()
        return _Resp(r.status, r.read())
    finally:
        conn.close()


def _wait(api: Api, sid: str, status: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    srv: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = _fresh(api, "GET", f"/servers/{sid}")
        if status == "DELETED" and r.status_code == 404:
            return {}
        assert r.status_code == 200, r.text
        srv = r.json()["server"]
        if srv["status"] == status and srv.get("OS-EXT-STS:task_state") is None:
            return srv
        assert srv["status"] != "ERROR", srv.get("fault")
        time.sleep(0.05)
    raise AssertionError(f"{sid} not {status} after {timeout}s: {srv}")


def _life(api: Api, image: str, i: int) -> str:
    """Create, stop, start, reboot, console output, delete: each on a fresh connection."""
    r = _fresh(api, "POST", "/servers", json={"server": {
        "name": f"mp-{i}", "imageRef": image, "flavorRef": "42", "networks": "none"}})
    assert r.status_code == 202, r.text
    sid = str(r.json()["server"]["id"])
    _wait(api, sid, "ACTIVE")
    for body, status in (({"os-stop": None}, "SHUTOFF"), ({"os-start": None}, "ACTIVE"),
                         ({"reboot": {"type": "SOFT"}}, "ACTIVE")):
        r = _fresh(api, "POST", f"/servers/{sid}/action", json=body)
        assert r.status_code == 202, (body, r.text)
        _wait(api, sid, status)
    for _ in range(3):
        r = _fresh(api, "POST", f"/servers/{sid}/action", json={"os-getConsoleOutput": {}})
        assert r.status_code == 200, r.text
        assert isinstance(r.json()["output"], str)
    assert _fresh(api, "DELETE", f"/servers/{sid}").status_code == 204
    _wait(api, sid, "DELETED")
    return sid


def _image(api: Api) -> str:
    r = api.http.post("/image/v2/images", json={"name": "mp-" + uuid.uuid4().hex[:6], "disk_format": "raw",
                                                 "container_format": "bare", "visibility": "public"})
    assert r.status_code == 201, r.text
    iid = str(r.json()["id"])
    assert api.http.put(f"/image/v2/images/{iid}/file", content=b"\0" * 4096,
                        headers={"Content-Type": "application/octet-stream"}).status_code == 204
    return iid


def _api_pids(serve: Proc) -> list[int]:
    """The uvicorn worker processes of ``serve`` (children running the app)."""
    assert serve.proc is not None
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) != serve.proc.pid:
                continue
            with contextlib.suppress(OSError):  # not multiprocessing's resource tracker
                if b"spawn_main" in (entry / "cmdline").read_bytes():
                    out.append(int(entry.name))
    return out


def _serving(pids: list[int], port: int) -> set[int]:
    """Which of ``pids`` hold an established connection to ``port`` right now."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f[9])
    out = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        out.add(pid)
                        break
        except OSError:
            continue
    return out


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Proc]:
    p = Proc(tmp_path / "data", args=["--workers", "2"], env={"ONESTACK_SERVER__LOG_LEVEL": "warning"})
    p.start(timeout=90)
    yield p
    p.stop()


def test_serve_two_workers_every_action_succeeds(two_workers: Proc) -> None:
    api = Api(two_workers.url)
    image = _image(api)
    children = _api_pids(two_workers)
    assert len(children) == 2, children
    seen: set[int] = set()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen.update(_serving(children, two_workers.port))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # each request on a new connection: both API processes take some; each action
    # must reach the one compute node (in the supervisor), wherever it landed
    try:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            done = list(pool.map(lambda i: _life(api, image, i), range(24)))
    finally:
        stop.set()
        sampler.join()
    assert len(set(done)) == 24
    assert seen == set(children), f"requests reached only {seen} of {children}"
    r = _fresh(api, "GET", "/os-hypervisors/detail", version="2.53")
    hosts = [h["service"]["host"] for h in r.json()["hypervisors"]]
    assert hosts == ["onestack"], hosts
    assert "compute node onestack in the supervisor" in two_workers.log(200)
    api.close()


def _rabbit_reachable() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return None
    except OSError as e:
        return f"RabbitMQ at 127.0.0.1:5672 unreachable ({e})"


@pytest.mark.parametrize("bus", ["db://", RABBIT], ids=["db", "rabbit"])
def test_api_and_separate_worker(tmp_path: Path, bus: str) -> None:
    if bus.startswith("rabbit"):
        why = _rabbit_reachable()
        if why:
            if os.environ.get("CI") == "true":
                pytest.fail(why + " [CI=true: not skipping]")
            pytest.skip(why)
    host = "node-" + uuid.uuid4().hex[:8]  # its own queue, whatever earlier runs left in RabbitMQ
    env = {"ONESTACK_COMPUTE__BUS_URL": bus, "ONESTACK_COMPUTE__HOST": host,
           "ONESTACK_SERVER__LOG_LEVEL": "warning"}
    data = tmp_path / "data"
    api_proc = Proc(data, env={**env, "ONESTACK_COMPUTE__WORKER": "false"}).start()
    node = Proc(data, command="worker", env=env).start()
    try:
        api = Api(api_proc.url)
        image = _image(api)
        deadline = time.monotonic() + 30
        while not _fresh(api, "GET", "/os-hypervisors", version="2.53").json()["hypervisors"]:
            assert node.proc is not None and node.proc.poll() is None, node.log()
            assert time.monotonic() < deadline, node.log()
            time.sleep(0.1)
        done = [_life(api, image, i) for i in range(3)]
        assert len(done) == 3
        # a second worker for the same host refuses to start
        twin = Proc(data, command="worker", env=env, log_name="twin.log").start()
        assert twin.proc is not None and twin.proc.wait(30) == 1
        assert "already runs in another process" in twin.log()
        api.close()
    finally:
        node.stop()
        api_proc.stop()
    assert node.proc is not None and node.proc.returncode == 0, node.log()
