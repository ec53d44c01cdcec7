"""Transfers between projects, quota sets, limits, zones, services, pools,
extensions."""

from __future__ import annotations

import uuid

from tests.volume.conftest import VolumeFixture


def test_transfer_between_projects(cinder: VolumeFixture) -> None:
    tok_a, pid_a, _ = cinder.member()
    tok_b, pid_b, _ = cinder.member()
    v = cinder.volume(tok_a)
    snap = cinder.snapshot(v["id"], tok_a)
    r = cinder.req("POST", "/os-volume-transfer", tok_a, json={"transfer": {"volume_id": v["id"], "name": "t"}})
    assert r.status_code == 202, r.text
    t = r.json()["transfer"]
    assert t["auth_key"] and t["volume_id"] == v["id"]
    assert cinder.req("GET", f"/volumes/{v['id']}", tok_a).json()["volume"]["status"] == "awaiting-transfer"
    # the other project cannot see the offer, but can accept it with the key
    assert cinder.req("GET", f"/os-volume-transfer/{t['id']}", tok_b).status_code == 404
    assert [x["id"] for x in cinder.req("GET", "/os-volume-transfer", tok_a).json()["transfers"]] == [t["id"]]
    r = cinder.req("POST", f"/os-volume-transfer/{t['id']}/accept", tok_b, json={"accept": {"auth_key": "wrong"}})
    assert r.status_code == 400
    r = cinder.req("POST", f"/os-volume-transfer/{t['id']}/accept", tok_b,
                   json={"accept": {"auth_key": t["auth_key"]}})
    assert r.status_code == 202, r.text
    assert cinder.req("GET", f"/volumes/{v['id']}", tok_a).status_code == 404
    got = cinder.req("GET", f"/volumes/{v['id']}", tok_b).json()["volume"]
    assert got["status"] == "available"
    assert cinder.req("GET", f"/snapshots/{snap['id']}", tok_b).status_code == 200
    assert cinder.req("GET", f"/os-volume-transfer/{t['id']}", tok_a).status_code == 404


def test_transfer_delete_restores_volume(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    r = cinder.req("POST", "/volume-transfers", version="3.55",
                   json={"transfer": {"volume_id": v["id"], "no_snapshots": True}})
    assert r.status_code == 202 and r.json()["transfer"]["no_snapshots"] is True
    tid = r.json()["transfer"]["id"]
    assert cinder.req("DELETE", f"/volumes/{v['id']}").status_code == 400
    assert cinder.req("DELETE", f"/volume-transfers/{tid}", version="3.55").status_code == 202
    assert cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]["status"] == "available"
    r = cinder.req("POST", "/os-volume-transfer", json={"transfer": {"volume_id": str(uuid.uuid4())}})
    assert r.status_code == 404


def test_quota_sets(cinder: VolumeFixture) -> None:
    token, pid, _ = cinder.member()
    r = cinder.req("GET", f"/os-quota-sets/{pid}", token)
    q = r.json()["quota_set"]
    assert q["id"] == pid and q["volumes"] == 10 and q["gigabytes"] == 1000 and "volumes___DEFAULT__" in q
    assert cinder.req("GET", f"/os-quota-sets/{pid}/defaults", token).json()["quota_set"]["snapshots"] == 10
    assert cinder.req("PUT", f"/os-quota-sets/{pid}", token, json={"quota_set": {"volumes": 1}}).status_code == 403
    r = cinder.req("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": 3, "bogus": 1}})
    assert r.status_code == 400
    r = cinder.req("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": "x"}})
    assert r.status_code == 400
    r = cinder.req("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": 3}})
    assert r.json()["quota_set"]["volumes"] == 3
    assert cinder.req("DELETE", f"/os-quota-sets/{pid}").status_code == 200
    assert cinder.req("GET", f"/os-quota-sets/{pid}", token).json()["quota_set"]["volumes"] == 10
    r = cinder.req("GET", "/os-quota-class-sets/default")
    assert r.status_code == 200 and r.json()["quota_class_set"]["backups"] == 10


