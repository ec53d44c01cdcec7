"""OS-EP-FILTER: endpoint groups, project associations (direct and by group), and the
filtered catalog in project-scoped tokens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import CloudFixture

EP = "/OS-EP-FILTER"


@pytest.fixture
def setup(cloud: CloudFixture) -> dict[str, Any]:
    svc = cloud.admin("POST", "/services", json={"service": {"type": "t-" + uuid.uuid4().hex[:6], "name": "x"}}).json()["service"]
    eps = {}
    for iface in ("public", "internal"):
        r = cloud.admin("POST", "/endpoints", json={"endpoint": {
            "service_id": svc["id"], "interface": iface, "url": f"http://{iface}.example", "region_id": "RegionOne"}})
        assert r.status_code == 201, r.text
        eps[iface] = r.json()["endpoint"]
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    return {"service": svc, "eps": eps, "project": p, "user": u, "tok": tok}


def _catalog_ids(cloud: CloudFixture, x: dict) -> set[str]:
    tok = cloud.token(x["user"]["name"], "pw-secret", project_id=x["project"]["id"])
    cat = cloud.req("GET", "/auth/catalog", tok).json()["catalog"]
    return {e["id"] for s in cat for e in s["endpoints"]}


def test_endpoint_group_crud(cloud: CloudFixture, setup: dict) -> None:
    x = setup
    body = {"name": "g-" + uuid.uuid4().hex[:6], "description": "d", "filters": {"service_id": x["service"]["id"]}}
    r = cloud.admin("POST", f"{EP}/endpoint_groups", json={"endpoint_group": body})
    assert r.status_code == 201, r.text
    g = r.json()["endpoint_group"]
    assert g["name"] == body["name"] and g["filters"] == body["filters"] and g["description"] == "d"
    assert g in cloud.admin("GET", f"{EP}/endpoint_groups").json()["endpoint_groups"]
    assert cloud.admin("GET", f"{EP}/endpoint_groups?name={body['name']}").json()["endpoint_groups"] == [g]
    assert cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}").json()["endpoint_group"] == g
    assert cloud.admin("HEAD", f"{EP}/endpoint_groups/{g['id']}").status_code == 200
    eps = cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}/endpoints").json()["endpoints"]
    assert {e["id"] for e in eps} == {e["id"] for e in x["eps"].values()}
    r = cloud.admin("PATCH", f"{EP}/endpoint_groups/{g['id']}", json={"endpoint_group": {
        "name": "renamed", "filters": {"service_id": x["service"]["id"], "interface": "public"}}})
    assert r.status_code == 200 and r.json()["endpoint_group"]["name"] == "renamed"
    eps = cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}/endpoints").json()["endpoints"]
    assert [e["id"] for e in eps] == [x["eps"]["public"]["id"]]
    # validation: filters required, known keys only, known interfaces only
    bad = [{"name": "n"}, {"name": "n", "filters": {}}, {"name": "n", "filters": {"url": "x"}},
           {"name": "n", "filters": {"interface": "private"}}]
    for b in bad:
        assert cloud.admin("POST", f"{EP}/endpoint_groups", json={"endpoint_group": b}).status_code == 400, b
    # readers may not manage endpoint groups
    assert cloud.req("POST", f"{EP}/endpoint_groups", x["tok"], json={"endpoint_group": body}).status_code == 403
    assert cloud.admin("DELETE", f"{EP}/endpoint_groups/{g['id']}").status_code == 204
    assert cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}").status_code == 404


def test_project_endpoints_filter_the_catalog(cloud: CloudFixture, setup: dict) -> None:
    x = setup
    pid, pub, internal = x["project"]["id"], x["eps"]["public"]["id"], x["eps"]["internal"]["id"]
    full = _catalog_ids(cloud, x)
    assert {pub, internal} <= full
    assert cloud.admin("PUT", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 204
    assert cloud.admin("PUT", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 409
    assert cloud.admin("GET", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 204
    assert cloud.admin("HEAD", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 204
    assert cloud.admin("GET", f"{EP}/projects/{pid}/endpoints/{internal}").status_code == 404
    assert [e["id"] for e in cloud.admin("GET", f"{EP}/projects/{pid}/endpoints").json()["endpoints"]] == [pub]
    assert [p["id"] for p in cloud.admin("GET", f"{EP}/endpoints/{pub}/projects").json()["projects"]] == [pid]
    assert _catalog_ids(cloud, x) == {pub}  # only the associated endpoint, other services dropped

    # an endpoint group adds its endpoints
    g = cloud.admin("POST", f"{EP}/endpoint_groups", json={"endpoint_group": {
        "name": "g", "filters": {"service_id": x["service"]["id"], "interface": "internal"}}}).json()["endpoint_group"]
    assert cloud.admin("PUT", f"{EP}/endpoint_groups/{g['id']}/projects/{pid}").status_code == 204
    assert cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}/projects/{pid}").json()["project_endpoint_group"] \
        ["endpoint_group_id"] == g["id"]
    assert [p["id"] for p in cloud.admin("GET", f"{EP}/endpoint_groups/{g['id']}/projects").json()["projects"]] == [pid]
    assert [e["id"] for e in cloud.admin("GET", f"{EP}/projects/{pid}/endpoint_groups").json()["endpoint_groups"]] \
        == [g["id"]]
    assert _catalog_ids(cloud, x) == {pub, internal}
    assert {e["id"] for e in cloud.admin("GET", f"{EP}/projects/{pid}/endpoints").json()["endpoints"]} == {pub, internal}

    # removing the associations restores the full catalog
    assert cloud.admin("DELETE", f"{EP}/endpoint_groups/{g['id']}/projects/{pid}").status_code == 204
    assert cloud.admin("DELETE", f"{EP}/endpoint_groups/{g['id']}/projects/{pid}").status_code == 404
    assert cloud.admin("DELETE", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 204
    assert cloud.admin("DELETE", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 404
    assert _catalog_ids(cloud, x) == full
    # unknown project, endpoint or group
    assert cloud.admin("PUT", f"{EP}/projects/{uuid.uuid4().hex}/endpoints/{pub}").status_code == 404
    assert cloud.admin("PUT", f"{EP}/projects/{pid}/endpoints/{uuid.uuid4().hex}").status_code == 404
    assert cloud.admin("PUT", f"{EP}/endpoint_groups/{uuid.uuid4().hex}/projects/{pid}").status_code == 404


def test_associations_go_with_the_project_and_endpoint(cloud: CloudFixture, setup: dict) -> None:
    x = setup
    pid, pub = x["project"]["id"], x["eps"]["public"]["id"]
    assert cloud.admin("PUT", f"{EP}/projects/{pid}/endpoints/{pub}").status_code == 204
    assert cloud.admin("DELETE", f"/endpoints/{pub}").status_code == 204
    assert cloud.admin("GET", f"{EP}/projects/{pid}/endpoints").json()["endpoints"] == []
    other = cloud.make_project()
    internal = x["eps"]["internal"]["id"]
    assert cloud.admin("PUT", f"{EP}/projects/{other['id']}/endpoints/{internal}").status_code == 204
    assert cloud.admin("DELETE", f"/projects/{other['id']}").status_code == 204
    assert cloud.admin("GET", f"{EP}/endpoints/{internal}/projects").json()["projects"] == []
