"""/servers: create, list/detail with filters and paging, show, update, delete."""

from __future__ import annotations

import base64

from tests.compute.conftest import ComputeFixture


def test_create_show_delete(nova: ComputeFixture) -> None:
    tok, pid, uid = nova.member()
    r = nova.req("POST", "/servers", tok, "2.52", json={"server": {
        "name": "web", "imageRef": nova.image_id, "flavorRef": "42", "networks": "auto",
        "metadata": {"a": "b"}, "tags": ["x", "y"], "user_data": base64.b64encode(b"hi").decode(),
        "config_drive": True, "accessIPv4": "10.0.0.1"}})
    assert r.status_code == 202, r.text
    body = r.json()["server"]
    assert body["adminPass"] and body["links"][0]["rel"] == "self"
    assert r.headers["Location"].endswith(body["id"])
    srv = nova.wait(body["id"], "ACTIVE", tok)
    assert srv["tenant_id"] == pid and srv["user_id"] == uid
    assert srv["metadata"] == {"a": "b"} and srv["accessIPv4"] == "10.0.0.1"
    assert srv["OS-EXT-STS:power_state"] == 1 and srv["OS-SRV-USG:launched_at"]
    assert "OS-EXT-SRV-ATTR:host" not in srv  # admin only
    spec = nova.cm.workers[nova.cm.servers.get(_admin_ctx(nova), body["id"]).host].driver.spec_of(body["id"])
    assert spec.user_data == b"hi" and spec.config_drive_files
    assert spec.image_path is not None and spec.image_path.exists()
    t = nova.req("GET", f"/servers/{body['id']}", tok, "2.26").json()["server"]["tags"]
    assert t == ["x", "y"]
    assert nova.req("DELETE", f"/servers/{body['id']}", tok).status_code == 204
    nova.wait(body["id"], "DELETED", tok)


def _admin_ctx(nova: ComputeFixture) -> object:
    from onestack.core.context import RequestContext

    return RequestContext(user_id="x", project_id="x", roles=["admin"])


