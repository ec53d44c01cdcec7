"""Volume test fixtures: one in-process cloud per module (identity, image,
volume with the fake driver), helpers that call the Cinder API and wait for
background work."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

SERVICES = {"services": {"enabled": ["identity", "image", "volume"]}}


@dataclass
class VolumeFixture:
    fx: CloudFixture

    @property
    def vm(self) -> Any:
        return self.fx.cloud.services["volume"]

    @property
    def admin_project(self) -> str:
        r = self.fx.client.get("/identity/v3/auth/tokens", headers={
            "X-Auth-Token": self.fx.admin_token, "X-Subject-Token": self.fx.admin_token})
        return str(r.json()["token"]["project"]["id"])

    def req(self, method: str, path: str, token: str | None = None, version: str | None = None,
            project: str | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        headers["X-Auth-Token"] = token or self.fx.admin_token
        if version is not None:
            headers["OpenStack-API-Version"] = f"volume {version}"
        prefix = f"/volume/v3/{project}" if project else "/volume/v3"
        return self.fx.client.request(method, prefix + path, headers=headers, **kw)

    def member(self, project_id: str | None = None, role: str = "member") -> tuple[str, str, str]:
        """(token, project_id, user_id) for a new user with ``role`` on a (new) project."""
        pid = project_id or self.fx.make_project()["id"]
        user, token = self.fx.persona(role, project_id=pid)
        return token, pid, user["id"]

    def wait(self, path: str, key: str, status: str | tuple[str, ...], token: str | None = None,
             timeout: float = 10) -> dict[str, Any]:
        wanted = (status,) if isinstance(status, str) else status
        self.vm.wait_idle()
        deadline = time.monotonic() + timeout
        while True:
            r = self.req("GET", path, token)
            if "deleted" in wanted and r.status_code == 404:
                return {}
            assert r.status_code == 200, r.text
            item: dict[str, Any] = r.json()[key]
            if item["status"] in wanted:
                return item
            assert time.monotonic() < deadline, f"{path} stuck in {item['status']}, wanted {wanted}"
            time.sleep(0.01)

    def volume(self, token: str | None = None, wait: bool = True, **body: Any) -> dict[str, Any]:
        body = {"size": 1, "name": "v-" + uuid.uuid4().hex[:6], **body}
        r = self.req("POST", "/volumes", token, json={"volume": body})
        assert r.status_code == 202, r.text
        v: dict[str, Any] = r.json()["volume"]
        if wait:
            return self.wait(f"/volumes/{v['id']}", "volume", ("available", "error"), token)
        return v

    def snapshot(self, volume_id: str, token: str | None = None, **body: Any) -> dict[str, Any]:
        r = self.req("POST", "/snapshots", token, json={"snapshot": {"volume_id": volume_id, **body}})
        assert r.status_code == 202, r.text
        return self.wait(f"/snapshots/{r.json()['snapshot']['id']}", "snapshot", ("available", "error"), token)


def make_image(fx: CloudFixture, data: bytes = b"\x01" * 4096, **props: Any) -> str:
    h = {"X-Auth-Token": fx.admin_token}
    body = {"name": "img-" + uuid.uuid4().hex[:6], "disk_format": "raw", "container_format": "bare",
            "visibility": "public", **props}
    r = fx.client.post("/image/v2/images", headers=h, json=body)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    r = fx.client.put(f"/image/v2/images/{iid}/file", headers={**h, "Content-Type": "application/octet-stream"},
                      content=data)
    assert r.status_code == 204, r.text
    return str(iid)


def volume_cloud(tmp_path: Any, extra: dict[str, Any] | None = None) -> Iterator[VolumeFixture]:
    from onestack.core import config

    for fx in make_cloud(tmp_path, extra=config._merge(SERVICES, extra or {})):
        c = VolumeFixture(fx)
        # the admin project runs most tests: no quota in the way
        r = c.req("PUT", f"/os-quota-sets/{c.admin_project}", json={"quota_set": {
            "volumes": -1, "snapshots": -1, "gigabytes": -1, "backups": -1, "backup_gigabytes": -1}})
        assert r.status_code == 200, r.text
        yield c


@pytest.fixture(scope="module")
def cinder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VolumeFixture]:
    yield from volume_cloud(tmp_path_factory.mktemp("volume"))
