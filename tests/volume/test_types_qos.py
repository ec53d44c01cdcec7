"""Volume types (default, public/private, access, extra specs), encryption
(unsupported, said so), QoS specs and their associations."""

from __future__ import annotations

import uuid

from tests.volume.conftest import VolumeFixture


def test_default_type_exists(cinder: VolumeFixture) -> None:
    r = cinder.req("GET", "/types/default")
    assert r.status_code == 200 and r.json()["volume_type"]["name"] == "__DEFAULT__"
    names = [t["name"] for t in cinder.req("GET", "/types").json()["volume_types"]]
    assert "__DEFAULT__" in names
    tid = r.json()["volume_type"]["id"]
    assert cinder.req("DELETE", f"/types/{tid}").status_code == 400


def test_type_crud_extra_specs_and_access(cinder: VolumeFixture) -> None:
    token, pid, _ = cinder.member()
    name = "gold-" + uuid.uuid4().hex[:5]
    r = cinder.req("POST", "/types", json={"volume_type": {"name": name, "description": "fast",
                                                           "extra_specs": {"volume_backend_name": "file"},
                                                           "os-volume-type-access:is_public": False}})
    assert r.status_code == 200, r.text
    t = r.json()["volume_type"]
    assert t["is_public"] is False and t["extra_specs"] == {"volume_backend_name": "file"}
    assert cinder.req("POST", "/types", json={"volume_type": {"name": name}}).status_code == 409
    # private: invisible to the member until granted
    assert name not in [x["name"] for x in cinder.req("GET", "/types", token).json()["volume_types"]]
    assert cinder.req("GET", f"/types/{t['id']}", token).status_code == 404
    r = cinder.req("POST", f"/types/{t['id']}/action", json={"addProjectAccess": {"project": pid}})
    assert r.status_code == 202
    assert cinder.req("POST", f"/types/{t['id']}/action", json={"addProjectAccess": {"project": pid}}
                      ).status_code == 409
    r = cinder.req("GET", f"/types/{t['id']}/os-volume-type-access")
    assert r.json()["volume_type_access"] == [{"volume_type_id": t["id"], "project_id": pid}]
    assert name in [x["name"] for x in cinder.req("GET", "/types", token).json()["volume_types"]]
    v = cinder.volume(token, volume_type=name)
    assert v["volume_type"] == name
    # members may not manage types
    assert cinder.req("POST", "/types", token, json={"volume_type": {"name": "x"}}).status_code == 403
    # extra specs
    base = f"/types/{t['id']}/extra_specs"
    assert cinder.req("GET", base).json() == {"extra_specs": {"volume_backend_name": "file"}}
    assert cinder.req("GET", base + "/volume_backend_name").json() == {"volume_backend_name": "file"}
    assert cinder.req("GET", base + "/nope").status_code == 404
    # in use: extra specs are frozen, the type cannot go
    assert cinder.req("POST", base, json={"extra_specs": {"k": "v"}}).status_code == 400
    assert cinder.req("DELETE", f"/types/{t['id']}").status_code == 400
    cinder.req("DELETE", f"/volumes/{v['id']}", token)
    cinder.wait(f"/volumes/{v['id']}", "volume", "deleted", token)
    assert cinder.req("POST", base, json={"extra_specs": {"k": "v"}}).json() == {"extra_specs": {"k": "v"}}
    assert cinder.req("PUT", base + "/k", json={"k": "w"}).json() == {"k": "w"}
    assert cinder.req("PUT", base + "/k", json={"j": "w"}).status_code == 400
    assert cinder.req("DELETE", base + "/k").status_code == 202
    r = cinder.req("PUT", f"/types/{t['id']}", json={"volume_type": {"description": "faster"}})
    assert r.status_code == 200 and r.json()["volume_type"]["description"] == "faster"
    r = cinder.req("POST", f"/types/{t['id']}/action", json={"removeProjectAccess": {"project": pid}})
    assert r.status_code == 202
    assert cinder.req("DELETE", f"/types/{t['id']}").status_code == 202
    assert cinder.req("GET", f"/types/{t['id']}").status_code == 404


def test_encryption_is_honestly_unsupported(cinder: VolumeFixture) -> None:
    tid = cinder.req("GET", "/types/default").json()["volume_type"]["id"]
    assert cinder.req("GET", f"/types/{tid}/encryption").json() == {}
    r = cinder.req("POST", f"/types/{tid}/encryption", json={"encryption": {"provider": "luks"}})
    assert r.status_code == 501 and r.json()["notImplemented"]["code"] == 501


