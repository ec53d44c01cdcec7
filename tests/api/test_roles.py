"""/v3/roles (global and domain-specific), implied roles and /v3/role_inferences,
and how implications show up in tokens."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _role(cloud: CloudFixture, name: str | None = None, **extra) -> dict:
    r = cloud.admin("POST", "/roles", json={"role": {"name": name or "r-" + uuid.uuid4().hex[:8], **extra}})
    assert r.status_code == 201, r.text
    return r.json()["role"]


def test_default_roles_exist(cloud: CloudFixture) -> None:
    names = {r["name"] for r in cloud.admin("GET", "/roles").json()["roles"]}
    assert {"admin", "member", "reader", "manager", "service"} <= names


def test_crud(cloud: CloudFixture) -> None:
    r = _role(cloud, "auditor", description="reads logs")
    assert r["domain_id"] is None and r["description"] == "reads logs"
    assert r["links"]["self"].endswith(f"/v3/roles/{r['id']}")
    assert cloud.admin("GET", f"/roles/{r['id']}").json()["role"]["name"] == "auditor"
    assert [x["id"] for x in cloud.admin("GET", "/roles?name=auditor").json()["roles"]] == [r["id"]]
    assert cloud.admin("POST", "/roles", json={"role": {"name": "auditor"}}).status_code == 409
    resp = cloud.admin("PATCH", f"/roles/{r['id']}", json={"role": {"name": "auditor2"}})
    assert resp.status_code == 200 and resp.json()["role"]["name"] == "auditor2"
    assert cloud.admin("DELETE", f"/roles/{r['id']}").status_code == 204
    assert cloud.admin("GET", f"/roles/{r['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/roles/{r['id']}").status_code == 404
    assert cloud.admin("POST", "/roles", json={"role": {}}).status_code == 400


def test_domain_specific_roles(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    dr = _role(cloud, "local", domain_id=d["id"])
    assert dr["domain_id"] == d["id"]
    # the same name may exist globally and in a domain
    g = _role(cloud, "local")
    assert [x["id"] for x in cloud.admin("GET", f"/roles?domain_id={d['id']}").json()["roles"]] == [dr["id"]]
    global_ids = {x["id"] for x in cloud.admin("GET", "/roles").json()["roles"]}
    assert g["id"] in global_ids and dr["id"] not in global_ids
    assert cloud.admin("GET", f"/roles/{dr['id']}").json()["role"]["domain_id"] == d["id"]
    assert cloud.admin("PATCH", f"/roles/{dr['id']}", json={"role": {"description": "x"}}).status_code == 200
    # a domain role can only be granted inside its domain
    other = cloud.make_project()
    u = cloud.make_user()
    assert cloud.admin("PUT", f"/projects/{other['id']}/users/{u['id']}/roles/{dr['id']}").status_code == 403
    inside = cloud.make_project(domain_id=d["id"])
    assert cloud.admin("PUT", f"/projects/{inside['id']}/users/{u['id']}/roles/{dr['id']}").status_code == 204
    assert cloud.admin("DELETE", f"/roles/{dr['id']}").status_code == 204
    r = cloud.admin("POST", "/roles", json={"role": {"name": "x", "domain_id": uuid.uuid4().hex}})
    assert 400 <= r.status_code < 500


def test_immutable_roles(cloud: CloudFixture) -> None:
    r = _role(cloud, options={"immutable": True})
    assert r["options"] == {"immutable": True}
    assert cloud.admin("PATCH", f"/roles/{r['id']}", json={"role": {"name": "nope"}}).status_code == 403
    assert cloud.admin("DELETE", f"/roles/{r['id']}").status_code == 403
    resp = cloud.admin("PATCH", f"/roles/{r['id']}", json={"role": {"options": {"immutable": False}}})
    assert resp.status_code == 200
    assert cloud.admin("DELETE", f"/roles/{r['id']}").status_code == 204


def test_implied_roles(cloud: CloudFixture) -> None:
    prior, a, b = _role(cloud), _role(cloud), _role(cloud)
    base = f"/roles/{prior['id']}/implies"
    assert cloud.admin("GET", base).json()["role_inference"]["implies"] == []

    r = cloud.admin("PUT", f"{base}/{a['id']}")
    assert r.status_code == 201, r.text
    inf = r.json()["role_inference"]
    assert inf["prior_role"]["id"] == prior["id"] and inf["implies"]["id"] == a["id"]
    assert cloud.admin("PUT", f"{base}/{b['id']}").status_code == 201

    r = cloud.admin("GET", f"{base}/{a['id']}")
    assert r.status_code == 200
    assert r.json()["role_inference"]["implies"]["name"] == a["name"]
    assert cloud.admin("HEAD", f"{base}/{a['id']}").status_code == 204
    listed = cloud.admin("GET", base).json()["role_inference"]
    assert listed["prior_role"]["name"] == prior["name"]
    assert {x["id"] for x in listed["implies"]} == {a["id"], b["id"]}

    rules = cloud.admin("GET", "/role_inferences").json()["role_inferences"]
    mine = [x for x in rules if x["prior_role"]["id"] == prior["id"]]
    assert len(mine) == 1 and {x["id"] for x in mine[0]["implies"]} == {a["id"], b["id"]}
    # the defaults: admin implies member implies reader
    by_name = {x["prior_role"]["name"]: {y["name"] for y in x["implies"]} for x in rules}
    assert "member" in by_name["admin"] and "reader" in by_name["member"]

    assert cloud.admin("DELETE", f"{base}/{a['id']}").status_code == 204
    assert cloud.admin("GET", f"{base}/{a['id']}").status_code == 404
    assert cloud.admin("HEAD", f"{base}/{a['id']}").status_code == 404
    assert cloud.admin("DELETE", f"{base}/{a['id']}").status_code == 404
    assert [x["id"] for x in cloud.admin("GET", base).json()["role_inference"]["implies"]] == [b["id"]]
    assert cloud.admin("PUT", f"{base}/{uuid.uuid4().hex}").status_code == 404
    assert cloud.admin("GET", f"/roles/{uuid.uuid4().hex}/implies").status_code == 404


def test_implication_rules(cloud: CloudFixture) -> None:
    prior = _role(cloud)
    # upstream's prohibited_implied_role: nothing may imply admin
    r = cloud.admin("PUT", f"/roles/{prior['id']}/implies/{cloud.role_id('admin')}")
    assert r.status_code == 403
    d = cloud.make_domain()
    dr = _role(cloud, domain_id=d["id"])
    dr2 = _role(cloud, domain_id=d["id"])
    # a global role cannot imply a domain-specific one; a domain role can imply either
    assert cloud.admin("PUT", f"/roles/{prior['id']}/implies/{dr['id']}").status_code == 403
    assert cloud.admin("PUT", f"/roles/{dr['id']}/implies/{dr2['id']}").status_code == 201
    assert cloud.admin("PUT", f"/roles/{dr['id']}/implies/{prior['id']}").status_code == 201


def test_implied_roles_reach_tokens(cloud: CloudFixture) -> None:
    top, mid, leaf = _role(cloud), _role(cloud), _role(cloud)
    cloud.admin("PUT", f"/roles/{top['id']}/implies/{mid['id']}")
    cloud.admin("PUT", f"/roles/{mid['id']}/implies/{leaf['id']}")
    p = cloud.make_project()
    u, tok = cloud.persona(top["name"], project_id=p["id"])
    roles = {r["name"] for r in cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).json()["token"]["roles"]}
    assert roles == {top["name"], mid["name"], leaf["name"]}
    # a domain-specific role is not in the token, what it implies is
    d = cloud.make_domain()
    dr = _role(cloud, domain_id=d["id"])
    cloud.admin("PUT", f"/roles/{dr['id']}/implies/{leaf['id']}")
    dp = cloud.make_project(domain_id=d["id"])
    u2 = cloud.make_user()
    assert cloud.admin("PUT", f"/projects/{dp['id']}/users/{u2['id']}/roles/{dr['id']}").status_code == 204
    tok2 = cloud.token(u2["name"], "pw-secret", project_id=dp["id"])
    roles = {r["name"] for r in cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok2}).json()["token"]["roles"]}
    assert roles == {leaf["name"]}


def test_deleting_a_role_removes_its_assignments(cloud: CloudFixture) -> None:
    r = _role(cloud)
    p = cloud.make_project()
    u, tok = cloud.persona(r["name"], project_id=p["id"])
    assert cloud.admin("DELETE", f"/roles/{r['id']}").status_code == 204
    assert cloud.admin("GET", f"/role_assignments?user.id={u['id']}").json()["role_assignments"] == []
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404
