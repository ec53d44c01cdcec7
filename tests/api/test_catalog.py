"""Regions, services and endpoints, and the catalog tokens and /v3/auth/catalog carry."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _service(cloud: CloudFixture, **extra) -> dict:
    body = {"type": "t-" + uuid.uuid4().hex[:8], "name": "svc", **extra}
    r = cloud.admin("POST", "/services", json={"service": body})
    assert r.status_code == 201, r.text
    return r.json()["service"]


def _endpoint(cloud: CloudFixture, service_id: str, **extra) -> dict:
    body = {"service_id": service_id, "interface": "public", "url": "http://example.org/x", **extra}
    r = cloud.admin("POST", "/endpoints", json={"endpoint": body})
    assert r.status_code == 201, r.text
    return r.json()["endpoint"]


def test_regions(cloud: CloudFixture) -> None:
    r = cloud.admin("POST", "/regions", json={"region": {"description": "generated id"}})
    assert r.status_code == 201, r.text
    gen = r.json()["region"]
    assert gen["id"] and gen["description"] == "generated id" and gen["parent_region_id"] is None

    rid = "r-" + uuid.uuid4().hex[:6]
    r = cloud.admin("PUT", f"/regions/{rid}", json={"region": {"description": "by put"}})
    assert r.status_code == 201, r.text
    assert r.json()["region"]["id"] == rid
    assert cloud.admin("PUT", f"/regions/{rid}", json={"region": {}}).status_code == 409
    assert cloud.admin("POST", "/regions", json={"region": {"id": rid}}).status_code == 409

    child = cloud.admin("POST", "/regions", json={"region": {"id": rid + "-c", "parent_region_id": rid}}).json()["region"]
    assert child["parent_region_id"] == rid
    assert [x["id"] for x in cloud.admin("GET", f"/regions?parent_region_id={rid}").json()["regions"]] == [child["id"]]
    assert rid in {x["id"] for x in cloud.admin("GET", "/regions").json()["regions"]}
    assert cloud.admin("GET", f"/regions/{rid}").json()["region"]["description"] == "by put"

    r = cloud.admin("PATCH", f"/regions/{rid}", json={"region": {"description": "changed"}})
    assert r.status_code == 200 and r.json()["region"]["description"] == "changed"
    # no cycles, no unknown parents
    assert cloud.admin("PATCH", f"/regions/{rid}", json={"region": {"parent_region_id": child["id"]}}).status_code == 400
    assert cloud.admin("POST", "/regions", json={"region": {"parent_region_id": uuid.uuid4().hex}}).status_code == 404
    # a null description is stored as empty (upstream)
    r = cloud.admin("POST", "/regions", json={"region": {"description": None}})
    assert r.status_code == 201 and r.json()["region"]["description"] == ""
    r = cloud.admin("PATCH", f"/regions/{gen['id']}", json={"region": {"description": None}})
    assert r.status_code == 200 and r.json()["region"]["description"] == ""

    # deleting a parent deletes its children (upstream), unless an endpoint is in the tree
    svc = _service(cloud)
    ep = _endpoint(cloud, svc["id"], region_id=child["id"])
    assert cloud.admin("DELETE", f"/regions/{rid}").status_code == 403
    assert cloud.admin("DELETE", f"/endpoints/{ep['id']}").status_code == 204
    assert cloud.admin("DELETE", f"/regions/{rid}").status_code == 204
    assert cloud.admin("GET", f"/regions/{rid}").status_code == 404
    assert cloud.admin("GET", f"/regions/{child['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/regions/{rid}").status_code == 404


def test_services(cloud: CloudFixture) -> None:
    s = _service(cloud, description="about", enabled=True)
    assert s["name"] == "svc" and s["description"] == "about" and s["enabled"] is True
    assert s["links"]["self"].endswith(f"/v3/services/{s['id']}")
    assert cloud.admin("GET", f"/services/{s['id']}").json()["service"]["type"] == s["type"]
    assert [x["id"] for x in cloud.admin("GET", f"/services?type={s['type']}").json()["services"]] == [s["id"]]
    r = cloud.admin("PATCH", f"/services/{s['id']}", json={"service": {"name": "renamed", "enabled": False}})
    assert r.status_code == 200 and r.json()["service"]["name"] == "renamed" and r.json()["service"]["enabled"] is False
    assert s["id"] in {x["id"] for x in cloud.admin("GET", "/services?name=renamed").json()["services"]}
    assert cloud.admin("POST", "/services", json={"service": {"name": "no type"}}).status_code == 400
    assert cloud.admin("DELETE", f"/services/{s['id']}").status_code == 204
    assert cloud.admin("GET", f"/services/{s['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/services/{s['id']}").status_code == 404


def test_endpoints(cloud: CloudFixture) -> None:
    s = _service(cloud)
    region = cloud.admin("POST", "/regions", json={"region": {}}).json()["region"]["id"]
    e = _endpoint(cloud, s["id"], region_id=region, interface="internal")
    assert (e["service_id"], e["interface"], e["region_id"], e["enabled"]) == (s["id"], "internal", region, True)
    assert cloud.admin("GET", f"/endpoints/{e['id']}").json()["endpoint"]["url"] == "http://example.org/x"
    pub = _endpoint(cloud, s["id"])

    def ids(q: str) -> set[str]:
        return {x["id"] for x in cloud.admin("GET", f"/endpoints?{q}").json()["endpoints"]}

    assert ids(f"service_id={s['id']}") == {e["id"], pub["id"]}
    assert ids(f"service_id={s['id']}&interface=internal") == {e["id"]}
    assert ids(f"region_id={region}") == {e["id"]}

    r = cloud.admin("PATCH", f"/endpoints/{e['id']}", json={"endpoint": {"url": "https://example.org/y"}})
    assert r.status_code == 200 and r.json()["endpoint"]["url"] == "https://example.org/y"
    # validation: interface, url, unknown service or region
    for bad in ({"interface": "sideways"}, {"url": "not a url"}, {"service_id": uuid.uuid4().hex},
                {"region_id": uuid.uuid4().hex}):
        body = {"service_id": s["id"], "interface": "public", "url": "http://x/", **bad}
        assert cloud.admin("POST", "/endpoints", json={"endpoint": body}).status_code == 400, bad
    assert cloud.admin("DELETE", f"/endpoints/{e['id']}").status_code == 204
    assert cloud.admin("GET", f"/endpoints/{e['id']}").status_code == 404
    # deleting a service takes its endpoints with it
    cloud.admin("DELETE", f"/services/{s['id']}")
    assert cloud.admin("GET", f"/endpoints/{pub['id']}").status_code == 404


def test_catalog_in_tokens_and_auth_catalog(cloud: CloudFixture) -> None:
    s = _service(cloud, name="mine")
    _endpoint(cloud, s["id"], url="http://example.org/v1/$(project_id)s")
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])

    def entry(catalog: list) -> dict | None:
        return next((c for c in catalog if c["type"] == s["type"]), None)

    r = cloud.req("GET", "/auth/catalog", tok)
    assert r.status_code == 200, r.text
    got = entry(r.json()["catalog"])
    assert got is not None and got["name"] == "mine"
    assert got["endpoints"][0]["url"] == f"http://example.org/v1/{p['id']}"
    assert got["endpoints"][0]["interface"] == "public"
    identity = next(c for c in r.json()["catalog"] if c["type"] == "identity")
    assert identity["endpoints"][0]["url"] == "http://testserver/identity/v3"

    body = cloud.req("GET", "/auth/tokens", tok, headers={"X-Subject-Token": tok}).json()["token"]
    assert entry(body["catalog"])["endpoints"][0]["url"].endswith(p["id"])

    # a disabled service leaves the catalog
    cloud.admin("PATCH", f"/services/{s['id']}", json={"service": {"enabled": False}})
    assert entry(cloud.req("GET", "/auth/catalog", tok).json()["catalog"]) is None


def test_auth_catalog_needs_a_project_token(cloud: CloudFixture) -> None:
    u = cloud.make_user()
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}}})
    unscoped = r.headers["X-Subject-Token"]
    assert cloud.req("GET", "/auth/catalog", unscoped).status_code == 403
    d = cloud.make_domain()
    _, dtok = cloud.persona("reader", domain_id=d["id"])
    assert cloud.req("GET", "/auth/catalog", dtok).status_code == 403
    assert cloud.req("GET", "/auth/catalog").status_code == 401


def test_endpoint_group_project_association_head(cloud: CloudFixture) -> None:
    ep_filter = "/OS-EP-FILTER"
    s = _service(cloud)
    g = cloud.admin("POST", f"{ep_filter}/endpoint_groups", json={"endpoint_group": {
        "name": "g-" + uuid.uuid4().hex[:6], "filters": {"service_id": s["id"]}}}).json()["endpoint_group"]
    p = cloud.make_project()
    path = f"{ep_filter}/endpoint_groups/{g['id']}/projects/{p['id']}"
    assert cloud.admin("HEAD", path).status_code == 404
    assert cloud.admin("PUT", path).status_code == 204
    r = cloud.admin("HEAD", path)
    assert r.status_code == 200 and r.content == b""
