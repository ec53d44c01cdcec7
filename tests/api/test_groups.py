"""/v3/groups: CRUD, filters, membership (add, check, list, remove) and that a
role granted to a group reaches its members' tokens."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _group(cloud: CloudFixture, domain_id: str = "default", name: str | None = None) -> dict:
    r = cloud.admin("POST", "/groups", json={"group": {"name": name or "g-" + uuid.uuid4().hex[:8], "domain_id": domain_id}})
    assert r.status_code == 201, r.text
    return r.json()["group"]


def test_crud(cloud: CloudFixture) -> None:
    r = cloud.admin("POST", "/groups", json={"group": {"name": "ops", "description": "the ops"}})
    assert r.status_code == 201, r.text
    g = r.json()["group"]
    assert g["domain_id"] == "default" and g["description"] == "the ops"
    assert g["links"]["self"].endswith(f"/v3/groups/{g['id']}")
    assert cloud.admin("GET", f"/groups/{g['id']}").json()["group"]["name"] == "ops"
    r = cloud.admin("PATCH", f"/groups/{g['id']}", json={"group": {"name": "ops2", "description": "x"}})
    assert r.status_code == 200 and r.json()["group"]["name"] == "ops2"
    assert cloud.admin("GET", f"/groups/{g['id']}").json()["group"]["description"] == "x"
    assert cloud.admin("POST", "/groups", json={"group": {"name": "ops2"}}).status_code == 409
    assert cloud.admin("PATCH", f"/groups/{g['id']}", json={"group": {}}).status_code == 400
    assert cloud.admin("DELETE", f"/groups/{g['id']}").status_code == 204
    assert cloud.admin("GET", f"/groups/{g['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/groups/{g['id']}").status_code == 404


def test_filters(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    a = _group(cloud, d["id"], "alpha")
    b = _group(cloud, d["id"], "beta")
    other = _group(cloud)

    def ids(q: str) -> set[str]:
        return {x["id"] for x in cloud.admin("GET", f"/groups?{q}").json()["groups"]}

    assert ids(f"domain_id={d['id']}") == {a["id"], b["id"]}
    assert ids(f"domain_id={d['id']}&name=beta") == {b["id"]}
    assert other["id"] in ids("")


def test_membership(cloud: CloudFixture) -> None:
    g = _group(cloud)
    u1, u2 = cloud.make_user(), cloud.make_user()
    base = f"/groups/{g['id']}/users"
    assert cloud.admin("GET", base).json()["users"] == []
    assert cloud.admin("GET", f"{base}/{u1['id']}").status_code == 404
    assert cloud.admin("HEAD", f"{base}/{u1['id']}").status_code == 404

    assert cloud.admin("PUT", f"{base}/{u1['id']}").status_code == 204
    assert cloud.admin("PUT", f"{base}/{u1['id']}").status_code == 204  # idempotent
    assert cloud.admin("PUT", f"{base}/{u2['id']}").status_code == 204
    assert {x["id"] for x in cloud.admin("GET", base).json()["users"]} == {u1["id"], u2["id"]}
    assert cloud.admin("GET", f"{base}/{u1['id']}").status_code == 204
    assert cloud.admin("HEAD", f"{base}/{u1['id']}").status_code == 204
    assert [x["id"] for x in cloud.admin("GET", f"/users/{u1['id']}/groups").json()["groups"]] == [g["id"]]

    assert cloud.admin("DELETE", f"{base}/{u1['id']}").status_code == 204
    assert cloud.admin("DELETE", f"{base}/{u1['id']}").status_code == 404
    assert {x["id"] for x in cloud.admin("GET", base).json()["users"]} == {u2["id"]}
    assert cloud.admin("GET", f"/users/{u1['id']}/groups").json()["groups"] == []

    assert cloud.admin("PUT", f"{base}/{uuid.uuid4().hex}").status_code == 404
    assert cloud.admin("PUT", f"/groups/{uuid.uuid4().hex}/users/{u1['id']}").status_code == 404
    assert cloud.admin("GET", f"/groups/{uuid.uuid4().hex}/users").status_code == 404


def test_group_role_reaches_members_and_leaves_with_them(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    g = _group(cloud)
    u = cloud.make_user()
    cloud.admin("PUT", f"/groups/{g['id']}/users/{u['id']}")
    assert cloud.admin("PUT", f"/projects/{p['id']}/groups/{g['id']}/roles/{cloud.role_id('member')}").status_code == 204
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    body = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).json()["token"]
    assert {r["name"] for r in body["roles"]} == {"member", "reader"}

    # leaving the group: the token loses its only roles and stops validating
    cloud.admin("DELETE", f"/groups/{g['id']}/users/{u['id']}")
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}, "scope": {"project": {"id": p["id"]}}}})
    assert r.status_code == 401


def test_deleting_group_removes_its_grants(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    g = _group(cloud)
    u = cloud.make_user()
    cloud.admin("PUT", f"/groups/{g['id']}/users/{u['id']}")
    cloud.admin("PUT", f"/projects/{p['id']}/groups/{g['id']}/roles/{cloud.role_id('reader')}")
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    assert cloud.admin("DELETE", f"/groups/{g['id']}").status_code == 204
    assert cloud.admin("GET", f"/role_assignments?group.id={g['id']}").json()["role_assignments"] == []
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404
    assert cloud.admin("GET", f"/users/{u['id']}/groups").json()["groups"] == []
