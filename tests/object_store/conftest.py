"""An in-process cloud with the object store on, and a small Swift client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud


@dataclass
class Swift:
    fx: CloudFixture
    token: str | None
    project_id: str

    @property
    def account(self) -> str:
        return "/object-store/v1/AUTH_" + self.project_id

    def __call__(self, method: str, path: str = "", *, token: str | None = "", **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        tok = self.token if token == "" else token
        if tok:
            headers["X-Auth-Token"] = tok
        return self.fx.client.request(method, self.account + path, headers=headers, **kw)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    yield from make_cloud(tmp_path_factory.mktemp("swift"))


@pytest.fixture(scope="module")
def project(cloud: CloudFixture) -> dict[str, Any]:
    return cloud.make_project()


@pytest.fixture(scope="module")
def swift(cloud: CloudFixture, project: dict[str, Any]) -> Swift:
    _, tok = cloud.persona("member", project_id=project["id"])
    return Swift(cloud, tok, project["id"])


@pytest.fixture
def container(swift: Swift, request: pytest.FixtureRequest) -> str:
    name = "c-" + request.node.name.replace("[", "-").replace("]", "")[:60]
    r = swift("PUT", "/" + name)
    assert r.status_code in (201, 202), r.text
    return name
