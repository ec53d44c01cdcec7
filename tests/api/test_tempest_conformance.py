"""Behaviours Tempest's identity tests pinned down (each matches upstream Keystone):
the token method on a revoked token, rescoping, unscoped tokens without a catalog,
application credential expiry format, legacy endpoint regions, domain-specific roles
in implications and effective assignments."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.conftest import CloudFixture


def _auth(cloud: CloudFixture, auth: dict) -> object:
    return cloud.client.post("/identity/v3/auth/tokens", json={"auth": auth})


def test_token_method_with_a_revoked_token_is_404(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    tok = cloud.token(u["name"], "pw-secret")
    assert cloud.req("DELETE", "/auth/tokens", tok, headers={"X-Subject-Token": tok}).status_code == 204
    r = _auth(cloud, {"identity": {"methods": ["token"], "token": {"id": tok}}})
    assert r.status_code == 404  # upstream: TokenNotFound, not 401
    # a password change revokes the user's tokens the same way
    tok = cloud.token(u["name"], "pw-secret")
    r = cloud.req("POST", f"/users/{u['id']}/password", tok,
                  json={"user": {"original_password": "pw-secret", "password": "pw-secret-2"}})
    assert r.status_code == 204
    assert _auth(cloud, {"identity": {"methods": ["token"], "token": {"id": tok}}}).status_code == 404


def test_unscoped_token_has_no_catalog_and_rescoping_keeps_methods(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, _ = cloud.persona("member", project_id=p["id"])
    r = _auth(cloud, {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}})
    assert r.status_code == 201
    body = r.json()["token"]
    assert "catalog" not in body and "project" not in body and "roles" not in body
    unscoped = r.headers["X-Subject-Token"]
    r = _auth(cloud, {"identity": {"methods": ["token"], "token": {"id": unscoped}},
                      "scope": {"project": {"id": p["id"]}}})
    assert r.status_code == 201
    scoped = r.json()["token"]
    assert set(scoped["methods"]) == {"password", "token"}
    assert scoped["expires_at"] == body["expires_at"] and isinstance(scoped["catalog"], list)


def test_app_cred_expires_at_is_rendered_like_upstream(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(tzinfo=None)
    r = cloud.req("POST", f"/users/{u['id']}/application_credentials", tok, json={"application_credential": {
        "name": "ac-" + uuid.uuid4().hex[:6], "expires_at": expires.isoformat()}})
    assert r.status_code == 201, r.text
    # naive UTC with microseconds, no "Z": Tempest compares it with datetime.isoformat()
    assert r.json()["application_credential"]["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%S.%f")


def test_endpoint_with_a_legacy_region_creates_it(cloud: CloudFixture) -> None:
    svc = cloud.admin("POST", "/services", json={"service": {"type": "t-" + uuid.uuid4().hex[:6]}}).json()["service"]
    region = "legacy-" + uuid.uuid4().hex[:6]
    r = cloud.admin("POST", "/endpoints", json={"endpoint": {
        "service_id": svc["id"], "interface": "public", "url": "http://x", "region": region}})
    assert r.status_code == 201, r.text
    assert r.json()["endpoint"]["region_id"] == region
    assert cloud.admin("GET", f"/regions/{region}").status_code == 200
    # region_id still has to exist
    r = cloud.admin("POST", "/endpoints", json={"endpoint": {
        "service_id": svc["id"], "interface": "public", "url": "http://x", "region_id": "nope-" + region}})
    assert r.status_code == 400
    # and a PATCH with a legacy region creates it too
    ep = cloud.admin("POST", "/endpoints", json={"endpoint": {
        "service_id": svc["id"], "interface": "internal", "url": "http://y"}}).json()["endpoint"]
    r = cloud.admin("PATCH", f"/endpoints/{ep['id']}", json={"endpoint": {"region": region + "-2"}})
    assert r.status_code == 200 and r.json()["endpoint"]["region_id"] == region + "-2"


def test_domain_specific_roles_in_implications_and_assignments(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    d2 = cloud.make_domain()

    def role(domain_id: str | None = None) -> dict:
        body = {"name": "r-" + uuid.uuid4().hex[:8]}
        if domain_id:
            body["domain_id"] = domain_id
        return cloud.admin("POST", "/roles", json={"role": body}).json()["role"]

    dr1, dr2, dr3, glob = role(d["id"]), role(d["id"]), role(d2["id"]), role()
    assert cloud.admin("PUT", f"/roles/{dr1['id']}/implies/{dr2['id']}").status_code == 201
    assert cloud.admin("PUT", f"/roles/{dr1['id']}/implies/{dr3['id']}").status_code == 201  # across domains
    assert cloud.admin("PUT", f"/roles/{dr1['id']}/implies/{glob['id']}").status_code == 201
    assert cloud.admin("PUT", f"/roles/{glob['id']}/implies/{dr1['id']}").status_code == 403
    admin = cloud.role_id("admin")
    assert cloud.admin("PUT", f"/roles/{glob['id']}/implies/{admin}").status_code == 403

    # a grant of a domain-specific role shows up effective only as what it implies
    p = cloud.make_project(domain_id=d["id"])
    u = cloud.make_user(domain_id=d["id"])
    assert cloud.admin("PUT", f"/projects/{p['id']}/users/{u['id']}/roles/{dr1['id']}").status_code == 204
    r = cloud.admin("GET", f"/role_assignments?effective&scope.project.id={p['id']}&user.id={u['id']}")
    assert {a["role"]["id"] for a in r.json()["role_assignments"]} == {glob["id"]}
