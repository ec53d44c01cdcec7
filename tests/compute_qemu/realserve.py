"""A real ``onestack serve`` (or ``onestack worker``) subprocess and a small
HTTP client for the compute, image and identity APIs, for end-to-end tests
and benchmarks.  Only stdlib + httpx."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

PASSWORD = "e2e-admin-secret"
COMPUTE = "/compute/v2.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """``python -m onestack.cli.main <command> --data-dir D`` with its output in a log file."""

    def __init__(self, data_dir: Path, command: str = "serve", port: int | None = None,
                 env: dict[str, str] | None = None, args: list[str] | None = None,
                 log_name: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.command = command
        self.port = port or free_port()
        self.env = {**os.environ, "ONESTACK_ADMIN_PASSWORD": PASSWORD, **(env or {})}
        self.args = args or []
        self.log_path = self.data_dir / (log_name or f"{command}.log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True, timeout: float = 60.0) -> Proc:
        argv = [sys.executable, "-m", "onestack.cli.main", self.command, "--data-dir", str(self.data_dir)]
        if self.command == "serve":
            argv += ["--port", str(self.port)]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(argv + self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        if wait and self.command == "serve":
            self.wait_up(timeout)
        return self

    def wait_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"onestack {self.command} exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"onestack did not answer within {timeout:.0f}s:\n{self.log()}")

    def log(self, tail: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])
        except OSError:
            return ""

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Api:
    """Admin-scoped calls against a running onestack."""

    def __init__(self, url: str, password: str = PASSWORD, timeout: float = 120.0) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=timeout)
        r = self.http.post("/identity/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        self.http.headers["X-Auth-Token"] = self.token

    def close(self) -> None:
        self.http.close()

    # ---- compute ---------------------------------------------------------------
    def nova(self, method: str, path: str, version: str = "2.79", **kw: Any) -> httpx.Response:
        headers = {"OpenStack-API-Version": f"compute {version}", **kw.pop("headers", {})}
        return self.http.request(method, COMPUTE + path, headers=headers, **kw)

    def flavor_id(self, name: str) -> str:
        r = self.nova("GET", "/flavors")
        r.raise_for_status()
        return next(f["id"] for f in r.json()["flavors"] if f["name"] == name)

    def create_server(self, name: str, image: str, flavor: str, user_data: bytes | None = None,
                      key_name: str | None = None, networks: Any = "none") -> str:
        body: dict[str, Any] = {"name": name, "imageRef": image, "flavorRef": flavor, "networks": networks}
        if user_data is not None:
            body["user_data"] = base64.b64encode(user_data).decode()
        if key_name:
            body["key_name"] = key_name
        r = self.nova("POST", "/servers", json={"server": body})
        assert r.status_code == 202, r.text
        return str(r.json()["server"]["id"])

    def server(self, sid: str) -> dict[str, Any] | None:
        r = self.nova("GET", f"/servers/{sid}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()["server"]  # type: ignore[no-any-return]

    def wait_server(self, sid: str, statuses: tuple[str, ...] = ("ACTIVE",), timeout: float = 120.0,
                    settled: bool = True) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        srv: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            srv = self.server(sid)
            if srv is None:
                if "DELETED" in statuses:
                    return {}
            elif srv["status"] in statuses and (not settled or srv.get("OS-EXT-STS:task_state") is None):
                return srv
            elif srv["status"] == "ERROR" and not {"ERROR", "DELETED"} & set(statuses):
                raise AssertionError(f"server {sid} went ERROR: {srv.get('fault')}")
            time.sleep(0.1)
        raise AssertionError(f"server {sid} not {statuses} after {timeout:.0f}s: {srv}")

    def action(self, sid: str, body: dict[str, Any], version: str = "2.79") -> httpx.Response:
        return self.nova("POST", f"/servers/{sid}/action", version=version, json=body)

    def console(self, sid: str, length: int | None = None) -> str:
        r = self.action(sid, {"os-getConsoleOutput": {"length": length}})
        if r.status_code == 409:
            return ""
        assert r.status_code == 200, r.text
        return str(r.json()["output"])

    def wait_console(self, sid: str, text: str, count: int = 1, timeout: float = 180.0) -> float:
        start = time.monotonic()
        while self.console(sid).count(text) < count:
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{text!r} x{count} not on the console of {sid} after "
                                     f"{timeout:.0f}s:\n{self.console(sid, 40)}")
            time.sleep(0.2)
        return time.monotonic() - start

    # ---- image -------------------------------------------------------------------
    def upload_image(self, name: str, data_path: Path | None, disk_format: str, container_format: str,
                     **props: Any) -> str:
        r = self.http.post("/image/v2/images", json={"name": name, "disk_format": disk_format,
                                                      "container_format": container_format, **props})
        assert r.status_code == 201, r.text
        iid = str(r.json()["id"])
        if data_path is not None:
            with open(data_path, "rb") as f:
                r = self.http.put(f"/image/v2/images/{iid}/file", content=f,
                                  headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 204, r.text
        return iid

    def image(self, iid: str) -> dict[str, Any]:
        r = self.http.get(f"/image/v2/images/{iid}")
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait_image(self, iid: str, status: str = "active", timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        img: dict[str, Any] = {}
        while time.monotonic() < deadline:
            img = self.image(iid)
            if img["status"] == status:
                return img
            time.sleep(0.2)
        raise AssertionError(f"image {iid} not {status} after {timeout:.0f}s: {img}")


def qemu_pids(marker: str) -> dict[int, str]:
    """pid -> command line of every live qemu-system process whose command line holds ``marker``."""
    out: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state in ("Z", "X") or b"qemu-system" not in cmd.split(b"\0", 1)[0]:
            continue
        if marker.encode() in cmd:
            out[int(entry.name)] = cmd.replace(b"\0", b" ").decode(errors="replace")
    return out


def kill_qemus(marker: str) -> None:
    """Test clean-up: end every qemu a test started (found by its data dir in the command line)."""
    for pid in qemu_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
