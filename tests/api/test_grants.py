"""Role grants: users and groups on projects, domains and the system, and the
OS-INHERIT grants that flow down to projects; list, check (GET and HEAD), revoke;
and that each grant gives the token it should."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import CloudFixture

KINDS = ["project", "domain", "system", "inherit-domain", "inherit-project"]


def _group(cloud: CloudFixture) -> dict:
    return cloud.admin("POST", "/groups", json={"group": {"name": "g-" + uuid.uuid4().hex[:8]}}).json()["group"]


def _base(cloud: CloudFixture, actor: str, kind: str) -> str:
    actor_id = cloud.make_user()["id"] if actor == "users" else _group(cloud)["id"]
    if kind == "project":
        return f"/projects/{cloud.make_project()['id']}/{actor}/{actor_id}/roles"
    if kind == "domain":
        return f"/domains/{cloud.make_domain()['id']}/{actor}/{actor_id}/roles"
    if kind == "system":
        return f"/system/{actor}/{actor_id}/roles"
    if kind == "inherit-domain":
        return f"/OS-INHERIT/domains/{cloud.make_domain()['id']}/{actor}/{actor_id}/roles"
    return f"/OS-INHERIT/projects/{cloud.make_project()['id']}/{actor}/{actor_id}/roles"


@pytest.mark.parametrize("actor", ["users", "groups"])
@pytest.mark.parametrize("kind", KINDS)
def test_grant_list_check_revoke(cloud: CloudFixture, actor: str, kind: str) -> None:
    base = _base(cloud, actor, kind)
    suffix = "/inherited_to_projects" if kind.startswith("inherit") else ""
    reader, member = cloud.role_id("reader"), cloud.role_id("member")

    def listed() -> list[str]:
        r = cloud.admin("GET", f"{base}{suffix}")
        assert r.status_code == 200, r.text
        return sorted(x["id"] for x in r.json()["roles"])

    assert listed() == []
    assert cloud.admin("GET", f"{base}/{reader}{suffix}").status_code == 404
    assert cloud.admin("HEAD", f"{base}/{reader}{suffix}").status_code == 404

    assert cloud.admin("PUT", f"{base}/{reader}{suffix}").status_code == 204
    assert cloud.admin("PUT", f"{base}/{reader}{suffix}").status_code == 204  # idempotent
    assert cloud.admin("PUT", f"{base}/{member}{suffix}").status_code == 204
    assert listed() == sorted([reader, member])
    assert cloud.admin("GET", f"{base}/{reader}{suffix}").status_code == 204
    assert cloud.admin("HEAD", f"{base}/{reader}{suffix}").status_code == 204

    assert cloud.admin("DELETE", f"{base}/{reader}{suffix}").status_code == 204
    assert cloud.admin("GET", f"{base}/{reader}{suffix}").status_code == 404
    assert cloud.admin("DELETE", f"{base}/{reader}{suffix}").status_code == 404
    assert listed() == [member]
    assert cloud.admin("PUT", f"{base}/{uuid.uuid4().hex}{suffix}").status_code == 404


def test_grants_to_unknown_things(cloud: CloudFixture) -> None:
    u, p, role = cloud.make_user(), cloud.make_project(), cloud.role_id("reader")
    nope = uuid.uuid4().hex
    assert cloud.admin("PUT", f"/projects/{nope}/users/{u['id']}/roles/{role}").status_code == 404
    assert cloud.admin("PUT", f"/projects/{p['id']}/users/{nope}/roles/{role}").status_code == 404
    assert cloud.admin("PUT", f"/domains/{nope}/users/{u['id']}/roles/{role}").status_code == 404
    assert cloud.admin("PUT", f"/projects/{p['id']}/groups/{nope}/roles/{role}").status_code == 404
    assert cloud.admin("PUT", f"/system/users/{nope}/roles/{role}").status_code == 404
    # a domain id is not a project, nor the other way round
    assert cloud.admin("PUT", f"/projects/default/users/{u['id']}/roles/{role}").status_code == 404
    assert cloud.admin("PUT", f"/domains/{p['id']}/users/{u['id']}/roles/{role}").status_code == 404
    assert cloud.admin("GET", f"/projects/{nope}/users/{u['id']}/roles").status_code == 404


def _token_roles(cloud: CloudFixture, tok: str) -> set[str]:
    r = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok})
    assert r.status_code == 200, r.text
    return {x["name"] for x in r.json()["token"]["roles"]}


def test_domain_and_system_grants_give_scoped_tokens(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    u, tok = cloud.persona("reader", domain_id=d["id"])
    body = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).json()["token"]
    assert body["domain"]["id"] == d["id"] and {x["name"] for x in body["roles"]} == {"reader"}
    s, stok = cloud.persona("member", system=True)
    body = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": stok}).json()["token"]
    assert body["system"] == {"all": True} and {x["name"] for x in body["roles"]} == {"member", "reader"}
    # revoking the grant ends the token
    cloud.admin("DELETE", f"/system/users/{s['id']}/roles/{cloud.role_id('member')}")
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": stok}).status_code == 404


def test_inherited_domain_grant_reaches_project_tokens(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    p = cloud.make_project(domain_id=d["id"])
    u = cloud.make_user()
    role = cloud.role_id("member")
    assert cloud.admin("PUT", f"/OS-INHERIT/domains/{d['id']}/users/{u['id']}/roles/{role}/inherited_to_projects").status_code == 204
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    assert _token_roles(cloud, tok) == {"member", "reader"}
    # the user has no role on the domain itself
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}, "scope": {"domain": {"id": d["id"]}}}})
    assert r.status_code == 401
    # a project created later inherits as well, and the user's project list shows both
    p2 = cloud.make_project(domain_id=d["id"])
    cloud.token(u["name"], "pw-secret", project_id=p2["id"])
    mine = {x["id"] for x in cloud.req("GET", "/auth/projects", tok).json()["projects"]}
    assert mine == {p["id"], p2["id"]}
    # revoking the inherited grant ends the project token
    cloud.admin("DELETE", f"/OS-INHERIT/domains/{d['id']}/users/{u['id']}/roles/{role}/inherited_to_projects")
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404


def test_inherited_domain_grant_through_group(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    p = cloud.make_project(domain_id=d["id"])
    u, g = cloud.make_user(), _group(cloud)
    cloud.admin("PUT", f"/groups/{g['id']}/users/{u['id']}")
    cloud.admin("PUT", f"/OS-INHERIT/domains/{d['id']}/groups/{g['id']}/roles/{cloud.role_id('reader')}/inherited_to_projects")
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    assert _token_roles(cloud, tok) == {"reader"}


def test_inherited_project_grant_reaches_children_only(cloud: CloudFixture) -> None:
    parent = cloud.make_project()
    child = cloud.admin("POST", "/projects", json={"project": {"name": "c" + uuid.uuid4().hex[:6], "parent_id": parent["id"]}}).json()["project"]
    grandchild = cloud.admin("POST", "/projects", json={"project": {"name": "g" + uuid.uuid4().hex[:6], "parent_id": child["id"]}}).json()["project"]
    u = cloud.make_user()
    cloud.admin("PUT", f"/OS-INHERIT/projects/{parent['id']}/users/{u['id']}/roles/{cloud.role_id('reader')}/inherited_to_projects")
    for p in (child, grandchild):
        assert _token_roles(cloud, cloud.token(u["name"], "pw-secret", project_id=p["id"])) == {"reader"}
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}, "scope": {"project": {"id": parent["id"]}}}})
    assert r.status_code == 401


def test_direct_and_inherited_are_separate(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    u = cloud.make_user()
    role = cloud.role_id("reader")
    cloud.admin("PUT", f"/domains/{d['id']}/users/{u['id']}/roles/{role}")
    assert cloud.admin("GET", f"/OS-INHERIT/domains/{d['id']}/users/{u['id']}/roles/{role}/inherited_to_projects").status_code == 404
    assert cloud.admin("GET", f"/OS-INHERIT/domains/{d['id']}/users/{u['id']}/roles/inherited_to_projects").json()["roles"] == []
    # a direct domain grant does not reach the domain's projects
    p = cloud.make_project(domain_id=d["id"])
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}, "scope": {"project": {"id": p["id"]}}}})
    assert r.status_code == 401
