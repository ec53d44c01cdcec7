"""Who may do what (upstream's default policies): reader, member, another
project, admin; one project never sees another's resources."""

from __future__ import annotations

import uuid

import pytest

from tests.volume.conftest import VolumeFixture


@pytest.fixture(scope="module")
def owners(cinder: VolumeFixture) -> dict[str, object]:
    member, pid, _ = cinder.member()
    reader, _, _ = cinder.member(pid, role="reader")
    other, other_pid, _ = cinder.member()
    v = cinder.volume(member)
    snap = cinder.snapshot(v["id"], member)
    return {"member": member, "reader": reader, "other": other, "pid": pid, "other_pid": other_pid,
            "vol": v["id"], "snap": snap["id"]}


def test_reader_reads_but_does_not_write(cinder: VolumeFixture, owners: dict[str, str]) -> None:
    tok, vid = owners["reader"], owners["vol"]
    assert cinder.req("GET", f"/volumes/{vid}", tok).status_code == 200
    assert cinder.req("GET", "/volumes/detail", tok).json()["volumes"][0]["id"] == vid
    assert cinder.req("GET", f"/snapshots/{owners['snap']}", tok).status_code == 200
    for method, path, body in [
        ("POST", "/volumes", {"volume": {"size": 1}}),
        ("PUT", f"/volumes/{vid}", {"volume": {"name": "x"}}),
        ("DELETE", f"/volumes/{vid}", None),
        ("POST", f"/volumes/{vid}/action", {"os-extend": {"new_size": 5}}),
        ("POST", f"/volumes/{vid}/metadata", {"metadata": {"a": "b"}}),
        ("POST", "/snapshots", {"snapshot": {"volume_id": vid}}),
        ("DELETE", f"/snapshots/{owners['snap']}", None),
        ("POST", "/backups", {"backup": {"volume_id": vid}}),
        ("POST", "/os-volume-transfer", {"transfer": {"volume_id": vid}}),
    ]:
        r = cinder.req(method, path, tok, json=body)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["forbidden"]["code"] == 403


def test_other_project_sees_nothing(cinder: VolumeFixture, owners: dict[str, str]) -> None:
    tok, vid = owners["other"], owners["vol"]
    assert cinder.req("GET", f"/volumes/{vid}", tok).status_code == 404
    assert cinder.req("GET", "/volumes", tok).json()["volumes"] == []
    assert cinder.req("GET", "/volumes?all_tenants=1", tok).json()["volumes"] == []
    assert cinder.req("GET", f"/snapshots/{owners['snap']}", tok).status_code == 404
    assert cinder.req("GET", "/snapshots?all_tenants=true", tok).json()["snapshots"] == []
    for method, path, body in [
        ("PUT", f"/volumes/{vid}", {"volume": {"name": "x"}}),
        ("DELETE", f"/volumes/{vid}", None),
        ("POST", f"/volumes/{vid}/action", {"os-set_bootable": {"bootable": True}}),
        ("GET", f"/volumes/{vid}/metadata", None),
        ("POST", "/snapshots", {"snapshot": {"volume_id": vid}}),
        ("POST", "/backups", {"backup": {"volume_id": vid}}),
        ("POST", "/volumes", {"volume": {"source_volid": vid}}),
        ("POST", "/volumes", {"volume": {"snapshot_id": owners["snap"]}}),
    ]:
        r = cinder.req(method, path, tok, json=body)
        assert r.status_code == 404, (method, path, r.text)
    r = cinder.req("POST", "/attachments", tok, version="3.27",
                   json={"attachment": {"volume_uuid": vid, "instance_uuid": str(uuid.uuid4())}})
    assert r.status_code == 404
    # quotas of another project: not for members
    assert cinder.req("GET", f"/os-quota-sets/{owners['pid']}", tok).status_code == 403


def test_member_limits_and_admin_powers(cinder: VolumeFixture, owners: dict[str, str]) -> None:
    tok, vid = owners["member"], owners["vol"]
    v = cinder.req("GET", f"/volumes/{vid}", tok).json()["volume"]
    assert "os-vol-host-attr:host" not in v and "migration_status" not in v
    assert v["os-vol-tenant-attr:tenant_id"] == owners["pid"]
    for method, path, body in [
        ("POST", f"/volumes/{vid}/action", {"os-reset_status": {"status": "error"}}),
        ("POST", f"/volumes/{vid}/action", {"os-force_delete": {}}),
        ("POST", "/types", {"volume_type": {"name": "nope"}}),
        ("POST", "/qos-specs", {"qos_specs": {"name": "nope"}}),
        ("GET", "/qos-specs", None),
        ("GET", "/os-services", None),
        ("GET", "/scheduler-stats/get_pools", None),
        ("PUT", f"/os-quota-sets/{owners['pid']}", {"quota_set": {"volumes": 100}}),
    ]:
        r = cinder.req(method, path, tok, json=body)
        assert r.status_code == 403, (method, path, r.text)
    # the admin sees every project's volumes with all_tenants, and the extra attributes
    admin = cinder.req("GET", f"/volumes/detail?all_tenants=1&project_id={owners['pid']}").json()["volumes"]
    assert [x["id"] for x in admin] == [vid] and "os-vol-host-attr:host" in admin[0]
    assert vid not in [x["id"] for x in cinder.req("GET", "/volumes").json()["volumes"]]
    assert cinder.req("GET", f"/volumes/{vid}").status_code == 200


def test_no_token_is_401(cinder: VolumeFixture) -> None:
    r = cinder.fx.client.get("/volume/v3/volumes")
    assert r.status_code == 401 and r.json()["unauthorized"]["code"] == 401


def test_unscoped_and_domain_tokens_cannot_create(cinder: VolumeFixture) -> None:
    dom = cinder.fx.make_domain()
    _, tok = cinder.fx.persona("member", domain_id=dom["id"])
    r = cinder.req("POST", "/volumes", tok, json={"volume": {"size": 1}})
    assert r.status_code == 403, r.text
    assert cinder.req("GET", "/volumes", tok).status_code == 403