def test_qos_specs_and_associations(cinder: VolumeFixture) -> None:
    r = cinder.req("POST", "/qos-specs", json={"qos_specs": {"name": "q-" + uuid.uuid4().hex[:5],
                                                             "consumer": "front-end", "read_iops_sec": "100"}})
    assert r.status_code == 200, r.text
    q = r.json()["qos_specs"]
    assert q["specs"] == {"read_iops_sec": "100"} and q["consumer"] == "front-end"
    r = cinder.req("PUT", f"/qos-specs/{q['id']}", json={"qos_specs": {"write_iops_sec": "50"}})
    assert r.json() == {"qos_specs": {"write_iops_sec": "50"}}
    assert cinder.req("PUT", f"/qos-specs/{q['id']}/delete_keys", json={"keys": ["read_iops_sec"]}
                      ).status_code == 202
    assert cinder.req("GET", f"/qos-specs/{q['id']}").json()["qos_specs"]["specs"] == {"write_iops_sec": "50"}
    t = cinder.req("POST", "/types", json={"volume_type": {"name": "t-" + uuid.uuid4().hex[:5]}}).json()
    tid = t["volume_type"]["id"]
    assert cinder.req("GET", f"/qos-specs/{q['id']}/associate?vol_type_id={tid}").status_code == 202
    assert cinder.req("GET", f"/types/{tid}").json()["volume_type"]["qos_specs_id"] == q["id"]
    r = cinder.req("GET", f"/qos-specs/{q['id']}/associations")
    assert r.json()["qos_associations"] == [{"association_type": "volume_type", "name": t["volume_type"]["name"],
                                            "id": tid}]
    assert cinder.req("DELETE", f"/qos-specs/{q['id']}").status_code == 400
    assert cinder.req("GET", f"/qos-specs/{q['id']}/disassociate?vol_type_id={tid}").status_code == 202
    assert cinder.req("GET", f"/qos-specs/{q['id']}/associations").json()["qos_associations"] == []
    assert cinder.req("DELETE", f"/qos-specs/{q['id']}").status_code == 202
    assert cinder.req("GET", f"/qos-specs/{q['id']}").status_code == 404
    assert cinder.req("POST", "/qos-specs", json={"qos_specs": {"name": "x", "consumer": "nobody"}}
                      ).status_code == 400


def test_type_views_by_call(cinder: VolumeFixture) -> None:
    r = cinder.req("POST", "/types", json={"volume_type": {"name": "v-" + uuid.uuid4().hex[:5]}})
    created = r.json()["volume_type"]
    assert "qos_specs_id" not in created and created["os-volume-type-access:is_public"] is True
    r = cinder.req("PUT", f"/types/{created['id']}", json={"volume_type": {"description": "d"}})
    assert set(r.json()["volume_type"]) == {"id", "name", "description", "is_public", "extra_specs"}
    shown = cinder.req("GET", f"/types/{created['id']}").json()["volume_type"]
    assert shown["qos_specs_id"] is None and shown["os-volume-type-access:is_public"] is True
    token, _, _ = cinder.member()
    as_member = cinder.req("GET", f"/types/{created['id']}", token).json()["volume_type"]
    assert "qos_specs_id" not in as_member and as_member["extra_specs"] == {}


def test_unmet_extra_specs_put_the_volume_in_error_with_a_message(cinder: VolumeFixture) -> None:
    token, _, _ = cinder.member()
    name = "bogus-" + uuid.uuid4().hex[:5]
    r = cinder.req("POST", "/types", json={"volume_type": {"name": name, "extra_specs": {
        "storage_protocol": "carrier-pigeon", "vendor_name": "nobody"}}})
    tid = r.json()["volume_type"]["id"]
    v = cinder.volume(token, volume_type=tid)
    assert v["status"] == "error"
    r = cinder.req("GET", "/messages", token, version="3.3")
    msgs = [m for m in r.json()["messages"] if m.get("resource_uuid") == v["id"]]
    assert len(msgs) == 1
    m = msgs[0]
    assert m["event_id"] == "VOLUME_VOLUME_001_003" and m["message_level"] == "ERROR"
    assert m["user_message"].startswith("schedule allocate volume:") and m["request_id"].startswith("req-")
    assert cinder.req("GET", "/messages", token).status_code == 404  # 3.3 and later only
    assert cinder.req("GET", f"/messages/{m['id']}", token, version="3.3").status_code == 200
    other, _, _ = cinder.member()
    assert cinder.req("GET", f"/messages/{m['id']}", other, version="3.3").status_code == 404
    assert cinder.req("DELETE", f"/messages/{m['id']}", token, version="3.3").status_code == 204
    assert cinder.req("GET", f"/messages/{m['id']}", token, version="3.3").status_code == 404
    # specs the backend meets place the volume
    caps = cinder.req("GET", "/scheduler-stats/get_pools?detail=true").json()["pools"][0]["capabilities"]
    r = cinder.req("POST", "/types", json={"volume_type": {"name": "ok-" + uuid.uuid4().hex[:5], "extra_specs": {
        "storage_protocol": caps["storage_protocol"], "vendor_name": caps["vendor_name"],
        "thin_provisioning_support": "<is> True", "hw:cpu": "ignored-scope"}}})
    assert cinder.volume(volume_type=r.json()["volume_type"]["id"])["status"] == "available"
