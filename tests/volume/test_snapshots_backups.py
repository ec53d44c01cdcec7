"""Snapshots (+ metadata, listing) and backups (full, incremental, restore,
delete rules)."""

from __future__ import annotations

import uuid

from onestack.volume.drivers.base import CHUNK_SIZE
from tests.volume.conftest import VolumeFixture


def test_snapshot_crud_and_metadata(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": v["id"], "name": "s1",
                                                            "metadata": {"a": "1"}}})
    assert r.status_code == 202
    s = r.json()["snapshot"]
    assert s["status"] == "creating" and s["size"] == 1 and "os-extended-snapshot-attributes:progress" not in s
    got = cinder.wait(f"/snapshots/{s['id']}", "snapshot", "available")
    assert got["os-extended-snapshot-attributes:progress"] == "100%"
    assert got["os-extended-snapshot-attributes:project_id"] == cinder.admin_project
    r = cinder.req("PUT", f"/snapshots/{s['id']}", json={"snapshot": {"name": "s2", "description": "x"}})
    assert r.status_code == 200 and r.json()["snapshot"]["name"] == "s2"
    base = f"/snapshots/{s['id']}/metadata"
    assert cinder.req("GET", base).json() == {"metadata": {"a": "1"}}
    assert cinder.req("POST", base, json={"metadata": {"b": "2"}}).json() == {"metadata": {"a": "1", "b": "2"}}
    assert cinder.req("PUT", base, json={"metadata": {"c": "3"}}).json() == {"metadata": {"c": "3"}}
    assert cinder.req("PUT", base + "/c", json={"meta": {"c": "4"}}).json() == {"meta": {"c": "4"}}
    assert cinder.req("GET", base + "/c").json() == {"meta": {"c": "4"}}
    assert cinder.req("DELETE", base + "/c").status_code == 200
    assert cinder.req("GET", base + "/c").status_code == 404
    assert cinder.req("GET", "/snapshots/detail?volume_id=" + v["id"]).json()["snapshots"][0]["id"] == s["id"]
    assert cinder.req("GET", "/snapshots?name=s2").json()["snapshots"][0]["id"] == s["id"]
    # the volume is busy while it has snapshots
    assert cinder.req("DELETE", f"/volumes/{v['id']}").status_code == 400
    assert cinder.req("DELETE", f"/snapshots/{s['id']}").status_code == 202
    cinder.wait(f"/snapshots/{s['id']}", "snapshot", "deleted")
    assert cinder.req("DELETE", f"/volumes/{v['id']}").status_code == 202


def test_snapshot_errors(cinder: VolumeFixture) -> None:
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": str(uuid.uuid4())}})
    assert r.status_code == 404
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"name": "x"}})
    assert r.status_code == 400
    assert cinder.req("GET", f"/snapshots/{uuid.uuid4()}").status_code == 404
    v = cinder.volume()
    cinder.req("POST", f"/volumes/{v['id']}/action", json={"os-attach": {"instance_uuid": str(uuid.uuid4())}})
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": v["id"]}})
    assert r.status_code == 400
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": v["id"], "force": True}})
    assert r.status_code == 202
    r = cinder.req("POST", "/snapshots", json={"snapshot": {"volume_id": v["id"]}}, version="3.66")
    assert r.status_code == 202
    cinder.vm.wait_idle()


