"""Application credentials: create (roles, secret, expiry, access rules), authenticate
with one, list/get/delete, what a restricted one may not do; and access rules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.conftest import CloudFixture


@pytest.fixture
def owner(cloud: CloudFixture) -> dict[str, Any]:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    return {"user": u, "token": tok, "project": p, "base": f"/users/{u['id']}/application_credentials"}


def _create(cloud: CloudFixture, o: dict, **body: Any) -> Any:
    body.setdefault("name", "ac-" + uuid.uuid4().hex[:8])
    return cloud.req("POST", o["base"], o["token"], json={"application_credential": body})


def _ac_auth(cloud: CloudFixture, ident: dict) -> Any:
    return cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"], "application_credential": ident}}})


def test_create_and_authenticate(cloud: CloudFixture, owner: dict) -> None:
    r = _create(cloud, owner, description="ci")
    assert r.status_code == 201, r.text
    ac = r.json()["application_credential"]
    assert ac["secret"] and ac["project_id"] == owner["project"]["id"] and ac["user_id"] == owner["user"]["id"]
    assert ac["unrestricted"] is False and ac["description"] == "ci" and ac["expires_at"] is None
    # by default, every role of the creating token
    assert {x["name"] for x in ac["roles"]} == {"member", "reader"}

    r = _ac_auth(cloud, {"id": ac["id"], "secret": ac["secret"]})
    assert r.status_code == 201, r.text
    t = r.json()["token"]
    assert t["methods"] == ["application_credential"]
    assert t["project"]["id"] == owner["project"]["id"]
    assert t["application_credential"]["id"] == ac["id"] and t["application_credential"]["restricted"] is True
    assert {x["name"] for x in t["roles"]} == {"member", "reader"}
    # by name and user
    r = _ac_auth(cloud, {"name": ac["name"], "secret": ac["secret"], "user": {"id": owner["user"]["id"]}})
    assert r.status_code == 201
    r = _ac_auth(cloud, {"name": ac["name"], "secret": ac["secret"],
                         "user": {"name": owner["user"]["name"], "domain": {"id": "default"}}})
    assert r.status_code == 201
    # wrong secret, unknown id
    assert _ac_auth(cloud, {"id": ac["id"], "secret": "nope"}).status_code == 401
    assert _ac_auth(cloud, {"id": uuid.uuid4().hex, "secret": ac["secret"]}).status_code == 401
    # an app cred token cannot be rescoped
    tok = _ac_auth(cloud, {"id": ac["id"], "secret": ac["secret"]}).headers["X-Subject-Token"]
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["token"], "token": {"id": tok}},
                                                                   "scope": {"project": {"id": owner["project"]["id"]}}}})
    assert r.status_code in (401, 403)


def test_roles_secret_and_expiry(cloud: CloudFixture, owner: dict) -> None:
    r = _create(cloud, owner, roles=[{"name": "reader"}], secret="my-own-secret")
    assert r.status_code == 201, r.text
    ac = r.json()["application_credential"]
    assert ac["secret"] == "my-own-secret" and [x["name"] for x in ac["roles"]] == ["reader"]
    t = _ac_auth(cloud, {"id": ac["id"], "secret": "my-own-secret"}).json()["token"]
    assert {x["name"] for x in t["roles"]} == {"reader"}
    # a role the user does not hold on the project (upstream: RoleAssignmentNotFound)
    r = _create(cloud, owner, roles=[{"name": "admin"}])
    assert r.status_code == 404
    # duplicate name
    assert _create(cloud, owner, name=ac["name"]).status_code == 409
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    assert _create(cloud, owner, expires_at=past).status_code == 400
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    r = _create(cloud, owner, expires_at=soon.isoformat())
    assert r.status_code == 201
    exp = r.json()["application_credential"]["expires_at"]
    assert dt.datetime.fromisoformat(exp.replace("Z", "+00:00")).replace(tzinfo=dt.UTC) == soon
    ac2 = r.json()["application_credential"]
    t = _ac_auth(cloud, {"id": ac2["id"], "secret": ac2["secret"]}).json()["token"]
    token_exp = dt.datetime.fromisoformat(t["expires_at"].replace("Z", "+00:00"))
    assert token_exp <= soon + dt.timedelta(seconds=1)
    assert _create(cloud, owner, bogus=1).status_code == 400


def test_list_get_delete(cloud: CloudFixture, owner: dict) -> None:
    a = _create(cloud, owner).json()["application_credential"]
    b = _create(cloud, owner).json()["application_credential"]
    r = cloud.req("GET", owner["base"], owner["token"])
    assert r.status_code == 200
    listed = r.json()["application_credentials"]
    assert {x["id"] for x in listed} == {a["id"], b["id"]}
    assert all("secret" not in x for x in listed)
    assert [x["id"] for x in cloud.req("GET", f"{owner['base']}?name={a['name']}", owner["token"]).json()["application_credentials"]] == [a["id"]]
    got = cloud.req("GET", f"{owner['base']}/{a['id']}", owner["token"])
    assert got.status_code == 200 and got.json()["application_credential"]["name"] == a["name"]
    assert "secret" not in got.json()["application_credential"]

    tok = _ac_auth(cloud, {"id": a["id"], "secret": a["secret"]}).headers["X-Subject-Token"]
    assert cloud.req("DELETE", f"{owner['base']}/{a['id']}", owner["token"]).status_code == 204
    assert cloud.req("GET", f"{owner['base']}/{a['id']}", owner["token"]).status_code == 404
    assert cloud.req("DELETE", f"{owner['base']}/{a['id']}", owner["token"]).status_code == 404
    # its tokens and its secret are gone
    assert cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok}).status_code == 404
    assert _ac_auth(cloud, {"id": a["id"], "secret": a["secret"]}).status_code == 401
    # the admin may list and read them too
    assert {x["id"] for x in cloud.admin("GET", owner["base"]).json()["application_credentials"]} == {b["id"]}


def test_restricted_cannot_manage_app_creds(cloud: CloudFixture, owner: dict) -> None:
    restricted = _create(cloud, owner).json()["application_credential"]
    free = _create(cloud, owner, unrestricted=True).json()["application_credential"]
    rtok = _ac_auth(cloud, {"id": restricted["id"], "secret": restricted["secret"]}).headers["X-Subject-Token"]
    ftok = _ac_auth(cloud, {"id": free["id"], "secret": free["secret"]}).headers["X-Subject-Token"]
    body = {"application_credential": {"name": "child"}}
    assert cloud.req("POST", owner["base"], rtok, json=body).status_code == 403
    assert cloud.req("DELETE", f"{owner['base']}/{free['id']}", rtok).status_code == 403
    assert cloud.req("POST", owner["base"], ftok, json=body).status_code == 201


def test_cannot_create_for_someone_else(cloud: CloudFixture, owner: dict) -> None:
    other = cloud.make_user()
    r = cloud.req("POST", f"/users/{other['id']}/application_credentials", owner["token"],
                  json={"application_credential": {"name": "x"}})
    assert r.status_code == 403
    # nor with an unscoped token
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": owner["user"]["id"], "password": "pw-secret"}}}, "scope": "unscoped"}})
    unscoped = r.headers["X-Subject-Token"]
    assert cloud.req("POST", owner["base"], unscoped, json={"application_credential": {"name": "x"}}).status_code == 403


def test_access_rules(cloud: CloudFixture, owner: dict) -> None:
    uid = owner["user"]["id"]
    rules = [{"service": "compute", "path": "/v2.1/servers", "method": "GET"}]
    r = _create(cloud, owner, access_rules=rules)
    assert r.status_code == 201, r.text
    ac = r.json()["application_credential"]
    assert [(x["service"], x["path"], x["method"]) for x in ac["access_rules"]] == [("compute", "/v2.1/servers", "GET")]
    rule_id = ac["access_rules"][0]["id"]
    t = _ac_auth(cloud, {"id": ac["id"], "secret": ac["secret"]}).json()["token"]
    assert t["application_credential"]["access_rules"][0]["id"] == rule_id

    listed = cloud.req("GET", f"/users/{uid}/access_rules", owner["token"])
    assert listed.status_code == 200 and [x["id"] for x in listed.json()["access_rules"]] == [rule_id]
    got = cloud.req("GET", f"/users/{uid}/access_rules/{rule_id}", owner["token"])
    assert got.status_code == 200 and got.json()["access_rule"]["path"] == "/v2.1/servers"
    # a second app cred may reuse the rule by id
    r = _create(cloud, owner, access_rules=[{"id": rule_id}])
    assert r.status_code == 201 and r.json()["application_credential"]["access_rules"][0]["id"] == rule_id
    ac2 = r.json()["application_credential"]
    # in use: cannot be deleted
    assert cloud.req("DELETE", f"/users/{uid}/access_rules/{rule_id}", owner["token"]).status_code == 403
    for a in (ac, ac2):
        cloud.req("DELETE", f"{owner['base']}/{a['id']}", owner["token"])
    assert cloud.req("DELETE", f"/users/{uid}/access_rules/{rule_id}", owner["token"]).status_code == 204
    assert cloud.req("GET", f"/users/{uid}/access_rules/{rule_id}", owner["token"]).status_code == 404
    assert cloud.req("GET", f"/users/{uid}/access_rules", owner["token"]).json()["access_rules"] == []
    # malformed rules are refused
    assert _create(cloud, owner, access_rules=[{"service": "compute"}]).status_code == 400
    assert _create(cloud, owner, access_rules=[{"service": "c", "path": "/", "method": "BREW"}]).status_code == 400
    assert _create(cloud, owner, access_rules=[{"id": uuid.uuid4().hex}]).status_code == 404


def test_disabling_the_user_deletes_app_creds(cloud: CloudFixture, owner: dict) -> None:
    ac = _create(cloud, owner, access_rules=[{"service": "image", "path": "/v2/images", "method": "GET"}]).json()["application_credential"]
    uid = owner["user"]["id"]
    cloud.admin("PATCH", f"/users/{uid}", json={"user": {"enabled": False}})
    cloud.admin("PATCH", f"/users/{uid}", json={"user": {"enabled": True}})
    # upstream deletes them on disable: re-enabling does not bring them back
    assert _ac_auth(cloud, {"id": ac["id"], "secret": ac["secret"]}).status_code == 401
    assert cloud.admin("GET", f"{owner['base']}/{ac['id']}").status_code == 404
    assert cloud.req("GET", f"/users/{uid}/access_rules", cloud.token(owner["user"]["name"], "pw-secret", project_id=owner["project"]["id"])).json()["access_rules"] == []
