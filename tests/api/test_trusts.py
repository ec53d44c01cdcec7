"""Trusts (OS-TRUST): create/list/show/delete, delegated roles, trust-scoped tokens
(impersonation, remaining uses, expiry, revocation), redelegation, and what delegated
tokens may not do."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.conftest import CloudFixture


@pytest.fixture
def parties(cloud: CloudFixture) -> dict[str, Any]:
    """A trustor with member (implies reader) and a custom role on a project, and a trustee."""
    p = cloud.make_project()
    extra = cloud.admin("POST", "/roles", json={"role": {"name": "r-" + uuid.uuid4().hex[:8]}}).json()["role"]
    trustor, trustor_tok = cloud.persona("member", project_id=p["id"])
    cloud.admin("PUT", f"/projects/{p['id']}/users/{trustor['id']}/roles/{extra['id']}")
    trustee = cloud.make_user()
    return {"project": p, "trustor": trustor, "tok": trustor_tok, "trustee": trustee, "extra": extra}


def _trust(cloud: CloudFixture, x: dict, token: str | None = None, **body: Any) -> Any:
    b = {"trustor_user_id": x["trustor"]["id"], "trustee_user_id": x["trustee"]["id"],
         "project_id": x["project"]["id"], "impersonation": False, "roles": [{"name": "member"}], **body}
    return cloud.req("POST", "/OS-TRUST/trusts", token or x["tok"], json={"trust": b})


def _trust_token(cloud: CloudFixture, user: dict, trust_id: str, password: str = "pw-secret") -> Any:
    return cloud.client.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user["id"], "password": password}}},
        "scope": {"OS-TRUST:trust": {"id": trust_id}}}})


def _validate(cloud: CloudFixture, token: str) -> Any:
    return cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": token})


def test_create_show_list_and_roles(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    exp = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    r = _trust(cloud, x, expires_at=exp.strftime("%Y-%m-%dT%H:%M:%SZ"), remaining_uses=5, description="ci")
    assert r.status_code == 201, r.text
    t = r.json()["trust"]
    assert t["trustor_user_id"] == x["trustor"]["id"] and t["trustee_user_id"] == x["trustee"]["id"]
    assert t["project_id"] == x["project"]["id"] and t["impersonation"] is False
    assert t["expires_at"] == exp.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert t["remaining_uses"] == 5 and t["redelegation_count"] == 0 and t["description"] == "ci"
    assert [ro["name"] for ro in t["roles"]] == ["member"]
    assert "/v3/OS-TRUST/trusts/" in t["links"]["self"]

    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).json()["trust"]["roles"] == t["roles"]
    listed = cloud.req("GET", f"/OS-TRUST/trusts?trustor_user_id={x['trustor']['id']}", x["tok"]).json()["trusts"]
    assert [i["id"] for i in listed] == [t["id"]] and "roles" not in listed[0]
    assert t["id"] in [i["id"] for i in cloud.admin("GET", "/OS-TRUST/trusts").json()["trusts"]]
    # a project member may not list everyone's trusts, nor another user's
    assert cloud.req("GET", "/OS-TRUST/trusts", x["tok"]).status_code == 403
    assert cloud.req("GET", f"/OS-TRUST/trusts?trustee_user_id={x['trustee']['id']}", x["tok"]).status_code == 403

    member = cloud.role_id("member")
    roles = cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}/roles", x["tok"]).json()["roles"]
    assert [ro["id"] for ro in roles] == [member]
    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}/roles/{member}", x["tok"]).json()["role"]["name"] == "member"
    assert cloud.req("HEAD", f"/OS-TRUST/trusts/{t['id']}/roles/{member}", x["tok"]).status_code == 200
    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}/roles/{x['extra']['id']}", x["tok"]).status_code == 404
    assert cloud.req("GET", f"/OS-TRUST/trusts/{uuid.uuid4().hex}", x["tok"]).status_code == 404

    assert cloud.req("DELETE", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).status_code == 204
    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).status_code == 404


def test_create_validation(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    assert _trust(cloud, x, expires_at="bad.123Z").status_code == 400
    assert _trust(cloud, x, expires_at="2001-01-01T00:00:00Z").status_code == 400
    assert _trust(cloud, x, remaining_uses=0).status_code == 400
    assert _trust(cloud, x, roles=[]).status_code == 403  # a project trust needs roles
    assert _trust(cloud, x, trustor_user_id=x["trustee"]["id"]).status_code == 403  # not the caller
    assert _trust(cloud, x, trustee_user_id=uuid.uuid4().hex).status_code == 404
    assert _trust(cloud, x, roles=[{"name": "admin"}]).status_code == 404  # not held by the trustor
    assert _trust(cloud, x, roles=[{"id": uuid.uuid4().hex}]).status_code == 404
    assert _trust(cloud, x, project_id=uuid.uuid4().hex).status_code == 404
    r = cloud.req("POST", "/OS-TRUST/trusts", x["tok"], json={"trust": {"trustor_user_id": x["trustor"]["id"]}})
    assert r.status_code == 400
    # the same trust twice conflicts
    assert _trust(cloud, x).status_code == 201
    assert _trust(cloud, x).status_code == 409


def test_trust_scoped_token(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x, roles=[{"name": "member"}]).json()["trust"]
    r = _trust_token(cloud, x["trustee"], t["id"])
    assert r.status_code == 201, r.text
    tok = r.json()["token"]
    assert tok["OS-TRUST:trust"] == {"id": t["id"], "impersonation": False,
                                     "trustor_user": {"id": x["trustor"]["id"]},
                                     "trustee_user": {"id": x["trustee"]["id"]}}
    assert tok["user"]["id"] == x["trustee"]["id"]  # no impersonation
    assert tok["project"]["id"] == x["project"]["id"]
    assert sorted(ro["name"] for ro in tok["roles"]) == ["member", "reader"]  # delegated + implied, not extra
    assert tok["catalog"]
    token = r.headers["X-Subject-Token"]
    v = _validate(cloud, token)
    assert v.status_code == 200 and v.json()["token"]["OS-TRUST:trust"]["id"] == t["id"]
    # the trustee acts on the project with the delegated roles
    assert cloud.req("GET", f"/projects/{x['project']['id']}", token).status_code == 200

    # only the trustee may use the trust; a trust-scoped token cannot make other tokens
    other = cloud.make_user()
    assert _trust_token(cloud, other, t["id"]).status_code == 403
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": token}}}})
    assert r.status_code == 403
    assert _trust_token(cloud, x["trustee"], uuid.uuid4().hex).status_code == 401

    # deleting the trust revokes its tokens
    assert cloud.req("DELETE", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).status_code == 204
    assert _validate(cloud, token).status_code == 404
    assert _trust_token(cloud, x["trustee"], t["id"]).status_code == 401


def test_impersonation(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x, impersonation=True).json()["trust"]
    r = _trust_token(cloud, x["trustee"], t["id"])
    assert r.status_code == 201, r.text
    tok = r.json()["token"]
    assert tok["user"]["id"] == x["trustor"]["id"] and tok["user"]["name"] == x["trustor"]["name"]
    assert tok["OS-TRUST:trust"]["impersonation"] is True
    assert tok["OS-TRUST:trust"]["trustee_user"]["id"] == x["trustee"]["id"]
    # the impersonating token speaks as the trustor: it may read the trustor's user
    assert cloud.req("GET", f"/users/{x['trustor']['id']}", r.headers["X-Subject-Token"]).status_code == 200


def test_remaining_uses_and_expiry(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x, remaining_uses=1).json()["trust"]
    assert _trust_token(cloud, x["trustee"], t["id"]).status_code == 201
    assert _trust_token(cloud, x["trustee"], t["id"]).status_code == 401
    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).status_code == 404  # used up
    # a trust-scoped token does not outlive its trust
    exp = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    t = _trust(cloud, x, expires_at=exp.isoformat()).json()["trust"]
    tok = _trust_token(cloud, x["trustee"], t["id"]).json()["token"]
    assert dt.datetime.fromisoformat(tok["expires_at"].replace("Z", "+00:00")) <= exp + dt.timedelta(seconds=1)


def test_trustor_losing_a_role_invalidates(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x, roles=[{"id": x["extra"]["id"]}]).json()["trust"]
    r = _trust_token(cloud, x["trustee"], t["id"])
    assert r.status_code == 201, r.text
    token = r.headers["X-Subject-Token"]
    path = f"/projects/{x['project']['id']}/users/{x['trustor']['id']}/roles/{x['extra']['id']}"
    assert cloud.admin("DELETE", path).status_code == 204
    assert _validate(cloud, token).status_code == 404
    assert _trust_token(cloud, x["trustee"], t["id"]).status_code == 403


def test_deleting_the_trustee_deletes_the_trust(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x).json()["trust"]
    assert cloud.admin("DELETE", f"/users/{x['trustee']['id']}").status_code == 204
    assert cloud.admin("GET", f"/OS-TRUST/trusts/{t['id']}").status_code == 404


def test_redelegation(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x, allow_redelegation=True, roles=[{"name": "member"}, {"id": x["extra"]["id"]}]).json()["trust"]
    assert t["redelegation_count"] == 3
    trust_tok = _trust_token(cloud, x["trustee"], t["id"]).headers["X-Subject-Token"]
    third = cloud.make_user()
    body = {"trustor_user_id": x["trustee"]["id"], "trustee_user_id": third["id"],
            "project_id": x["project"]["id"], "impersonation": False, "roles": [{"name": "member"}]}
    r = cloud.req("POST", "/OS-TRUST/trusts", trust_tok, json={"trust": {**body, "allow_redelegation": True}})
    assert r.status_code == 201, r.text
    child = r.json()["trust"]
    assert child["redelegated_trust_id"] == t["id"] and child["redelegation_count"] == 2
    # the third user gets a token with the (root) trustor's delegated roles
    r = _trust_token(cloud, third, child["id"])
    assert r.status_code == 201, r.text
    assert sorted(ro["name"] for ro in r.json()["token"]["roles"]) == ["member", "reader"]
    # a redelegated trust may not widen the roles or turn impersonation on
    wider = {**body, "trustee_user_id": cloud.make_user()["id"], "roles": [{"name": "reader"}]}
    assert cloud.req("POST", "/OS-TRUST/trusts", trust_tok, json={"trust": wider}).status_code in (403, 404)
    imp = {**body, "trustee_user_id": cloud.make_user()["id"], "impersonation": True}
    assert cloud.req("POST", "/OS-TRUST/trusts", trust_tok, json={"trust": imp}).status_code == 403
    # deleting the parent deletes the redelegated trust
    assert cloud.req("DELETE", f"/OS-TRUST/trusts/{t['id']}", x["tok"]).status_code == 204
    assert cloud.admin("GET", f"/OS-TRUST/trusts/{child['id']}").status_code == 404


def test_no_redelegation_without_permission(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x).json()["trust"]
    trust_tok = _trust_token(cloud, x["trustee"], t["id"]).headers["X-Subject-Token"]
    body = {"trustor_user_id": x["trustee"]["id"], "trustee_user_id": cloud.make_user()["id"],
            "project_id": x["project"]["id"], "impersonation": False, "roles": [{"name": "member"}]}
    assert cloud.req("POST", "/OS-TRUST/trusts", trust_tok, json={"trust": body}).status_code == 403


def test_delegated_tokens_are_fenced(cloud: CloudFixture, parties: dict) -> None:
    x = parties
    t = _trust(cloud, x).json()["trust"]
    trust_tok = _trust_token(cloud, x["trustee"], t["id"]).headers["X-Subject-Token"]
    # a trust-scoped token may not create application credentials
    r = cloud.req("POST", f"/users/{x['trustee']['id']}/application_credentials", trust_tok,
                  json={"application_credential": {"name": "nope"}})
    assert r.status_code == 403
    # an application credential token may not touch trusts
    ac = cloud.req("POST", f"/users/{x['trustor']['id']}/application_credentials", x["tok"],
                   json={"application_credential": {"name": "ac-" + uuid.uuid4().hex[:6]}}).json()["application_credential"]
    ac_tok = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"], "application_credential": {"id": ac["id"], "secret": ac["secret"]}}}}
    ).headers["X-Subject-Token"]
    assert _trust(cloud, x, token=ac_tok, impersonation=True).status_code == 403
    assert cloud.req("GET", f"/OS-TRUST/trusts/{t['id']}", ac_tok).status_code == 403
