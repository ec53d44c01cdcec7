"""An in-process cloud with the image service on, a small Glance client, personas."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

V21 = "application/openstack-images-v2.1-json-patch"
V20 = "application/openstack-images-v2.0-json-patch"
OCTET = {"Content-Type": "application/octet-stream"}


@dataclass
class Glance:
    fx: CloudFixture
    token: str | None
    project_id: str | None

    def __call__(self, method: str, path: str, *, token: str | None = "", **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        tok = self.token if token == "" else token
        if tok:
            headers["X-Auth-Token"] = tok
        return self.fx.client.request(method, "/image" + path, headers=headers, **kw)

    def create(self, **props: Any) -> dict[str, Any]:
        props.setdefault("name", "img-" + uuid.uuid4().hex[:8])
        r = self("POST", "/v2/images", json=props)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def upload(self, image_id: str, data: bytes) -> Any:
        return self("PUT", f"/v2/images/{image_id}/file", content=data, headers=OCTET)

    def patch(self, image_id: str, ops: list[dict[str, Any]], media: str = V21) -> Any:
        return self("PATCH", f"/v2/images/{image_id}", json=ops, headers={"Content-Type": media})

    def get(self, image_id: str) -> Any:
        return self("GET", f"/v2/images/{image_id}")

    def ids(self, query: str = "") -> list[str]:
        r = self("GET", "/v2/images" + query)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["images"]]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    for fx in make_cloud(tmp_path_factory.mktemp("glance")):
        # tests fetch web-download images from a local server on a random port
        fx.cloud.conf.image.web_download_allowed_ports = []
        yield fx


@dataclass
class Personas:
    admin: Glance
    owner: Glance  # member of project A
    reader: Glance  # reader of project A
    other: Glance  # member of project B
    third: Glance  # member of project C
    project_a: str
    project_b: str
    project_c: str


@pytest.fixture(scope="module")
def who(cloud: CloudFixture) -> Personas:
    a, b, c = cloud.make_project(), cloud.make_project(), cloud.make_project()
    _, t_owner = cloud.persona("member", project_id=a["id"])
    _, t_reader = cloud.persona("reader", project_id=a["id"])
    _, t_other = cloud.persona("member", project_id=b["id"])
    _, t_third = cloud.persona("member", project_id=c["id"])
    return Personas(
        admin=Glance(cloud, cloud.admin_token, None),
        owner=Glance(cloud, t_owner, a["id"]),
        reader=Glance(cloud, t_reader, a["id"]),
        other=Glance(cloud, t_other, b["id"]),
        third=Glance(cloud, t_third, c["id"]),
        project_a=a["id"], project_b=b["id"], project_c=c["id"],
    )


@pytest.fixture(scope="module")
def glance(who: Personas) -> Glance:
    return who.owner
