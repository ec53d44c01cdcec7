"""What ``onestack serve`` promises operators: a clouds.yaml on first start, a clean
exit on SIGTERM, data and tokens that survive a restart, and several workers that
behave as one (a token revoked through one worker is refused by every other)."""

from __future__ import annotations

import json
import os
import stat
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compat.conftest import ADMIN_PASSWORD, Cli, Server, http

pytestmark = pytest.mark.compat


def test_first_start_sigterm_and_restart(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data").start()
    try:
        # the clouds.yaml: where the CLI finds the cloud, readable by its owner only
        assert srv.clouds_yaml.is_file()
        assert stat.S_IMODE(srv.clouds_yaml.stat().st_mode) == 0o600
        cloud = yaml.safe_load(srv.clouds_yaml.read_text())["clouds"]["onestack"]
        assert cloud["auth"]["auth_url"] == srv.auth_url
        assert cloud["auth"]["password"] == ADMIN_PASSWORD
        cli_token = Cli(srv)("token", "issue")["id"]
        assert srv.validate(cli_token) == 200

        admin = srv.password_token()
        status, _, body = http("POST", srv.auth_url + "/projects", {"project": {"name": "survivor"}},
                               headers={"X-Auth-Token": admin})
        assert status == 201
        project_id = body["project"]["id"]

        rc, took = srv.stop()
        assert rc == 0, srv.output()
        assert took < 5, f"SIGTERM took {took:.1f}s"
        assert "Traceback" not in srv.output()

        srv.start()
        # same keys on disk: the tokens issued before the restart still validate
        assert srv.validate(cli_token, auth_token=admin) == 200
        assert srv.validate(admin, auth_token=admin) == 200
        status, _, body = http("GET", f"{srv.auth_url}/projects/{project_id}",
                               headers={"X-Auth-Token": admin})
        assert status == 200 and body["project"]["name"] == "survivor"
        # a restart is not a second bootstrap: one admin, same password
        status, _, body = http("GET", srv.auth_url + "/users?name=admin", headers={"X-Auth-Token": admin})
        assert len(body["users"]) == 1
        rc, _ = srv.stop()
        assert rc == 0, srv.output()
    finally:
        srv.kill()


# ---- several workers ---------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _serving_pid(conn: HTTPConnection, server_port: int, candidates: list[int]) -> int | None:
    """Which process holds the server end of this (open) connection."""
    client_port = conn.sock.getsockname()[1]
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == server_port and int(f[2].rsplit(":", 1)[1], 16) == client_port:
                inode = f[9]
    if inode is None:
        return None
    want = f"socket:[{inode}]"
    for pid in candidates:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == want:
                    return pid
            except OSError:
                continue
    return None


def _request(conn: HTTPConnection, method: str, path: str, **headers: str) -> tuple[int, Any]:
    conn.request(method, path, headers=headers)
    r = conn.getresponse()
    raw = r.read()
    return r.status, json.loads(raw) if raw else None


def _connections_per_worker(srv: Server, attempts: int = 200) -> dict[int, HTTPConnection]:
    """Open fresh keep-alive connections until every worker holds one."""
    assert srv.proc is not None
    workers = _children(srv.proc.pid)
    found: dict[int, HTTPConnection] = {}
    for _ in range(attempts):
        conn = HTTPConnection("127.0.0.1", srv.port, timeout=10)
        _request(conn, "GET", "/identity/v3")
        pid = _serving_pid(conn, srv.port, workers)
        if pid is not None and pid not in found:
            found[pid] = conn
        else:
            conn.close()
        if len(found) == srv.workers:
            return found
        workers = workers or _children(srv.proc.pid)
    pytest.fail(f"{attempts} connections reached only workers {sorted(found)} of {workers}")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc to tell workers apart")
def test_two_workers_share_revocations(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", workers=2).start()
    conns: dict[int, HTTPConnection] = {}
    try:
        admin = srv.password_token()
        victim = srv.password_token()
        conns = _connections_per_worker(srv)
        (pid_a, on_a), (pid_b, on_b) = conns.items()
        assert pid_a != pid_b

        path = "/identity/v3/auth/tokens"
        # both workers have validated (and cached) the token
        assert _request(on_b, "GET", path, **{"X-Auth-Token": admin, "X-Subject-Token": victim})[0] == 200
        assert _request(on_a, "GET", path, **{"X-Auth-Token": admin, "X-Subject-Token": victim})[0] == 200
        # revoked through worker A ...
        assert _request(on_a, "DELETE", path, **{"X-Auth-Token": admin, "X-Subject-Token": victim})[0] == 204
        # ... refused by worker B at once, and by A
        assert _request(on_b, "GET", path, **{"X-Auth-Token": admin, "X-Subject-Token": victim})[0] == 404
        assert _request(on_b, "GET", "/identity/v3/projects", **{"X-Auth-Token": victim})[0] == 401
        assert _request(on_a, "GET", path, **{"X-Auth-Token": admin, "X-Subject-Token": victim})[0] == 404

        # a write through B is read through A
        on_b.request("POST", "/identity/v3/projects", body=json.dumps({"project": {"name": "via-b"}}),
                     headers={"X-Auth-Token": admin, "Content-Type": "application/json"})
        r = on_b.getresponse()
        created = json.loads(r.read())["project"]
        assert r.status == 201
        status, body = _request(on_a, "GET", f"/identity/v3/projects/{created['id']}", **{"X-Auth-Token": admin})
        assert status == 200 and body["project"]["name"] == "via-b"
        for c in conns.values():
            c.close()
        rc, took = srv.stop()
        assert rc == 0, srv.output()
        assert took < 8, f"SIGTERM took {took:.1f}s with two workers"
    finally:
        for c in conns.values():
            c.close()
        srv.kill()
