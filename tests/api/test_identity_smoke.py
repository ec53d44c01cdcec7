"""The path every client takes first: discovery, token issue, validate, revoke."""

from tests.conftest import CloudFixture


def test_version_discovery(cloud: CloudFixture) -> None:
    r = cloud.client.get("/identity")
    assert r.status_code == 300
    values = r.json()["versions"]["values"]
    assert values[0]["id"].startswith("v3")
    r = cloud.client.get("/identity/v3")
    assert r.status_code == 200
    assert r.json()["version"]["links"][0]["href"] == "http://testserver/identity/v3/"


def test_issue_validate_revoke(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    r = cloud.req("GET", "/auth/tokens", tok, headers={"X-Subject-Token": tok})
    assert r.status_code == 200
    body = r.json()["token"]
    assert body["project"]["id"] == p["id"]
    assert {x["name"] for x in body["roles"]} == {"member", "reader"}
    assert any(s["type"] == "identity" for s in body["catalog"])
    assert r.headers["X-Subject-Token"] == tok
    r = cloud.admin("DELETE", "/auth/tokens", headers={"X-Subject-Token": tok})
    assert r.status_code == 204
    r = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": tok})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == 404


def test_errors_are_keystone_shaped(cloud: CloudFixture) -> None:
    r = cloud.admin("POST", "/projects", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["title"] == "Bad Request"
    r = cloud.admin("POST", "/projects", json={"project": {"name": 5}})
    assert r.status_code == 400
    r = cloud.admin("GET", "/projects/nope")
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
    r = cloud.req("GET", "/projects", "bogus-token")
    assert r.status_code == 401
    p = cloud.make_project()
    r = cloud.admin("POST", "/projects", json={"project": {"name": p["name"]}})
    assert r.status_code == 409
