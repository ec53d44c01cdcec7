"""Network test fixtures: one in-process cloud per module with identity and network
(noop driver), and personas (member, reader, another project's member)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

API = "/network/v2.0"
SERVICES = {"services": {"enabled": ["identity", "network"]}}


@dataclass
class NetFixture:
    fx: CloudFixture
    project_id: str = ""
    member: str = ""
    reader: str = ""
    other_project_id: str = ""
    other: str = ""
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def mgr(self) -> Any:
        return self.fx.cloud.services["network"]

    def req(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        headers["X-Auth-Token"] = token or self.fx.admin_token
        return self.fx.client.request(method, API + path, headers=headers, **kw)

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        return self.req(method, path, **kw)

    def ok(self, method: str, path: str, token: str | None = None, status: int = 200, **kw: Any) -> Any:
        r = self.req(method, path, token, **kw)
        assert r.status_code == status, r.text
        return r.json() if r.content else None

    def network(self, token: str | None = None, **attrs: Any) -> dict[str, Any]:
        body = {"name": "net-" + uuid.uuid4().hex[:6], **attrs}
        return self.ok("POST", "/networks", token or self.member, 201, json={"network": body})["network"]

    def subnet(self, network_id: str, cidr: str = "10.0.0.0/24", token: str | None = None,
               **attrs: Any) -> dict[str, Any]:
        body = {"network_id": network_id, "cidr": cidr, "ip_version": 6 if ":" in cidr else 4, **attrs}
        return self.ok("POST", "/subnets", token or self.member, 201, json={"subnet": body})["subnet"]

    def port(self, network_id: str, token: str | None = None, **attrs: Any) -> dict[str, Any]:
        body = {"network_id": network_id, **attrs}
        return self.ok("POST", "/ports", token or self.member, 201, json={"port": body})["port"]


def make_net_fixture(tmp_path: Any, extra: dict[str, Any] | None = None) -> Iterator[NetFixture]:
    conf = dict(SERVICES)
    if extra:
        conf.update(extra)
    for fx in make_cloud(tmp_path, extra=conf):
        nf = NetFixture(fx)
        p = fx.make_project()
        nf.project_id = p["id"]
        _, nf.member = fx.persona("member", project_id=p["id"])
        _, nf.reader = fx.persona("reader", project_id=p["id"])
        q = fx.make_project()
        nf.other_project_id = q["id"]
        _, nf.other = fx.persona("member", project_id=q["id"])
        yield nf


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetFixture]:
    yield from make_net_fixture(tmp_path_factory.mktemp("netcloud"))