def test_zones_services_pools_extensions(cinder: VolumeFixture) -> None:
    token, _, _ = cinder.member()
    r = cinder.req("GET", "/os-availability-zone", token)
    assert r.json() == {"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True}}]}
    assert cinder.req("GET", "/os-services", token).status_code == 403
    svcs = cinder.req("GET", "/os-services").json()["services"]
    assert {s["binary"] for s in svcs} == {"cinder-scheduler", "cinder-volume", "cinder-backup"}
    vol_svc = next(s for s in svcs if s["binary"] == "cinder-volume")
    r = cinder.req("PUT", "/os-services/disable-log-reason", json={
        "binary": "cinder-volume", "host": vol_svc["host"], "disabled_reason": "maintenance"})
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    again = cinder.req("GET", "/os-services?binary=cinder-volume").json()["services"][0]
    assert again["status"] == "disabled" and again["disabled_reason"] == "maintenance"
    cinder.req("PUT", "/os-services/enable", json={"binary": "cinder-volume", "host": vol_svc["host"]})
    assert cinder.req("PUT", "/os-services/enable", json={"binary": "nope", "host": "x"}).status_code == 404
    assert cinder.req("GET", "/scheduler-stats/get_pools", token).status_code == 403
    pools = cinder.req("GET", "/scheduler-stats/get_pools?detail=true").json()["pools"]
    cap = pools[0]["capabilities"]
    assert cap["total_capacity_gb"] >= cap["free_capacity_gb"] > 0 and cap["volume_backend_name"]
    assert cinder.req("GET", "/scheduler-stats/get_pools").json()["pools"] == [{"name": pools[0]["name"]}]
    names = {e["name"] for e in cinder.req("GET", "/extensions", token).json()["extensions"]}
    assert {"Hosts", "Backups", "VolumeActions"} <= names


def test_hosts_and_service_filters(cinder: VolumeFixture) -> None:
    cinder.volume()
    hosts = cinder.req("GET", "/os-hosts").json()["hosts"]
    vol_host = next(h["host_name"] for h in hosts if h["service"] == "cinder-volume")
    detail = cinder.req("GET", f"/os-hosts/{vol_host}").json()["host"]
    assert detail[0]["resource"]["project"] == "(total)" and int(detail[0]["resource"]["volume_count"]) >= 1
    assert cinder.req("GET", "/os-hosts/nowhere").status_code == 404
    short = vol_host.split("@")[0]
    by_host = cinder.req("GET", f"/os-services?host={short}&binary=cinder-volume").json()["services"]
    assert [s["host"] for s in by_host] == [vol_host]
    assert cinder.req("PUT", "/os-services/freeze", json={"host": "invalid_host"}).status_code == 400
    r = cinder.req("PUT", "/os-services/disable-log-reason", json={"binary": "cinder-volume", "host": vol_host})
    assert r.status_code == 400
    r = cinder.req("PUT", "/os-services/enable", json={"binary": "cinder-volume", "host": vol_host})
    assert r.json() == {"binary": "cinder-volume", "host": vol_host, "service": "cinder-volume",
                        "status": "enabled", "disabled": False, "disabled_reason": None}


def test_quota_delete_has_no_body_and_snapshot_status_update(cinder: VolumeFixture) -> None:
    _, pid, _ = cinder.member()
    r = cinder.req("DELETE", f"/os-quota-sets/{pid}")
    assert r.status_code == 200 and r.content == b""
    v = cinder.volume()
    snap = cinder.snapshot(v["id"])
    act = f"/snapshots/{snap['id']}/action"
    r = cinder.req("POST", act, json={"os-update_snapshot_status": {"status": "error"}})
    assert r.status_code == 400  # available -> error is not a backend's report
    cinder.req("POST", act, json={"os-reset_status": {"status": "creating"}})
    r = cinder.req("POST", act, json={"os-update_snapshot_status": {"status": "available", "progress": "90%"}})
    assert r.status_code == 202
    got = cinder.req("GET", f"/snapshots/{snap['id']}").json()["snapshot"]
    assert got["status"] == "available" and got["os-extended-snapshot-attributes:progress"] == "90%"