def test_bad_requests(nova: ComputeFixture) -> None:
    def create(srv: dict[str, object], version: str = "2.37") -> int:
        base = {"name": "x", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none"}
        return int(nova.req("POST", "/servers", None, version, json={"server": {**base, **srv}}).status_code)

    assert create({"flavorRef": "nope"}) == 400
    assert create({"imageRef": "00000000-0000-0000-0000-000000000000"}) == 400
    assert create({"networks": [{"uuid": "00000000-0000-0000-0000-000000000000"}]}) == 400
    assert create({"key_name": "missing"}) == 400
    assert create({"user_data": "not base64!"}) == 400
    assert create({"availability_zone": "mars"}) == 400
    assert create({"bogus": 1}) == 400
    assert create({"tags": ["a"]}, "2.37") == 400  # tags at create need 2.52
    assert create({"networks": "auto"}, "2.36") == 400  # string networks need 2.37
    r = nova.req("POST", "/servers", None, "2.37", json={"server": {"name": "x", "flavorRef": "42",
                                                                    "imageRef": nova.image_id}})
    assert r.status_code == 400  # networks required from 2.37
    assert nova.req("POST", "/servers", json={"nope": {}}).status_code == 400
    assert nova.req("POST", "/servers", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400


def test_tenant_isolation(nova: ComputeFixture) -> None:
    tok_a, pid_a, _ = nova.member()
    tok_b, _, _ = nova.member()
    sid = nova.boot(tok_a)["id"]
    assert nova.req("GET", f"/servers/{sid}", tok_b).status_code == 404
    assert nova.req("DELETE", f"/servers/{sid}", tok_b).status_code == 404
    assert nova.action(sid, {"os-stop": None}, tok_b).status_code == 404
    assert sid not in [s["id"] for s in nova.req("GET", "/servers", tok_b).json()["servers"]]
    assert nova.req("GET", "/servers?all_tenants=1", tok_b).status_code == 403
    everyone = nova.req("GET", "/servers/detail?all_tenants=1").json()["servers"]
    assert sid in [s["id"] for s in everyone]
    only_a = nova.req("GET", f"/servers?all_tenants=1&project_id={pid_a}").json()["servers"]
    assert [s["id"] for s in only_a] == [sid]


def test_list_filters_and_paging(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    ids = [nova.boot(tok, name=f"page-{i}", version="2.52", tags=["even" if i % 2 == 0 else "odd"])["id"]
           for i in range(5)]
    r = nova.req("GET", "/servers?limit=2", tok)
    page = r.json()
    assert len(page["servers"]) == 2
    nxt = page["servers_links"][0]["href"]
    assert "marker=" in nxt and "limit=2" in nxt
    seen = [s["id"] for s in page["servers"]]
    marker = seen[-1]
    while True:
        p = nova.req("GET", f"/servers?limit=2&marker={marker}", tok).json()
        seen += [s["id"] for s in p["servers"]]
        if "servers_links" not in p:
            break
        marker = p["servers"][-1]["id"]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    asc = [s["id"] for s in nova.req("GET", "/servers?sort_key=display_name&sort_dir=asc", tok).json()["servers"]]
    assert asc == ids
    assert nova.req("GET", "/servers?marker=nope", tok).status_code == 400
    assert len(nova.req("GET", "/servers?name=page-3", tok).json()["servers"]) == 1
    assert len(nova.req("GET", "/servers?status=ACTIVE", tok).json()["servers"]) == 5
    assert nova.req("GET", "/servers?status=SHUTOFF", tok).json()["servers"] == []
    assert nova.req("GET", "/servers?status=bogus", tok, "2.38").status_code == 400
    assert len(nova.req("GET", "/servers?tags=even", tok, "2.26").json()["servers"]) == 3
    assert len(nova.req("GET", "/servers?not-tags=even", tok, "2.26").json()["servers"]) == 2
    assert len(nova.req("GET", "/servers?tags-any=even,odd", tok, "2.26").json()["servers"]) == 5
    assert len(nova.req("GET", "/servers?flavor=42", tok).json()["servers"]) == 5
    assert len(nova.req("GET", f"/servers?image={nova.image_id}", tok).json()["servers"]) == 5
    assert nova.req("GET", "/servers?unknown=1", tok, "2.75").status_code == 400
    assert nova.req("GET", "/servers?unknown=1", tok, "2.74").status_code == 200
    detail = nova.req("GET", "/servers/detail?limit=1", tok, "2.73").json()
    assert detail["servers"][0]["locked_reason"] is None and "servers_links" in detail
    since = nova.req("GET", "/servers?changes-since=2000-01-01T00:00:00Z", tok).json()["servers"]
    assert len(since) == 5
    assert nova.req("GET", "/servers?changes-since=garbage", tok).status_code == 400


def test_update(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    r = nova.req("PUT", f"/servers/{sid}", tok, "2.19", json={"server": {"name": "renamed", "description": "d"}})
    assert r.status_code == 200, r.text
    s = r.json()["server"]
    assert s["name"] == "renamed" and s["description"] == "d"
    assert "OS-EXT-STS:vm_state" not in s  # before 2.75 PUT returns the short view
    s75 = nova.req("PUT", f"/servers/{sid}", tok, "2.75", json={"server": {"name": "r2"}}).json()["server"]
    assert s75["OS-EXT-STS:vm_state"] == "active"
    r = nova.req("PUT", f"/servers/{sid}", tok, "2.90", json={"server": {"hostname": "new-host"}})
    assert r.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "new-host"
    assert nova.req("PUT", f"/servers/{sid}", tok, "2.1", json={"server": {"description": "x"}}).status_code == 400


def test_multi_create_and_reservation(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    r = nova.req("POST", "/servers", tok, "2.37", json={"server": {
        "name": "multi", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none",
        "min_count": 3, "max_count": 3, "return_reservation_id": True}})
    assert r.status_code == 202
    rid = r.json()["reservation_id"]
    nova.drain()
    found = nova.req("GET", f"/servers/detail?reservation_id={rid}", tok).json()["servers"]
    assert sorted(s["name"] for s in found) == ["multi-1", "multi-2", "multi-3"]


def test_quota_exceeded_is_403(nova: ComputeFixture) -> None:
    tok, pid, _ = nova.member()
    r = nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"instances": 1}})
    assert r.status_code == 200, r.text
    nova.boot(tok, wait=None)
    r = nova.req("POST", "/servers", tok, "2.37", json={"server": {
        "name": "x", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none"}})
    assert r.status_code == 403 and "Quota exceeded for instances" in r.json()["forbidden"]["message"]


def test_no_valid_host_goes_to_error_with_fault(nova: ComputeFixture) -> None:
    tok, pid, _ = nova.member()
    nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"ram": -1, "cores": -1}})
    r = nova.admin("POST", "/flavors", json={"flavor": {"name": "huge", "ram": 10**7, "vcpus": 1, "disk": 1}})
    assert r.status_code == 200, r.text
    sid = nova.boot(tok, flavorRef=r.json()["flavor"]["id"], wait=None)["id"]
    srv = nova.wait(sid, "ERROR", tok)
    assert srv["fault"]["code"] == 500 and "No valid host" in srv["fault"]["message"]
    assert "details" not in srv["fault"]  # code 500 details are admin only
    assert "details" in nova.req("GET", f"/servers/{sid}").json()["server"]["fault"]
    assert nova.req("DELETE", f"/servers/{sid}", tok).status_code == 204
    assert nova.req("GET", f"/servers/{sid}", tok).status_code == 404


def test_driver_failure_is_error(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    for w in nova.cm.workers.values():
        w.driver.fail_next_spawn = "disk on fire"
    sid = nova.boot(tok, wait=None)["id"]
    srv = nova.wait(sid, "ERROR", tok)
    assert srv["fault"]["message"] == "disk on fire"
    for w in nova.cm.workers.values():
        w.driver.fail_next_spawn = None
