"""/v3/auth/*: issuing tokens every way a client does (password, token, application
credential; project, domain, system, unscoped), validating (GET, HEAD, nocatalog,
allow_expired), revoking; what a token may scope to; version discovery; and the
v2.0 token call."""

from __future__ import annotations

import base64
import os
import time
import uuid
from typing import Any

import pytest

from onestack.identity import fernet
from tests.conftest import ADMIN_PASSWORD, CloudFixture


def _issue(cloud: CloudFixture, identity: dict, scope: Any = None, query: str = "") -> Any:
    auth: dict[str, Any] = {"identity": identity}
    if scope is not None:
        auth["scope"] = scope
    return cloud.client.post("/identity/v3/auth/tokens" + query, json={"auth": auth})


def _pw(user: dict, password: str = "pw-secret", **how: Any) -> dict:
    u = how or {"id": user["id"]}
    return {"methods": ["password"], "password": {"user": {**u, "password": password}}}


def _validate(cloud: CloudFixture, tok: str, query: str = "", method: str = "GET") -> Any:
    return cloud.admin(method, "/auth/tokens" + query, headers={"X-Subject-Token": tok})


@pytest.fixture(scope="module")
def setup(cloud: CloudFixture) -> dict[str, Any]:
    d = cloud.make_domain()
    p = cloud.make_project(domain_id=d["id"])
    u = cloud.make_user(domain_id=d["id"])
    cloud.grant(u["id"], "member", project_id=p["id"])
    cloud.grant(u["id"], "reader", domain_id=d["id"])
    cloud.grant(u["id"], "reader", system=True)
    return {"d": d, "p": p, "u": u}


def test_version_discovery(cloud: CloudFixture) -> None:
    for path in ("/identity", "/identity/"):
        r = cloud.client.get(path)
        assert r.status_code == 300
        assert r.json()["versions"]["values"][0]["links"][0]["href"] == "http://testserver/identity/v3/"
    for path in ("/identity/v3", "/identity/v3/"):
        r = cloud.client.get(path)
        assert r.status_code == 200 and r.json()["version"]["status"] == "stable"


def test_password_every_way_and_every_scope(cloud: CloudFixture, setup: dict) -> None:
    d, p, u = setup["d"], setup["p"], setup["u"]
    ways = [{"id": u["id"]}, {"name": u["name"], "domain": {"id": d["id"]}}, {"name": u["name"], "domain": {"name": d["name"]}}]
    for way in ways:
        r = _issue(cloud, _pw(u, **way), {"project": {"id": p["id"]}})
        assert r.status_code == 201, (way, r.text)
        t = r.json()["token"]
        assert t["user"]["id"] == u["id"] and t["project"]["id"] == p["id"] and t["methods"] == ["password"]
        assert t["project"]["domain"] == {"id": d["id"], "name": d["name"]}
        assert {x["name"] for x in t["roles"]} == {"member", "reader"}
        assert r.headers["X-Subject-Token"]
    r = _issue(cloud, _pw(u), {"project": {"name": p["name"], "domain": {"name": d["name"]}}})
    assert r.status_code == 201 and r.json()["token"]["project"]["id"] == p["id"]

    r = _issue(cloud, _pw(u), {"domain": {"id": d["id"]}})
    assert r.status_code == 201
    t = r.json()["token"]
    assert t["domain"] == {"id": d["id"], "name": d["name"]} and "project" not in t
    assert _issue(cloud, _pw(u), {"domain": {"name": d["name"]}}).json()["token"]["domain"]["id"] == d["id"]

    r = _issue(cloud, _pw(u), {"system": {"all": True}})
    assert r.status_code == 201 and r.json()["token"]["system"] == {"all": True}

    for scope in (None, "unscoped"):
        r = _issue(cloud, _pw(u), scope)
        assert r.status_code == 201
        t = r.json()["token"]
        # upstream: an unscoped token has no roles and no catalog
        assert not ({"project", "domain", "system", "roles", "catalog"} & set(t))