def test_snapshot_list_sort_limit_offset(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    tag = uuid.uuid4().hex[:5]
    ids = [cinder.snapshot(v["id"], name=f"{tag}{i}")["id"] for i in range(3)]
    r = cinder.req("GET", f"/snapshots?volume_id={v['id']}&sort_key=name&sort_dir=asc&limit=2")
    body = r.json()
    assert [s["id"] for s in body["snapshots"]] == ids[:2] and body["snapshots_links"][0]["rel"] == "next"
    r = cinder.req("GET", f"/snapshots?volume_id={v['id']}&sort=name:desc&offset=1")
    assert [s["id"] for s in r.json()["snapshots"]] == [ids[1], ids[0]]
    r = cinder.req("GET", f"/snapshots?volume_id={v['id']}&limit=0")
    assert r.json()["snapshots"] == []
    r = cinder.req("GET", f"/snapshots?volume_id={v['id']}&sort=name:asc&marker={ids[0]}")
    assert [s["id"] for s in r.json()["snapshots"]] == ids[1:]


def test_backup_full_incremental_restore(cinder: VolumeFixture) -> None:
    drv = cinder.vm.driver
    v = cinder.volume(size=1)
    drv.write_chunks(v["id"], [(0, b"A" * 4096), (CHUNK_SIZE * 3, b"B" * 512)])
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": v["id"], "name": "full"}})
    assert r.status_code == 202, r.text
    full = cinder.wait(f"/backups/{r.json()['backup']['id']}", "backup", ("available", "error"))
    assert full["status"] == "available" and full["object_count"] == 2 and full["is_incremental"] is False
    assert cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]["status"] == "available"
    drv.write_chunks(v["id"], [(CHUNK_SIZE * 3, b"C" * 512)])
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": v["id"], "incremental": True}})
    inc = cinder.wait(f"/backups/{r.json()['backup']['id']}", "backup", ("available", "error"))
    assert inc["is_incremental"] is True and inc["object_count"] == 1
    assert cinder.req("GET", f"/backups/{full['id']}").json()["backup"]["has_dependent_backups"] is True
    # the parent cannot go while the incremental needs it
    assert cinder.req("DELETE", f"/backups/{full['id']}").status_code == 400
    # restore the incremental to a new volume: both chunks come back
    r = cinder.req("POST", f"/backups/{inc['id']}/restore", json={"restore": {"name": "restored"}})
    assert r.status_code == 202, r.text
    new_id = r.json()["restore"]["volume_id"]
    got = cinder.wait(f"/volumes/{new_id}", "volume", ("available", "error"))
    assert got["status"] == "available" and got["name"] == "restored"
    chunks = dict(drv.read_chunks(new_id))
    assert chunks[0].startswith(b"A" * 4096) and chunks[CHUNK_SIZE * 3].startswith(b"C" * 512)
    # restore the full backup onto an existing volume: its later write is undone
    r = cinder.req("POST", f"/backups/{full['id']}/restore", json={"restore": {"volume_id": v["id"]}})
    assert r.status_code == 202
    cinder.wait(f"/volumes/{v['id']}", "volume", "available")
    assert dict(drv.read_chunks(v["id"]))[CHUNK_SIZE * 3].startswith(b"B" * 512)
    small = cinder.volume(size=1)
    assert small["status"] == "available"
    # delete in order: the incremental first
    assert cinder.req("DELETE", f"/backups/{inc['id']}").status_code == 202
    cinder.wait(f"/backups/{inc['id']}", "backup", "deleted")
    assert cinder.req("DELETE", f"/backups/{full['id']}").status_code == 202
    cinder.wait(f"/backups/{full['id']}", "backup", "deleted")


def test_backup_errors_and_listing(cinder: VolumeFixture) -> None:
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": str(uuid.uuid4())}})
    assert r.status_code == 404
    v = cinder.volume()
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": v["id"], "incremental": True}})
    assert r.status_code == 400
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": v["id"], "name": "b1"}})
    b = cinder.wait(f"/backups/{r.json()['backup']['id']}", "backup", "available")
    r = cinder.req("GET", "/backups/detail?volume_id=" + v["id"], version="3.56")
    item = r.json()["backups"][0]
    assert item["id"] == b["id"] and item["user_id"] and item["metadata"] == {}
    r = cinder.req("PUT", f"/backups/{b['id']}", json={"backup": {"name": "renamed"}}, version="3.9")
    assert r.status_code == 200 and r.json()["backup"]["name"] == "renamed"
    r = cinder.req("POST", f"/backups/{b['id']}/restore", json={"restore": {"volume_id": str(uuid.uuid4())}})
    assert r.status_code == 404
    assert cinder.req("GET", f"/backups/{uuid.uuid4()}").status_code == 404


