"""/v3/users: CRUD and filters, a user's own password change, their projects and
groups, and what disabling or deleting a user does to their tokens."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _auth(cloud: CloudFixture, user_id: str, password: str, project_id: str | None = None):
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": {"id": user_id, "password": password}}}}
    if project_id:
        auth["scope"] = {"project": {"id": project_id}}
    return cloud.client.post("/identity/v3/auth/tokens", json={"auth": auth})


def _valid(cloud: CloudFixture, tok: str) -> int:
    return cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code


def test_crud(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    name = "u-" + uuid.uuid4().hex[:8]
    r = cloud.admin("POST", "/users", json={"user": {
        "name": name, "password": "s3cret", "email": "u@example.org", "description": "d",
        "default_project_id": p["id"], "domain_id": "default"}})
    assert r.status_code == 201, r.text
    u = r.json()["user"]
    assert "password" not in u
    assert (u["name"], u["email"], u["description"], u["default_project_id"]) == (name, "u@example.org", "d", p["id"])
    assert u["enabled"] is True and u["domain_id"] == "default" and u["password_expires_at"] is None
    assert u["links"]["self"].endswith(f"/v3/users/{u['id']}")

    got = cloud.admin("GET", f"/users/{u['id']}").json()["user"]
    assert got["name"] == name and "password" not in got

    r = cloud.admin("PATCH", f"/users/{u['id']}", json={"user": {"email": "new@example.org", "name": name + "2"}})
    assert r.status_code == 200 and r.json()["user"]["email"] == "new@example.org"
    assert cloud.admin("GET", f"/users/{u['id']}").json()["user"]["name"] == name + "2"

    # an unscoped request lands in the default project
    r = _auth(cloud, u["id"], "s3cret")
    assert r.status_code == 201
    assert "project" not in r.json()["token"]  # no role there yet
    cloud.grant(u["id"], "member", project_id=p["id"])
    r = _auth(cloud, u["id"], "s3cret")
    assert r.json()["token"]["project"]["id"] == p["id"]

    assert cloud.admin("DELETE", f"/users/{u['id']}").status_code == 204
    assert cloud.admin("GET", f"/users/{u['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/users/{u['id']}").status_code == 404
    assert _auth(cloud, u["id"], "s3cret").status_code == 401


def test_names_unique_per_domain(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    u = cloud.make_user()
    r = cloud.admin("POST", "/users", json={"user": {"name": u["name"], "domain_id": "default"}})
    assert r.status_code == 409
    r = cloud.admin("POST", "/users", json={"user": {"name": u["name"], "domain_id": d["id"]}})
    assert r.status_code == 201


def test_invalid(cloud: CloudFixture) -> None:
    assert cloud.admin("POST", "/users", json={"user": {"password": "x"}}).status_code == 400
    assert cloud.admin("POST", "/users", json={"user": {"name": "x", "enabled": 1}}).status_code == 400
    assert cloud.admin("POST", "/users", json={"user": {"name": "x", "options": {"bogus": True}}}).status_code == 400
    r = cloud.admin("POST", "/users", json={"user": {"name": "x" + uuid.uuid4().hex, "domain_id": uuid.uuid4().hex}})
    assert 400 <= r.status_code < 500
    u = cloud.make_user()
    d = cloud.make_domain()
    assert cloud.admin("PATCH", f"/users/{u['id']}", json={"user": {"domain_id": d["id"]}}).status_code == 400
    assert cloud.admin("GET", f"/users/{uuid.uuid4().hex}").status_code == 404


def test_filters(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    a = cloud.make_user("alice-" + uuid.uuid4().hex[:6], domain_id=d["id"])
    b = cloud.make_user("bob-" + uuid.uuid4().hex[:6], domain_id=d["id"], enabled=False)
    outside = cloud.make_user()

    def ids(q: str) -> set[str]:
        r = cloud.admin("GET", f"/users?{q}")
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["users"]}

    assert ids(f"domain_id={d['id']}") == {a["id"], b["id"]}
    assert outside["id"] in ids("")
    assert ids(f"name={a['name']}") == {a["id"]}
    assert ids(f"domain_id={d['id']}&enabled=false") == {b["id"]}
    assert ids(f"domain_id={d['id']}&name__startswith=ali") == {a["id"]}
    assert ids(f"domain_id={d['id']}&name__icontains=BOB") == {b["id"]}


def test_change_own_password(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    path = f"/identity/v3/users/{u['id']}/password"
    # wrong original: refused, nothing changes
    r = cloud.client.post(path, json={"user": {"original_password": "wrong", "password": "new-pw"}})
    assert r.status_code == 401
    assert _auth(cloud, u["id"], "pw-secret").status_code == 201
    # missing fields: a validation error
    assert cloud.client.post(path, json={"user": {"password": "new-pw"}}).status_code == 400

    r = cloud.client.post(path, json={"user": {"original_password": "pw-secret", "password": "new-pw"}},
                          headers={"X-Auth-Token": tok})
    assert r.status_code == 204
    assert _auth(cloud, u["id"], "pw-secret").status_code == 401
    assert _auth(cloud, u["id"], "new-pw", p["id"]).status_code == 201
    # the tokens issued with the old password are gone
    assert _valid(cloud, tok) == 404
    # unknown user
    r = cloud.client.post(f"/identity/v3/users/{uuid.uuid4().hex}/password",
                          json={"user": {"original_password": "a", "password": "b"}})
    assert r.status_code in (401, 404)


def test_admin_password_reset(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    r = cloud.admin("PATCH", f"/users/{u['id']}", json={"user": {"password": "reset-pw"}})
    assert r.status_code == 200
    assert _auth(cloud, u["id"], "pw-secret").status_code == 401
    assert _auth(cloud, u["id"], "reset-pw").status_code == 201
    assert _valid(cloud, tok) == 404


def test_user_projects_and_groups(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    p1, p2, p3 = cloud.make_project(), cloud.make_project(), cloud.make_project()
    cloud.grant(u["id"], "reader", project_id=p1["id"])
    g = cloud.admin("POST", "/groups", json={"group": {"name": "g-" + uuid.uuid4().hex[:6]}}).json()["group"]
    cloud.admin("PUT", f"/groups/{g['id']}/users/{u['id']}")
    cloud.admin("PUT", f"/projects/{p2['id']}/groups/{g['id']}/roles/{cloud.role_id('member')}")

    r = cloud.admin("GET", f"/users/{u['id']}/projects")
    assert r.status_code == 200
    ids = {x["id"] for x in r.json()["projects"]}
    assert ids == {p1["id"], p2["id"]} and p3["id"] not in ids

    r = cloud.admin("GET", f"/users/{u['id']}/groups")
    assert [x["id"] for x in r.json()["groups"]] == [g["id"]]

    # the user sees the same through their own token
    tok = cloud.token(u["name"], "pw-secret", project_id=p1["id"])
    r = cloud.req("GET", f"/users/{u['id']}/projects", tok)
    assert {x["id"] for x in r.json()["projects"]} == {p1["id"], p2["id"]}
    assert cloud.admin("GET", f"/users/{uuid.uuid4().hex}/projects").status_code == 404
    assert cloud.admin("GET", f"/users/{uuid.uuid4().hex}/groups").status_code == 404


def test_disabled_user(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    assert _valid(cloud, tok) == 200
    r = cloud.admin("PATCH", f"/users/{u['id']}", json={"user": {"enabled": False}})
    assert r.status_code == 200 and r.json()["user"]["enabled"] is False
    assert _valid(cloud, tok) == 404
    assert cloud.req("GET", f"/projects/{p['id']}", tok).status_code == 401
    assert _auth(cloud, u["id"], "pw-secret").status_code == 401
    cloud.admin("PATCH", f"/users/{u['id']}", json={"user": {"enabled": True}})
    assert _valid(cloud, tok) == 404
    assert _auth(cloud, u["id"], "pw-secret", p["id"]).status_code == 201


def test_deleted_user_tokens_stop_validating(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    assert cloud.admin("DELETE", f"/users/{u['id']}").status_code == 204
    assert _valid(cloud, tok) == 404
    assert cloud.admin("GET", f"/role_assignments?user.id={u['id']}").json()["role_assignments"] == []
