"""Compatibility tests: a real ``onestack serve`` in a subprocess, driven by the real
clients (the ``openstack`` CLI, openstacksdk, keystoneauth1, plain HTTP).

The ``onestack`` and ``openstack`` executables are the ones installed next to the
interpreter running the tests.  Every subprocess gets a clean environment: no OS_*
or ONESTACK_* variable of the developer's shell leaks in.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

BIN = Path(sys.executable).parent
ONESTACK = str(BIN / "onestack")
OPENSTACK = str(BIN / "openstack")
ADMIN_PASSWORD = "compat-admin-secret"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ONESTACK_"))}
    env.update(extra)
    return env


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 10.0) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection: (status, lower-cased headers, parsed JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, hdrs = r.read(), r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, {k.lower(): v for k, v in e.headers.items()}
        e.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, hdrs, parsed


@dataclass
class Server:
    """``onestack serve`` on a free port with its own data directory."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    @property
    def clouds_yaml(self) -> Path:
        return self.data_dir / "clouds.yaml"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-serve-{self.starts}.log"

    def start(self) -> Server:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        cmd = [ONESTACK, "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        env = clean_env(ONESTACK_ADMIN_PASSWORD=ADMIN_PASSWORD,
                        ONESTACK_IDENTITY__PASSWORD_HASH_ROUNDS="4", **self.env)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"onestack serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                status, _, _ = http("GET", self.auth_url, timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"onestack serve did not answer within {START_TIMEOUT}s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; the exit code and how long it took."""
        assert self.proc is not None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"onestack serve ignored SIGTERM for {timeout}s:\n{self.output()}")
        return rc, time.monotonic() - t0

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    # ---- plain HTTP helpers -------------------------------------------------------
    def password_token(self, username: str = "admin", password: str = ADMIN_PASSWORD,
                       project: str | None = "admin") -> str:
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"id": "default"}, "password": password}}}}
        if project:
            auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
        status, hdrs, body = http("POST", self.auth_url + "/auth/tokens", {"auth": auth})
        assert status == 201, body
        return hdrs["x-subject-token"]

    def validate(self, subject: str, auth_token: str | None = None) -> int:
        """GET /v3/auth/tokens for ``subject`` (as the admin unless told otherwise)."""
        status, _, _ = http("GET", self.auth_url + "/auth/tokens", headers={
            "X-Auth-Token": auth_token or self.password_token(), "X-Subject-Token": subject})
        return status


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("compat") / "data").start()
    yield srv
    srv.kill()


# commands that print nothing (and refuse -f json)
_NO_OUTPUT = {("group", "add"), ("role", "add"), ("role", "remove")}


@dataclass
class Cli:
    """The ``openstack`` command against a server's clouds.yaml."""

    server: Server

    def run(self, *args: str, check: bool = True, cloud: bool = True,
            fmt: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [OPENSTACK]
        if cloud:
            cmd += ["--os-cloud", "onestack"]
        cmd += list(args)
        if fmt:
            cmd += ["-f", "json"]
        # without --os-cloud, no clouds.yaml either: its single cloud would be the default
        env = clean_env(OS_CLIENT_CONFIG_FILE=str(self.server.clouds_yaml)) if cloud else clean_env()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd[1:])} exited {p.returncode}:\n{p.stderr}\n{p.stdout}")
        return p

    def __call__(self, *args: str, **kw: Any) -> Any:
        out = self.run(*args, **kw).stdout
        return json.loads(out) if out.strip() and kw.get("fmt", True) else out

    def many(self, *commands: tuple[str, ...]) -> list[Any]:
        """Independent commands run side by side (each is a second of interpreter start)."""
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            return list(pool.map(lambda c: self(*c, fmt=c[:2] not in _NO_OUTPUT), commands))


@pytest.fixture(scope="module")
def osc(server: Server) -> Cli:
    return Cli(server)


# ---- database servers -------------------------------------------------------------------
DB_SERVERS = {
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/",
}


def fresh_database(kind: str) -> tuple[str, Any]:
    """A new, empty database on the local MariaDB or PostgreSQL server: its URL and a
    function that drops it.  Skips (fails under CI=true) when the server is down."""
    server = os.environ.get(f"ONESTACK_TEST_{kind.upper()}_URL", DB_SERVERS[kind])
    name = "onestack_compat_" + uuid.uuid4().hex[:10]
    admin_db = "postgres" if kind == "postgresql" else ""
    engine = sa.create_engine(server + admin_db, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as e:
        engine.dispose()
        reason = f"{kind} server {server} not reachable: {str(e).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        print(f"SKIP: {reason}")
        pytest.skip(reason)

    def drop() -> None:
        with engine.connect() as c:
            if kind == "postgresql":
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()

    return server + name, drop