def test_authentication_failures(cloud: CloudFixture, setup: dict) -> None:
    u, p = setup["u"], setup["p"]
    assert _issue(cloud, _pw(u, "wrong")).status_code == 401
    assert _issue(cloud, _pw(u, id=uuid.uuid4().hex)).status_code == 401
    assert _issue(cloud, _pw(u, name=u["name"], domain={"id": "default"})).status_code == 401
    r = _issue(cloud, {"methods": ["totp"], "totp": {}})
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    assert _issue(cloud, {"methods": ["password"]}).status_code == 400
    assert _issue(cloud, {"methods": []}).status_code == 400
    assert cloud.client.post("/identity/v3/auth/tokens", json={}).status_code == 400
    # no role there, or nothing there
    other = cloud.make_project()
    assert _issue(cloud, _pw(u), {"project": {"id": other["id"]}}).status_code == 401
    assert _issue(cloud, _pw(u), {"project": {"id": uuid.uuid4().hex}}).status_code == 401
    assert _issue(cloud, _pw(u), {"domain": {"id": "default"}}).status_code == 401
    assert _issue(cloud, _pw(u), {"project": {"id": p["id"]}, "domain": {"id": "default"}}).status_code == 400
    assert _issue(cloud, _pw(u), {"system": {"all": False}}).status_code == 400
    r = _issue(cloud, _pw(u, ADMIN_PASSWORD, name="admin", domain={"id": "default"}), {"system": {"all": True}})
    assert r.status_code == 201  # the admin has a system role


def test_token_method_rescopes(cloud: CloudFixture, setup: dict) -> None:
    u, p, d = setup["u"], setup["p"], setup["d"]
    r = _issue(cloud, _pw(u))
    unscoped, first = r.headers["X-Subject-Token"], r.json()["token"]
    r = _issue(cloud, {"methods": ["token"], "token": {"id": unscoped}}, {"project": {"id": p["id"]}})
    assert r.status_code == 201, r.text
    t = r.json()["token"]
    assert t["project"]["id"] == p["id"] and t["user"]["id"] == u["id"]
    # the new token never outlives the old one and carries its audit chain
    assert t["expires_at"] == first["expires_at"]
    assert t["audit_ids"][1] == first["audit_ids"][0] and len(t["audit_ids"]) == 2
    r = _issue(cloud, {"methods": ["token"], "token": {"id": unscoped}}, {"domain": {"id": d["id"]}})
    assert r.status_code == 201 and r.json()["token"]["domain"]["id"] == d["id"]
    # upstream revokes by audit id: the original goes, what was made from it stays
    rescoped = _issue(cloud, {"methods": ["token"], "token": {"id": unscoped}}, {"project": {"id": p["id"]}}).headers["X-Subject-Token"]
    assert cloud.admin("DELETE", "/auth/tokens", headers={"X-Subject-Token": unscoped}).status_code == 204
    assert _validate(cloud, unscoped).status_code == 404
    assert _validate(cloud, rescoped).status_code == 200
    # upstream: the token method validates the token, and an invalid one is not found
    assert _issue(cloud, {"methods": ["token"], "token": {"id": unscoped}}).status_code == 404
    assert _issue(cloud, {"methods": ["token"], "token": {"id": "garbage"}}).status_code == 404


def test_app_cred_token(cloud: CloudFixture, setup: dict) -> None:
    u, p = setup["u"], setup["p"]
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"], user_domain=setup["d"]["id"])
    ac = cloud.req("POST", f"/users/{u['id']}/application_credentials", tok,
                   json={"application_credential": {"name": "auth-" + uuid.uuid4().hex[:6]}}).json()["application_credential"]
    ident = {"methods": ["application_credential"], "application_credential": {"id": ac["id"], "secret": ac["secret"]}}
    r = _issue(cloud, ident)
    assert r.status_code == 201 and r.json()["token"]["project"]["id"] == p["id"]
    # it is bound to its project
    other = cloud.make_project()
    assert _issue(cloud, ident, {"project": {"id": other["id"]}}).status_code == 401


