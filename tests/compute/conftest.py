"""Compute test fixtures: one in-process cloud per module (fake driver, local
bus, two fake hosts for scheduler tests), a public image, and helpers that
wait for the worker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

API = "/compute/v2.1"


@dataclass
class ComputeFixture:
    fx: CloudFixture
    image_id: str

    @property
    def cloud(self) -> Any:
        return self.fx.cloud

    @property
    def cm(self) -> Any:
        return self.fx.cloud.services["compute"]

    def req(self, method: str, path: str, token: str | None = None, version: str | None = None,
            **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        headers["X-Auth-Token"] = token or self.fx.admin_token
        if version is not None:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return self.fx.client.request(method, API + path, headers=headers, **kw)

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        return self.req(method, path, **kw)

    def drain(self) -> None:
        assert self.cm.bus.drain(10)

    def boot(self, token: str | None = None, *, wait: str | None = "ACTIVE", version: str = "2.37",
             **server: Any) -> dict[str, Any]:
        body = {"name": "vm-" + uuid.uuid4().hex[:6], "imageRef": self.image_id, "flavorRef": "42",
                "networks": "none", **server}
        if version < "2.37" and body.get("networks") == "none":
            body.pop("networks")
        r = self.req("POST", "/servers", token, version, json={"server": body})
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        if wait:
            return self.wait(sid, wait, token)
        return {"id": sid}

    def wait(self, sid: str, status: str, token: str | None = None, version: str = "2.1") -> dict[str, Any]:
        self.drain()
        deadline = time.monotonic() + 10
        while True:
            r = self.req("GET", f"/servers/{sid}", token, version)
            if status == "DELETED" and r.status_code == 404:
                return {}
            assert r.status_code == 200, r.text
            srv = r.json()["server"]
            if srv["status"] == status and srv.get("OS-EXT-STS:task_state") is None:
                return srv  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, f"server {sid} stuck in {srv['status']}, wanted {status}"
            time.sleep(0.01)

    def action(self, sid: str, body: dict[str, Any], token: str | None = None, version: str | None = None) -> Any:
        return self.req("POST", f"/servers/{sid}/action", token, version, json=body)

    def member(self, project_id: str | None = None, role: str = "member") -> tuple[str, str, str]:
        """(token, project_id, user_id) for a new user with ``role`` on a (new) project."""
        pid = project_id or self.fx.make_project()["id"]
        user, token = self.fx.persona(role, project_id=pid)
        return token, pid, user["id"]


def make_image(fx: CloudFixture, data: bytes = b"\0" * 4096, **props: Any) -> str:
    h = {"X-Auth-Token": fx.admin_token}
    body = {"name": "cirros", "disk_format": "raw", "container_format": "bare", "visibility": "public", **props}
    r = fx.client.post("/image/v2/images", headers=h, json=body)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    r = fx.client.put(f"/image/v2/images/{iid}/file", headers={**h, "Content-Type": "application/octet-stream"},
                      content=data)
    assert r.status_code == 204, r.text
    return str(iid)


def compute_cloud(tmp_path: Any) -> Iterator[ComputeFixture]:
    import tests.conftest as base

    orig = base.config.load

    def load(**kw: Any) -> Any:
        kw["overrides"] = {**kw.get("overrides", {}), "compute": {"fake_hosts": 2}}
        return orig(**kw)

    base.config.load = load  # type: ignore[assignment]
    try:
        gen = make_cloud(tmp_path)
        fx = next(gen)
    finally:
        base.config.load = orig  # type: ignore[assignment]
    try:
        yield ComputeFixture(fx=fx, image_id=make_image(fx))
    finally:
        for _ in gen:
            pass


@pytest.fixture(scope="module")
def nova(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComputeFixture]:
    yield from compute_cloud(tmp_path_factory.mktemp("compute"))
