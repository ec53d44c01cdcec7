"""One tenant never sees another's resources: listings are filtered to what the caller
may see, and direct access to someone else's resource is refused."""

from __future__ import annotations

import uuid

from tests.protection.conftest import World


def test_other_tenant_member_sees_nothing_of_project_p(world: World) -> None:
    member, p = world["project_member"], world.p
    who = "other_member"
    assert world.req(who, "GET", f"/projects/{p['id']}").status_code == 403
    assert world.req(who, "GET", f"/projects/{p['id']}/tags").status_code == 403
    assert world.req(who, "GET", "/projects").status_code == 403
    mine = world.req(who, "GET", "/auth/projects").json()["projects"]
    assert [x["id"] for x in mine] == [world.q["id"]]
    assert world.req(who, "GET", f"/users/{member.user['id']}").status_code == 403
    assert world.req(who, "GET", f"/users/{member.user['id']}/projects").status_code == 403
    assert world.req(who, "GET", f"/users/{member.user['id']}/groups").status_code == 403
    assert world.req(who, "GET", f"/users/{member.user['id']}/application_credentials").status_code == 403
    assert world.req(who, "GET", f"/projects/{p['id']}/users/{member.user['id']}/roles").status_code == 403
    assert world.req(who, "GET", f"/role_assignments?scope.project.id={p['id']}").status_code == 403
    assert world.req(who, "GET", "/auth/tokens", headers={"X-Subject-Token": member.token}).status_code == 403
    # a token for p cannot be had without a role there
    r = world.cloud.req("POST", "/auth/tokens", json={"auth": {"identity": {"methods": ["token"], "token": {"id": world[who].token}},
                                                               "scope": {"project": {"id": p["id"]}}}})
    assert r.status_code == 401


def test_credentials_stay_with_their_owner(world: World) -> None:
    a, b = world["project_member"], world["other_member"]
    cred = world.req("project_member", "POST", "/credentials", json={"credential": {
        "blob": "secret-of-a", "type": "totp", "user_id": a.user["id"]}}).json()["credential"]
    listed = world.req("other_member", "GET", "/credentials").json()["credentials"]
    assert cred["id"] not in {x["id"] for x in listed}
    assert all(x["user_id"] == b.user["id"] for x in listed)
    assert world.req("other_member", "GET", f"/credentials?user_id={a.user['id']}").json()["credentials"] == []
    assert world.req("other_member", "GET", f"/credentials/{cred['id']}").status_code == 403
    body = {"credential": {"blob": "x", "type": "totp", "user_id": a.user["id"]}}
    assert world.req("other_member", "POST", "/credentials", json=body).status_code == 403


def test_each_tenant_has_its_own_catalog(world: World) -> None:
    svc = world.cloud.admin("POST", "/services", json={"service": {"type": "t-" + uuid.uuid4().hex[:6], "name": "per-tenant"}}).json()["service"]
    world.cloud.admin("POST", "/endpoints", json={"endpoint": {"service_id": svc["id"], "interface": "public",
                                                              "url": "http://svc.example/v1/$(project_id)s"}})
    for who, proj in (("project_member", world.p), ("other_member", world.q)):
        cat = world.req(who, "GET", "/auth/catalog").json()["catalog"]
        entry = next(c for c in cat if c["type"] == svc["type"])
        assert entry["endpoints"][0]["url"] == f"http://svc.example/v1/{proj['id']}"


def test_domain_users_stay_in_their_domain(world: World) -> None:
    for who in ("domain_reader", "domain_manager"):
        for path, key, outside in (("/projects", "projects", world.p["id"]), ("/users", "users", world.ud["id"]),
                                   ("/groups", "groups", world.group_d["id"])):
            r = world.req(who, "GET", path)
            assert r.status_code == 200
            assert outside not in {x["id"] for x in r.json()[key]}
            assert all(x["domain_id"] == world.b["id"] for x in r.json()[key])
        assert world.req(who, "GET", f"/projects/{world.p['id']}").status_code == 403
        assert world.req(who, "GET", f"/users/{world.ud['id']}").status_code == 403
        assert world.req(who, "GET", f"/groups/{world.group_d['id']}").status_code == 403
        assert world.req(who, "GET", "/domains/default").status_code == 403
    # the manager creates only inside its domain
    mgr = "domain_manager"
    r = world.req(mgr, "POST", "/users", json={"user": {"name": "x-" + uuid.uuid4().hex[:6], "domain_id": "default"}})
    assert r.status_code == 403
    r = world.req(mgr, "POST", "/projects", json={"project": {"name": "x-" + uuid.uuid4().hex[:6], "parent_id": world.p["id"]}})
    assert r.status_code == 403
    r = world.req(mgr, "PUT", f"/projects/{world.p['id']}/users/{world.ub['id']}/roles/{world.cloud.role_id('member')}")
    assert r.status_code == 403
    # and what it creates lands there by default
    r = world.req(mgr, "POST", "/users", json={"user": {"name": "y-" + uuid.uuid4().hex[:6]}})
    assert r.status_code == 201 and r.json()["user"]["domain_id"] == world.b["id"]
    r = world.req(mgr, "POST", "/projects", json={"project": {"name": "y-" + uuid.uuid4().hex[:6]}})
    assert r.status_code == 201 and r.json()["project"]["domain_id"] == world.b["id"]


def test_unauthenticated_callers_get_nothing(world: World) -> None:
    for path in ("/projects", f"/projects/{world.p['id']}", "/users", "/groups", "/roles", "/credentials",
                 "/role_assignments", "/domains", "/regions", "/services", "/endpoints"):
        r = world.cloud.req("GET", path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == 401 and "WWW-Authenticate" in r.headers
        assert world.cloud.req("GET", path, "not-a-token").status_code == 401
