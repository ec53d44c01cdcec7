"""A real ``onestack serve`` subprocess for the object store's crash and streaming
tests, and a tiny keep-alive-free HTTP helper (each call its own connection, so a
test can fire many from threads)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ONESTACK = str(Path(sys.executable).parent / "onestack")
PASSWORD = "object-store-secret"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Serve:
    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    token: str = ""
    project_id: str = ""
    starts: int = 0

    @property
    def store_path(self) -> Path:
        return self.data_dir / "object-store"

    @property
    def account(self) -> str:
        return f"/object-store/v1/AUTH_{self.project_id}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def conn(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def start(self, timeout: float = 30.0) -> Serve:
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ONESTACK_"))}
        env.update(ONESTACK_ADMIN_PASSWORD=PASSWORD, ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS="4",
                   # the services these tests need: another service's start cannot mask them
                   ONESTACK_SERVICES__ENABLED="identity,object_store")
        log = open(self.data_dir.parent / f"serve-{self.starts}.log", "wb")  # noqa: SIM115
        with log:
            self.proc = subprocess.Popen(
                [ONESTACK, "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"onestack serve exited {self.proc.returncode}:\n{self.output()}")
            try:
                if self._login():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"onestack serve did not answer in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return (self.data_dir.parent / f"serve-{self.starts}.log").read_text(errors="replace")

    def _login(self) -> bool:
        body = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
        c = self.conn(5)
        try:
            c.request("POST", "/identity/v3/auth/tokens", body,
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        if r.status != 201:
            return False
        self.token = r.getheader("X-Subject-Token") or ""
        self.project_id = json.loads(data)["token"]["project"]["id"]
        return True

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request on its own connection, against the account: status, headers, body."""
        c = self.conn()
        try:
            c.request(method, self.account + path, body,
                      {"X-Auth-Token": self.token, **(headers or {})})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def store_files(root: Path, sub: str) -> list[Path]:
    d = root / sub
    return [p for p in d.rglob("*") if p.is_file()] if d.exists() else []


def md5(data: bytes) -> str:
    import hashlib

    return hashlib.md5(data, usedforsecurity=False).hexdigest()


__all__ = ["Serve", "md5", "rss_bytes", "store_files"]
