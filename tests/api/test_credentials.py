"""/v3/credentials: blobs stored for a user (ec2, totp, ...): CRUD, filters, the ec2
rules, and that a user's credentials go with the user."""

from __future__ import annotations

import hashlib
import json
import uuid

from tests.conftest import CloudFixture


def _cred(cloud: CloudFixture, user_id: str, **extra) -> dict:
    body = {"blob": "secret-" + uuid.uuid4().hex, "type": "cert", "user_id": user_id, **extra}
    r = cloud.admin("POST", "/credentials", json={"credential": body})
    assert r.status_code == 201, r.text
    return r.json()["credential"]


def test_crud(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    c = _cred(cloud, u["id"], blob="hello")
    assert (c["user_id"], c["type"], c["blob"], c["project_id"]) == (u["id"], "cert", "hello", None)
    assert c["links"]["self"].endswith(f"/v3/credentials/{c['id']}")
    assert cloud.admin("GET", f"/credentials/{c['id']}").json()["credential"]["blob"] == "hello"
    r = cloud.admin("PATCH", f"/credentials/{c['id']}", json={"credential": {"blob": "bye"}})
    assert r.status_code == 200 and r.json()["credential"]["blob"] == "bye"
    assert cloud.admin("GET", f"/credentials/{c['id']}").json()["credential"]["blob"] == "bye"
    assert cloud.admin("DELETE", f"/credentials/{c['id']}").status_code == 204
    assert cloud.admin("GET", f"/credentials/{c['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/credentials/{c['id']}").status_code == 404
    assert cloud.admin("POST", "/credentials", json={"credential": {"type": "cert", "user_id": u["id"]}}).status_code == 400


def test_blob_is_encrypted_at_rest(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    marker = "plain-" + uuid.uuid4().hex
    c = _cred(cloud, u["id"], blob=marker)
    from onestack.identity.models import Credential

    with cloud.cloud.db.session() as s:
        stored = s.get(Credential, c["id"]).encrypted_blob
    assert marker not in stored


def test_filters(cloud: CloudFixture) -> None:
    u1, u2 = cloud.make_user(), cloud.make_user()
    a = _cred(cloud, u1["id"], type="totp")
    b = _cred(cloud, u1["id"])
    c = _cred(cloud, u2["id"])

    def ids(q: str) -> set[str]:
        return {x["id"] for x in cloud.admin("GET", f"/credentials?{q}").json()["credentials"]}

    assert ids(f"user_id={u1['id']}") == {a["id"], b["id"]}
    assert ids(f"user_id={u1['id']}&type=totp") == {a["id"]}
    assert c["id"] in ids("")


def test_ec2_credentials(cloud: CloudFixture) -> None:
    u, p = cloud.make_user(), cloud.make_project()
    access = uuid.uuid4().hex
    blob = json.dumps({"access": access, "secret": "s"})
    c = _cred(cloud, u["id"], type="ec2", blob=blob, project_id=p["id"])
    # upstream: the id of an ec2 credential is the sha256 of its access key
    assert c["id"] == hashlib.sha256(access.encode()).hexdigest()
    r = cloud.admin("POST", "/credentials", json={"credential": {"type": "ec2", "blob": blob, "user_id": u["id"], "project_id": p["id"]}})
    assert r.status_code == 409
    for bad in ("not json", json.dumps({"secret": "s"})):
        r = cloud.admin("POST", "/credentials", json={"credential": {"type": "ec2", "blob": bad, "user_id": u["id"], "project_id": p["id"]}})
        assert r.status_code == 400
    r = cloud.admin("POST", "/credentials", json={"credential": {"type": "ec2", "blob": json.dumps({"access": "x"}), "user_id": u["id"]}})
    assert r.status_code == 400


def test_owner_manages_own_credentials(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    r = cloud.req("POST", "/credentials", tok, json={"credential": {"blob": "b", "type": "totp", "user_id": u["id"]}})
    assert r.status_code == 201, r.text
    mine = r.json()["credential"]
    other = _cred(cloud, cloud.make_user()["id"])
    listed = {x["id"] for x in cloud.req("GET", "/credentials", tok).json()["credentials"]}
    assert mine["id"] in listed and other["id"] not in listed
    assert cloud.req("PATCH", f"/credentials/{mine['id']}", tok, json={"credential": {"blob": "c"}}).status_code == 200
    assert cloud.req("DELETE", f"/credentials/{mine['id']}", tok).status_code == 204


def test_credentials_go_with_their_user(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    c = _cred(cloud, u["id"])
    assert cloud.admin("DELETE", f"/users/{u['id']}").status_code == 204
    assert cloud.admin("GET", f"/credentials/{c['id']}").status_code == 404
    assert cloud.admin("GET", f"/credentials?user_id={u['id']}").json()["credentials"] == []


def test_credentials_go_with_their_project(cloud: CloudFixture) -> None:
    u, p = cloud.make_user(), cloud.make_project()
    c = _cred(cloud, u["id"], project_id=p["id"])
    keep = _cred(cloud, u["id"])
    assert cloud.admin("DELETE", f"/projects/{p['id']}").status_code == 204
    assert cloud.admin("GET", f"/credentials/{c['id']}").status_code == 404
    assert cloud.admin("GET", f"/credentials/{keep['id']}").status_code == 200
