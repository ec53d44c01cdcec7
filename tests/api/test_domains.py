"""/v3/domains: create, read, filter, update, the rules about disabling and deleting,
and what a disabled domain does to its users' tokens."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _name() -> str:
    return "d-" + uuid.uuid4().hex[:10]


def test_create_get_list_update_delete(cloud: CloudFixture) -> None:
    name = _name()
    r = cloud.admin("POST", "/domains", json={"domain": {"name": name, "description": "first"}})
    assert r.status_code == 201, r.text
    d = r.json()["domain"]
    assert d["name"] == name and d["enabled"] is True and d["description"] == "first"
    assert d["links"]["self"].endswith(f"/v3/domains/{d['id']}")

    got = cloud.admin("GET", f"/domains/{d['id']}").json()["domain"]
    assert got["id"] == d["id"] and got["name"] == name

    listed = cloud.admin("GET", "/domains").json()["domains"]
    assert d["id"] in {x["id"] for x in listed}
    assert "default" in {x["id"] for x in listed}

    r = cloud.admin("PATCH", f"/domains/{d['id']}", json={"domain": {"description": "second", "name": name + "x"}})
    assert r.status_code == 200
    assert r.json()["domain"]["description"] == "second"
    assert cloud.admin("GET", f"/domains/{d['id']}").json()["domain"]["name"] == name + "x"

    # an enabled domain cannot be deleted
    r = cloud.admin("DELETE", f"/domains/{d['id']}")
    assert r.status_code == 403
    assert cloud.admin("PATCH", f"/domains/{d['id']}", json={"domain": {"enabled": False}}).status_code == 200
    assert cloud.admin("DELETE", f"/domains/{d['id']}").status_code == 204
    assert cloud.admin("GET", f"/domains/{d['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/domains/{d['id']}").status_code == 404


def test_filters(cloud: CloudFixture) -> None:
    a = cloud.make_domain("filt-" + uuid.uuid4().hex[:6])
    b = cloud.make_domain()
    cloud.admin("PATCH", f"/domains/{b['id']}", json={"domain": {"enabled": False}})
    by_name = cloud.admin("GET", f"/domains?name={a['name']}").json()["domains"]
    assert [x["id"] for x in by_name] == [a["id"]]
    disabled = {x["id"] for x in cloud.admin("GET", "/domains?enabled=false").json()["domains"]}
    assert b["id"] in disabled and a["id"] not in disabled
    enabled = {x["id"] for x in cloud.admin("GET", "/domains?enabled=true").json()["domains"]}
    assert a["id"] in enabled and b["id"] not in enabled
    contains = cloud.admin("GET", "/domains?name__startswith=filt-").json()["domains"]
    assert a["id"] in {x["id"] for x in contains}
    assert all(x["name"].startswith("filt-") for x in contains)


def test_duplicate_name_conflicts(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    r = cloud.admin("POST", "/domains", json={"domain": {"name": d["name"]}})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == 409


def test_explicit_domain_id(cloud: CloudFixture) -> None:
    want = uuid.uuid4().hex
    r = cloud.admin("POST", "/domains", json={"domain": {"name": _name(), "explicit_domain_id": want}})
    assert r.status_code == 201, r.text
    assert r.json()["domain"]["id"] == want
    assert cloud.admin("GET", f"/domains/{want}").status_code == 200


def test_default_domain_is_protected(cloud: CloudFixture) -> None:
    assert cloud.admin("PATCH", "/domains/default", json={"domain": {"enabled": False}}).status_code == 403
    assert cloud.admin("DELETE", "/domains/default").status_code == 403
    assert cloud.admin("GET", "/domains/default").json()["domain"]["enabled"] is True


def test_bad_bodies(cloud: CloudFixture) -> None:
    assert cloud.admin("POST", "/domains", json={"domain": {}}).status_code == 400
    assert cloud.admin("POST", "/domains", json={"domain": {"name": ""}}).status_code == 400
    assert cloud.admin("POST", "/domains", json={"domain": {"name": "x", "enabled": "yes"}}).status_code == 400
    d = cloud.make_domain()
    assert cloud.admin("PATCH", f"/domains/{d['id']}", json={"domain": {}}).status_code == 400
    assert cloud.admin("GET", "/domains/" + "x" * 300).status_code == 404


def test_disabling_a_domain_invalidates_its_users_tokens(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    u = cloud.make_user(domain_id=d["id"])
    p = cloud.make_project(domain_id=d["id"])
    cloud.grant(u["id"], "member", project_id=p["id"])
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"], user_domain=d["id"])
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 200
    cloud.admin("PATCH", f"/domains/{d['id']}", json={"domain": {"enabled": False}})
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404
    assert cloud.req("GET", f"/projects/{p['id']}", tok).status_code == 401
    # nor can a new one be issued
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": u["name"], "domain": {"id": d["id"]}, "password": "pw-secret"}}}}})
    assert r.status_code == 401


def test_deleting_a_domain_removes_its_projects_users_and_groups(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    u = cloud.make_user(domain_id=d["id"])
    p = cloud.make_project(domain_id=d["id"])
    g = cloud.admin("POST", "/groups", json={"group": {"name": "g", "domain_id": d["id"]}}).json()["group"]
    cloud.admin("PATCH", f"/domains/{d['id']}", json={"domain": {"enabled": False}})
    assert cloud.admin("DELETE", f"/domains/{d['id']}").status_code == 204
    assert cloud.admin("GET", f"/projects/{p['id']}").status_code == 404
    assert cloud.admin("GET", f"/users/{u['id']}").status_code == 404
    assert cloud.admin("GET", f"/groups/{g['id']}").status_code == 404
    assert cloud.admin("GET", f"/role_assignments?user.id={u['id']}").json()["role_assignments"] == []