def test_validate_head_nocatalog_and_revoke(cloud: CloudFixture, setup: dict) -> None:
    u, p = setup["u"], setup["p"]
    r = _issue(cloud, _pw(u), {"project": {"id": p["id"]}}, query="?nocatalog")
    assert r.status_code == 201 and "catalog" not in r.json()["token"]
    tok = r.headers["X-Subject-Token"]
    r = _validate(cloud, tok)
    assert r.status_code == 200 and r.headers["X-Subject-Token"] == tok
    assert r.json()["token"]["catalog"]
    assert "catalog" not in _validate(cloud, tok, "?nocatalog").json()["token"]
    r = _validate(cloud, tok, method="HEAD")
    assert r.status_code == 200 and r.content == b""
    assert _validate(cloud, "not-a-token", method="HEAD").status_code == 404
    assert _validate(cloud, "not-a-token").status_code == 404
    # validating needs a token of one's own
    assert cloud.req("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 401
    # a user revokes their own token
    assert cloud.req("DELETE", "/auth/tokens", tok, headers={"X-Subject-Token": tok}).status_code == 204
    assert _validate(cloud, tok).status_code == 404
    assert cloud.req("GET", "/auth/projects", tok).status_code == 401
    assert cloud.admin("DELETE", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404


def _forge(cloud: CloudFixture, user_id: str, project_id: str, expired_for: float) -> str:
    """A token as the cloud would have issued it, which expired ``expired_for`` s ago."""
    now = time.time()
    audit = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    payload = {"user_id": user_id, "methods": ["password"], "project_id": project_id, "domain_id": None,
               "system": None, "expires_at": now - expired_for, "issued_at": now - expired_for - 3600,
               "audit_ids": [audit], "app_cred_id": None}
    return fernet.encode(cloud.cloud.identity.tokens.keys, payload)


def test_allow_expired(cloud: CloudFixture, setup: dict) -> None:
    u, p = setup["u"], setup["p"]
    expired = _forge(cloud, u["id"], p["id"], expired_for=60)
    assert _validate(cloud, expired).status_code == 404
    r = _validate(cloud, expired, "?allow_expired=true")
    assert r.status_code == 200, r.text
    assert r.json()["token"]["project"]["id"] == p["id"]
    assert _validate(cloud, expired, "?allow_expired=false").status_code == 404
    # but never as the caller's own token, and not beyond the window (48 h by default)
    assert cloud.req("GET", "/auth/projects", expired).status_code == 401
    ancient = _forge(cloud, u["id"], p["id"], expired_for=3 * 24 * 3600)
    assert _validate(cloud, ancient, "?allow_expired=true").status_code == 404
    assert _validate(cloud, expired, "?allow_expired=maybe").status_code == 400


def test_auth_projects_domains_system(cloud: CloudFixture, setup: dict) -> None:
    u, p, d = setup["u"], setup["p"], setup["d"]
    disabled = cloud.make_project(domain_id=d["id"])
    cloud.grant(u["id"], "member", project_id=disabled["id"])
    cloud.admin("PATCH", f"/projects/{disabled['id']}", json={"project": {"enabled": False}})
    tok = _issue(cloud, _pw(u)).headers["X-Subject-Token"]
    r = cloud.req("GET", "/auth/projects", tok)
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["projects"]] == [p["id"]]
    r = cloud.req("GET", "/auth/domains", tok)
    assert r.status_code == 200 and [x["id"] for x in r.json()["domains"]] == [d["id"]]
    r = cloud.req("GET", "/auth/system", tok)
    assert r.status_code == 200 and r.json()["system"] == [{"all": True}]
    # someone with nothing
    nobody = cloud.make_user()
    ntok = _issue(cloud, _pw(nobody)).headers["X-Subject-Token"]
    assert cloud.req("GET", "/auth/projects", ntok).json()["projects"] == []
    assert cloud.req("GET", "/auth/domains", ntok).json()["domains"] == []
    assert cloud.req("GET", "/auth/system", ntok).json()["system"] == []
    for path in ("/auth/projects", "/auth/domains", "/auth/system"):
        assert cloud.req("GET", path).status_code == 401


# ---- v2.0 ---------------------------------------------------------------------------
def test_v2_tokens(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, _ = cloud.persona("member", project_id=p["id"])

    def v2(auth: dict) -> Any:
        return cloud.client.post("/identity/v2.0/tokens", json={"auth": auth})

    pc = {"passwordCredentials": {"username": u["name"], "password": "pw-secret"}}
    for scope in ({"tenantName": p["name"]}, {"tenantId": p["id"]}):
        r = v2({**pc, **scope})
        assert r.status_code == 200, r.text
        access = r.json()["access"]
        assert access["token"]["tenant"]["id"] == p["id"]
        assert access["user"]["id"] == u["id"]
        assert {x["name"] for x in access["user"]["roles"]} == {"member", "reader"}
        identity = next(s for s in access["serviceCatalog"] if s["type"] == "identity")
        assert identity["endpoints"][0]["publicURL"] == "http://testserver/identity/v3"
        # the v2 token is a real token
        assert _validate(cloud, access["token"]["id"]).json()["token"]["project"]["id"] == p["id"]

    r = v2(pc)
    assert r.status_code == 200 and "tenant" not in r.json()["access"]["token"]
    unscoped = r.json()["access"]["token"]["id"]
    r = v2({"token": {"id": unscoped}, "tenantId": p["id"]})
    assert r.status_code == 200 and r.json()["access"]["token"]["tenant"]["id"] == p["id"]
    r = v2({"passwordCredentials": {"userId": u["id"], "password": "pw-secret"}, "tenantId": p["id"]})
    assert r.status_code == 200

    assert v2({"passwordCredentials": {"username": u["name"], "password": "bad"}}).status_code == 401
    assert v2({**pc, "tenantName": "no-such-" + uuid.uuid4().hex}).status_code == 401
    assert v2({"passwordCredentials": {"password": "x"}}).status_code == 400
    assert v2({}).status_code == 400
    assert cloud.client.post("/identity/v2.0/tokens", json={}).status_code == 400