def test_backups_go_to_the_object_store_when_it_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.volume.conftest import volume_cloud

    extra = {"services": {"enabled": ["identity", "image", "volume", "object_store"]}}
    for c in volume_cloud(tmp_path, extra):
        v = c.volume()
        c.vm.driver.write_chunks(v["id"], [(0, b"X" * 1024)])
        r = c.req("POST", "/backups", json={"backup": {"volume_id": v["id"]}})
        b = c.wait(f"/backups/{r.json()['backup']['id']}", "backup", ("available", "error"))
        assert b["status"] == "available", b
        assert b["container"] == "volumebackups" and b["object_count"] == 1
        listing = c.fx.client.get(f"/object-store/v1/AUTH_{c.admin_project}/volumebackups?format=json",
                                  headers={"X-Auth-Token": c.fx.admin_token})
        assert listing.status_code == 200, listing.text
        assert [o["name"] for o in listing.json()] == [f"{b['id']}/{0:016d}"]
        r = c.req("POST", f"/backups/{b['id']}/restore", json={"restore": {}})
        new = c.wait(f"/volumes/{r.json()['restore']['volume_id']}", "volume", ("available", "error"))
        assert new["status"] == "available"
        assert dict(c.vm.driver.read_chunks(new["id"]))[0].startswith(b"X" * 1024)
        c.req("DELETE", f"/backups/{b['id']}")
        c.wait(f"/backups/{b['id']}", "backup", "deleted")
        listing = c.fx.client.get(f"/object-store/v1/AUTH_{c.admin_project}/volumebackups?format=json",
                                  headers={"X-Auth-Token": c.fx.admin_token})
        assert listing.json() == []


def test_restore_brings_back_metadata_and_export_import(cinder: VolumeFixture) -> None:
    v = cinder.volume(metadata={"m1": "v1"})
    r = cinder.req("POST", "/backups", json={"backup": {"volume_id": v["id"], "name": "meta"}})
    b = cinder.wait(f"/backups/{r.json()['backup']['id']}", "backup", "available")
    r = cinder.req("POST", f"/backups/{b['id']}/restore", json={"restore": {}})
    restored = cinder.wait(f"/volumes/{r.json()['restore']['volume_id']}", "volume", "available")
    assert restored["metadata"]["m1"] == "v1"
    rec = cinder.req("GET", f"/backups/{b['id']}/export_record").json()["backup-record"]
    assert rec["backup_service"].startswith("cinder.backup.drivers.")
    token, _, _ = cinder.member()
    assert cinder.req("GET", f"/backups/{b['id']}/export_record", token).status_code == 404
    import base64
    import json

    data = json.loads(base64.b64decode(rec["backup_url"]))
    r = cinder.req("POST", "/backups/import_record", json={"backup-record": rec})
    assert r.status_code == 400  # the same id exists
    data["id"] = str(uuid.uuid4())
    url = base64.b64encode(json.dumps(data).encode()).decode()
    r = cinder.req("POST", "/backups/import_record", json={"backup-record": {
        "backup_service": rec["backup_service"], "backup_url": url}})
    assert r.status_code == 201 and r.json()["backup"]["id"] == data["id"]
    assert cinder.req("GET", f"/backups/{data['id']}").json()["backup"]["status"] == "available"
    r = cinder.req("POST", f"/backups/{data['id']}/restore", json={"restore": {}})
    assert cinder.wait(f"/volumes/{r.json()['restore']['volume_id']}", "volume", "available")
    r = cinder.req("POST", "/backups/import_record", json={"backup-record": {
        "backup_service": rec["backup_service"], "backup_url": "not base64!"}})
    assert r.status_code == 400
