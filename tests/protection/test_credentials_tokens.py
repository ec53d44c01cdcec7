"""Who may see and manage credentials, application credentials and access rules,
and validate or revoke tokens (upstream's protection tests for credentials,
application credentials, access rules and tokens)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.protection.conftest import ALL, World


def _cred(world: World, user_id: str) -> dict[str, Any]:
    r = world.cloud.admin("POST", "/credentials", json={"credential": {"blob": uuid.uuid4().hex, "type": "totp", "user_id": user_id}})
    assert r.status_code == 201
    return r.json()["credential"]


@pytest.mark.parametrize("who", ALL)
def test_everyone_manages_their_own_credentials(world: World, who: str) -> None:
    me = world[who].user["id"]
    r = world.req(who, "POST", "/credentials", json={"credential": {"blob": "b", "type": "totp", "user_id": me}})
    assert r.status_code == 201, r.text
    c = r.json()["credential"]
    assert world.req(who, "GET", f"/credentials/{c['id']}").json()["credential"]["blob"] == "b"
    assert c["id"] in {x["id"] for x in world.req(who, "GET", "/credentials").json()["credentials"]}
    assert world.req(who, "PATCH", f"/credentials/{c['id']}", json={"credential": {"blob": "c"}}).status_code == 200
    assert world.req(who, "DELETE", f"/credentials/{c['id']}").status_code == 204


@pytest.mark.parametrize("who,read,write", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 200),
    ("other_member", 403, 403), ("domain_admin", 200, 200), ("domain_reader", 403, 403),
    ("domain_manager", 403, 403), ("system_reader", 200, 403)])
def test_credentials_of_others(world: World, who: str, read: int, write: int) -> None:
    c = _cred(world, world.ud["id"])
    assert world.req(who, "GET", f"/credentials/{c['id']}").status_code == read
    listed = world.req(who, "GET", "/credentials")
    assert listed.status_code == 200
    assert (c["id"] in {x["id"] for x in listed.json()["credentials"]}) == (read == 200)
    filtered = world.req(who, "GET", f"/credentials?user_id={world.ud['id']}").json()["credentials"]
    assert (len(filtered) > 0) == (read == 200)
    r = world.req(who, "POST", "/credentials", json={"credential": {"blob": "x", "type": "totp", "user_id": world.ud["id"]}})
    assert r.status_code == (201 if write == 200 else 403)
    assert world.req(who, "PATCH", f"/credentials/{c['id']}", json={"credential": {"blob": "y"}}).status_code == write
    assert world.req(who, "DELETE", f"/credentials/{c['id']}").status_code == (204 if write == 200 else 403)
    # unknown ids: a 404 only to those who could have read it
    missing = uuid.uuid4().hex
    assert world.req(who, "GET", f"/credentials/{missing}").status_code == (404 if read == 200 else 403)
    assert world.req(who, "DELETE", f"/credentials/{missing}").status_code == (404 if write == 200 else 403)


def test_credential_cannot_be_handed_to_someone_else(world: World) -> None:
    me = world["project_member"].user["id"]
    c = world.req("project_member", "POST", "/credentials",
                  json={"credential": {"blob": "b", "type": "totp", "user_id": me}}).json()["credential"]
    r = world.req("project_member", "PATCH", f"/credentials/{c['id']}", json={"credential": {"user_id": world.ud["id"]}})
    assert r.status_code == 403
    assert world.cloud.admin("GET", f"/credentials/{c['id']}").json()["credential"]["user_id"] == me


# ---- application credentials --------------------------------------------------------
@pytest.fixture(scope="module")
def member_app_cred(world: World) -> dict[str, Any]:
    me = world["project_member"].user["id"]
    r = world.req("project_member", "POST", f"/users/{me}/application_credentials",
                  json={"application_credential": {"name": "prot-" + uuid.uuid4().hex[:6]}})
    assert r.status_code == 201, r.text
    return r.json()["application_credential"]


@pytest.mark.parametrize("who,read,delete", [
    ("project_reader", 403, 403), ("project_member", 200, 204), ("project_admin", 200, 204),
    ("other_member", 403, 403), ("domain_admin", 403, 403), ("domain_reader", 403, 403),
    ("domain_manager", 403, 403), ("system_reader", 200, 403)])
def test_application_credentials(world: World, member_app_cred: dict, who: str, read: int, delete: int) -> None:
    owner = world["project_member"].user["id"]
    base = f"/users/{owner}/application_credentials"
    assert world.req(who, "GET", base).status_code == read
    assert world.req(who, "GET", f"{base}/{member_app_cred['id']}").status_code == read
    assert world.req(who, "GET", f"{base}?name={member_app_cred['name']}").status_code == read
    assert world.req(who, "GET", f"{base}/{uuid.uuid4().hex}").status_code == (404 if read == 200 else 403)
    # a throwaway one for the delete check
    victim = world.req("project_member", "POST", base,
                       json={"application_credential": {"name": "v-" + uuid.uuid4().hex[:6]}}).json()["application_credential"]
    assert world.req(who, "DELETE", f"{base}/{victim['id']}").status_code == delete
    # nobody creates one for someone else, whatever their role
    if who != "project_member":
        r = world.req(who, "POST", base, json={"application_credential": {"name": "x"}})
        assert r.status_code == 403


@pytest.mark.parametrize("who,code", [
    ("project_reader", 403), ("project_member", 200), ("project_admin", 403), ("other_member", 403),
    ("domain_admin", 403), ("domain_reader", 403), ("domain_manager", 403), ("system_reader", 200)])
def test_access_rules(world: World, who: str, code: int) -> None:
    owner = world["project_member"].user["id"]
    r = world.req("project_member", "POST", f"/users/{owner}/application_credentials", json={"application_credential": {
        "name": "ar-" + uuid.uuid4().hex[:6], "access_rules": [{"service": "compute", "path": "/x", "method": "GET"}]}})
    rule_id = r.json()["application_credential"]["access_rules"][0]["id"]
    assert world.req(who, "GET", f"/users/{owner}/access_rules").status_code == code
    assert world.req(who, "GET", f"/users/{owner}/access_rules/{rule_id}").status_code == code
    if who != "project_member":
        assert world.req(who, "DELETE", f"/users/{owner}/access_rules/{rule_id}").status_code == 403


# ---- tokens ---------------------------------------------------------------------------
def _fresh_token(world: World, who: str) -> str:
    """Another token for the persona, so revoking it leaves the shared one alone."""
    p = world[who]
    r = world.cloud.req("POST", "/auth/tokens", json={"auth": {"identity": {"methods": ["token"], "token": {"id": p.token}}}})
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


@pytest.mark.parametrize("who", ALL)
def test_users_validate_and_revoke_their_own_tokens(world: World, who: str) -> None:
    tok = world[who].token
    r = world.req(who, "GET", "/auth/tokens", headers={"X-Subject-Token": tok})
    assert r.status_code == 200 and r.json()["token"]["user"]["id"] == world[who].user["id"]
    assert world.req(who, "HEAD", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 200
    mine = _fresh_token(world, who)
    assert world.req(who, "DELETE", "/auth/tokens", headers={"X-Subject-Token": mine}).status_code == 204
    assert world.req(who, "GET", "/auth/tokens", headers={"X-Subject-Token": mine}).status_code == 404


@pytest.mark.parametrize("who,validate,revoke", [
    ("project_reader", 403, 403), ("project_admin", 200, 204), ("other_member", 403, 403),
    ("domain_admin", 200, 204), ("domain_reader", 403, 403), ("domain_manager", 403, 403),
    ("system_reader", 200, 403)])
def test_validating_someone_elses_token(world: World, who: str, validate: int, revoke: int) -> None:
    theirs = _fresh_token(world, "project_member")
    r = world.req(who, "GET", "/auth/tokens", headers={"X-Subject-Token": theirs})
    assert r.status_code == validate
    if validate == 403:
        assert "token" not in r.json()
    assert world.req(who, "HEAD", "/auth/tokens", headers={"X-Subject-Token": theirs}).status_code == validate
    assert world.req(who, "DELETE", "/auth/tokens", headers={"X-Subject-Token": theirs}).status_code == revoke
    still = world.cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": theirs}).status_code
    assert still == (404 if revoke == 204 else 200)


@pytest.mark.parametrize("kind", ["system_reader", "domain_reader", "project_admin"])
def test_member_cannot_validate_any_scope(world: World, kind: str) -> None:
    r = world.req("project_member", "GET", "/auth/tokens", headers={"X-Subject-Token": world[kind].token})
    assert r.status_code == 403


def test_service_role_validates_but_does_not_check(world: World) -> None:
    """Upstream: GET is identity:validate_token (service role allowed), HEAD is
    identity:check_token (not)."""
    _, svc = world.cloud.persona("service", project_id=world.q["id"])
    theirs = world["project_member"].token
    assert world.cloud.req("GET", "/auth/tokens", svc, headers={"X-Subject-Token": theirs}).status_code == 200
    assert world.cloud.req("HEAD", "/auth/tokens", svc, headers={"X-Subject-Token": theirs}).status_code == 403
    assert world.cloud.req("DELETE", "/auth/tokens", svc, headers={"X-Subject-Token": theirs}).status_code == 403


@pytest.mark.parametrize("who", ALL)
def test_unknown_tokens(world: World, who: str) -> None:
    # upstream reads the subject token before it checks the policy: a 404 to anyone
    assert world.req(who, "GET", "/auth/tokens", headers={"X-Subject-Token": "not-a-token"}).status_code == 404
