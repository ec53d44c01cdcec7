"""Nova's side of block storage with the fake compute and fake volume drivers:
os-volume_attachments (per microversion), volumes_attached in server views,
server delete releasing (or deleting) volumes, and boot from volume
(block_device_mapping_v2).  Volumes are made through the Cinder API, as a user
would."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.compute.conftest import ComputeFixture, make_image
from tests.conftest import make_cloud

SERVICES = ["identity", "image", "compute", "volume"]


@pytest.fixture(scope="module")
def nv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComputeFixture]:
    gen = make_cloud(tmp_path_factory.mktemp("nova-volumes"),
                     extra={"services": {"enabled": SERVICES}, "volume": {"driver": "fake"}})
    fx = next(gen)
    try:
        yield ComputeFixture(fx=fx, image_id=make_image(fx, data=b"\1" * 8192))
    finally:
        for _ in gen:
            pass


def project_of(nv: ComputeFixture, token: str) -> str:
    r = nv.fx.client.get("/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return str(r.json()["token"]["project"]["id"])


def cinder(nv: ComputeFixture, method: str, path: str, token: str | None = None, version: str = "3.60",
           **kw: Any) -> Any:
    token = token or nv.fx.admin_token
    return nv.fx.client.request(method, f"/volume/v3/{project_of(nv, token)}{path}",
                                headers={"X-Auth-Token": token, "OpenStack-API-Version": f"volume {version}"}, **kw)


def volume(nv: ComputeFixture, vid: str, token: str | None = None) -> dict[str, Any] | None:
    r = cinder(nv, "GET", f"/volumes/{vid}", token)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()["volume"]  # type: ignore[no-any-return]


def wait_volume(nv: ComputeFixture, vid: str, status: str, token: str | None = None) -> dict[str, Any] | None:
    deadline = time.monotonic() + 10
    while True:
        nv.drain()
        v = volume(nv, vid, token)
        if (v is None and status == "deleted") or (v is not None and v["status"] == status):
            return v
        assert time.monotonic() < deadline, f"volume {vid} is {v and v['status']}, wanted {status}"
        time.sleep(0.02)


def make_volume(nv: ComputeFixture, token: str | None = None, size: int = 1, **extra: Any) -> str:
    r = cinder(nv, "POST", "/volumes", token, json={"volume": {"size": size, **extra}})
    assert r.status_code == 202, r.text
    vid = str(r.json()["volume"]["id"])
    wait_volume(nv, vid, "available", token)
    return vid


def attach(nv: ComputeFixture, sid: str, vid: str, token: str | None = None, version: str = "2.1",
           **extra: Any) -> Any:
    return nv.req("POST", f"/servers/{sid}/os-volume_attachments", token, version,
                  json={"volumeAttachment": {"volumeId": vid, **extra}})


def fake_driver_volumes(nv: ComputeFixture, sid: str) -> list[Any]:
    for w in nv.cm.workers.values():
        if sid in w.driver.list_instances():
            return list(w.driver.spec_of(sid).block_devices)
    raise AssertionError(f"no fake host has {sid}")


def test_attach_list_show_detach(nv: ComputeFixture) -> None:
    sid = nv.boot()["id"]
    vid = make_volume(nv)
    r = attach(nv, sid, vid)
    assert r.status_code == 200, r.text
    assert r.json() == {"volumeAttachment": {"id": vid, "serverId": sid, "volumeId": vid, "device": "/dev/vdb"}}
    v = wait_volume(nv, vid, "in-use")
    assert v is not None and v["attachments"][0]["server_id"] == sid
    assert [b.volume_id for b in fake_driver_volumes(nv, sid)] == [vid]
    assert fake_driver_volumes(nv, sid)[0].serial == vid[:20]

    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments")
    assert r.json() == {"volumeAttachments": [{"id": vid, "serverId": sid, "volumeId": vid,
                                               "device": "/dev/vdb"}]}
    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments", version="2.79")
    assert r.json()["volumeAttachments"][0] == {"id": vid, "serverId": sid, "volumeId": vid,
                                                "device": "/dev/vdb", "tag": None,
                                                "delete_on_termination": False}
    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments/{vid}", version="2.89")
    att = r.json()["volumeAttachment"]
    assert "id" not in att and att["volumeId"] == vid and uuid.UUID(att["attachment_id"])
    assert uuid.UUID(att["bdm_uuid"]) and att["attachment_id"] == v["attachments"][0]["attachment_id"]

    srv = nv.req("GET", f"/servers/{sid}").json()["server"]
    assert srv["os-extended-volumes:volumes_attached"] == [{"id": vid}]
    srv = nv.req("GET", f"/servers/{sid}", version="2.3").json()["server"]
    assert srv["os-extended-volumes:volumes_attached"] == [{"id": vid, "delete_on_termination": False}]
    detail = nv.req("GET", "/servers/detail", version="2.3").json()["servers"]
    assert next(s for s in detail if s["id"] == sid)["os-extended-volumes:volumes_attached"][0]["id"] == vid

    # 2.85: delete_on_termination may change; nothing else
    r = nv.req("PUT", f"/servers/{sid}/os-volume_attachments/{vid}", version="2.85",
               json={"volumeAttachment": {"volumeId": vid, "delete_on_termination": True}})
    assert r.status_code == 202, r.text
    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments/{vid}", version="2.85")
    assert r.json()["volumeAttachment"]["delete_on_termination"] is True
    r = nv.req("PUT", f"/servers/{sid}/os-volume_attachments/{vid}", version="2.85",
               json={"volumeAttachment": {"volumeId": vid, "device": "/dev/vdz"}})
    assert r.status_code == 400 and "not mutable" in r.json()["badRequest"]["message"]

    r = nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}")
    assert r.status_code == 202, r.text
    wait_volume(nv, vid, "available")
    assert nv.req("GET", f"/servers/{sid}/os-volume_attachments").json() == {"volumeAttachments": []}
    assert fake_driver_volumes(nv, sid) == []
    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments/{vid}")
    assert r.status_code == 404 and "is not attached to volume" in r.json()["itemNotFound"]["message"]
    actions = [a["action"] for a in nv.req("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]]
    assert "attach_volume" in actions and "detach_volume" in actions


def test_cinder_shows_the_device_nova_attached(nv: ComputeFixture) -> None:
    sid = nv.boot()["id"]
    vids = [make_volume(nv), make_volume(nv)]
    for vid in vids:
        assert attach(nv, sid, vid).status_code == 200
    devices = []
    for vid in vids:
        nova = nv.req("GET", f"/servers/{sid}/os-volume_attachments/{vid}").json()["volumeAttachment"]
        v = wait_volume(nv, vid, "in-use")
        assert v is not None
        (att,) = v["attachments"]
        assert att["server_id"] == sid and att["device"] == nova["device"]
        devices.append(att["device"])
    assert devices == ["/dev/vdb", "/dev/vdc"]


def test_attach_errors(nv: ComputeFixture) -> None:
    sid = nv.boot()["id"]
    other = nv.boot()["id"]
    vid = make_volume(nv)
    r = attach(nv, sid, str(uuid.uuid4()))
    assert r.status_code == 404 and "itemNotFound" in r.json()
    assert attach(nv, sid, vid).status_code == 200
    wait_volume(nv, vid, "in-use")
    r = attach(nv, other, vid)  # in use elsewhere, not multiattach
    assert r.status_code == 400 and "Invalid volume" in r.json()["badRequest"]["message"]
    r = attach(nv, sid, vid, version="2.49", tag="a,b")
    assert r.status_code == 400
    r = attach(nv, sid, vid, version="2.1", delete_on_termination=True)  # unknown before 2.79
    assert r.status_code == 400
    r = nv.req("DELETE", f"/servers/{other}/os-volume_attachments/{vid}")
    assert r.status_code == 404
    r = nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{uuid.uuid4()}")
    assert r.status_code == 404
    # swapping is Cinder's (service role) and only for a migrating volume
    new = make_volume(nv)
    r = nv.req("PUT", f"/servers/{sid}/os-volume_attachments/{vid}", json={"volumeAttachment": {"volumeId": new}})
    assert r.status_code == 403, r.text
    pid = project_of(nv, nv.fx.admin_token)
    svc, _ = nv.fx.persona("member", project_id=pid)
    nv.fx.grant(svc["id"], "service", project_id=pid)
    svc_token = nv.fx.token(svc["name"], "pw-secret", project_id=pid)
    r = nv.req("PUT", f"/servers/{sid}/os-volume_attachments/{vid}", svc_token,
               json={"volumeAttachment": {"volumeId": new}})
    assert r.status_code == 409 and "not migrating" in r.json()["conflictingRequest"]["message"]
    # a stopped server takes volumes too (on its next start); a paused one does not
    assert nv.action(other, {"pause": None}).status_code == 202
    nv.wait(other, "PAUSED")
    r = attach(nv, other, new)
    assert r.status_code == 409 and "vm_state paused" in r.json()["conflictingRequest"]["message"]


def test_other_projects_and_readers(nv: ComputeFixture) -> None:
    token, pid, _ = nv.member()
    sid = nv.boot(token)["id"]
    vid = make_volume(nv, token)
    mine = make_volume(nv)  # the admin project's volume: invisible to the member
    assert attach(nv, sid, mine, token).status_code == 404
    assert attach(nv, sid, vid, token).status_code == 200
    wait_volume(nv, vid, "in-use", token)
    stranger, _, _ = nv.member()
    assert nv.req("GET", f"/servers/{sid}/os-volume_attachments", stranger).status_code == 404
    assert attach(nv, sid, vid, stranger).status_code == 404
    reader, _, _ = nv.member(project_id=pid, role="reader")
    assert nv.req("GET", f"/servers/{sid}/os-volume_attachments", reader).status_code == 200
    assert nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}", reader).status_code == 403
    assert nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}", token).status_code == 202
    wait_volume(nv, vid, "available", token)


def test_extend_attached_volume_tells_the_guest(nv: ComputeFixture) -> None:
    sid = nv.boot()["id"]
    vid = make_volume(nv)
    assert attach(nv, sid, vid).status_code == 200
    wait_volume(nv, vid, "in-use")
    r = cinder(nv, "POST", f"/volumes/{vid}/action", json={"os-extend": {"new_size": 3}})
    assert r.status_code == 202, r.text
    v = wait_volume(nv, vid, "in-use")
    assert v is not None and v["size"] == 3
    w = next(w for w in nv.cm.workers.values() if sid in w.driver.list_instances())
    assert f"[fake] extend volume {vid} to {3 * 1024**3}" in w.driver.get_console_output(sid)


def test_server_delete_releases_and_deletes_volumes(nv: ComputeFixture) -> None:
    sid = nv.boot()["id"]
    keep, drop = make_volume(nv), make_volume(nv)
    assert attach(nv, sid, keep).status_code == 200
    assert attach(nv, sid, drop, version="2.79", delete_on_termination=True).status_code == 200
    wait_volume(nv, keep, "in-use")
    wait_volume(nv, drop, "in-use")
    assert nv.req("DELETE", f"/servers/{sid}").status_code == 204
    nv.wait(sid, "DELETED")
    v = wait_volume(nv, keep, "available")
    assert v is not None and v["attachments"] == []
    wait_volume(nv, drop, "deleted")


def test_boot_from_volume_made_from_an_image(nv: ComputeFixture) -> None:
    bdm = [{"source_type": "image", "destination_type": "volume", "uuid": nv.image_id, "boot_index": 0,
            "volume_size": 2, "delete_on_termination": True}]
    srv = nv.boot(imageRef="", block_device_mapping_v2=bdm)
    sid = srv["id"]
    assert srv["image"] == ""
    (att,) = srv["os-extended-volumes:volumes_attached"]
    vid = att["id"]
    v = volume(nv, vid)
    assert v is not None and v["status"] == "in-use" and v["size"] == 2 and v["bootable"] == "true"
    assert v["attachments"][0]["server_id"] == sid and v["attachments"][0]["device"] == "/dev/vda"
    (bd,) = fake_driver_volumes(nv, sid)
    assert bd.volume_id == vid and bd.boot_index == 0
    r = nv.req("GET", f"/servers/{sid}/os-volume_attachments")
    assert r.json()["volumeAttachments"][0]["device"] == "/dev/vda"
    r = nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}")
    assert r.status_code == 400 and "root device" in r.json()["badRequest"]["message"]
    assert nv.req("DELETE", f"/servers/{sid}").status_code == 204
    nv.wait(sid, "DELETED")
    wait_volume(nv, vid, "deleted")


def test_boot_from_existing_volume_keeps_it(nv: ComputeFixture) -> None:
    vid = make_volume(nv, imageRef=nv.image_id)
    bdm = [{"source_type": "volume", "destination_type": "volume", "uuid": vid, "boot_index": "0"}]
    sid = nv.boot(block_device_mapping_v2=bdm, imageRef="")["id"]
    assert volume(nv, vid)["status"] == "in-use"  # type: ignore[index]
    r = nv.req("POST", "/servers", json={"server": {"name": "second", "flavorRef": "42", "networks": "none",
                                                    "block_device_mapping_v2": bdm}}, version="2.37")
    assert r.status_code == 400 and "Invalid volume" in r.json()["badRequest"]["message"]
    assert nv.req("DELETE", f"/servers/{sid}").status_code == 204
    nv.wait(sid, "DELETED")
    wait_volume(nv, vid, "available")


@pytest.mark.parametrize("bdm, words", [
    ([{"source_type": "volume", "destination_type": "volume", "uuid": "7b2a1f6e-0000-4000-8000-000000000000",
       "boot_index": 0}], "could not be found"),
    ([{"source_type": "blank", "destination_type": "volume", "boot_index": 0}], "volume_size"),
    ([{"source_type": "image", "destination_type": "volume", "uuid": "7b2a1f6e-0000-4000-8000-000000000000",
       "boot_index": 0, "volume_size": 1}], "could not be found"),
    ([{"source_type": "blank", "destination_type": "volume", "boot_index": 1, "volume_size": 1}], "Boot sequence"),
    ([{"source_type": "blank", "destination_type": "volume", "boot_index": 0, "volume_size": "x"}], "volume_size"),
    ([{"source_type": "carrier-pigeon", "destination_type": "volume", "boot_index": 0}], "not supported"),
    ([], "Missing imageRef attribute"),
])
def test_boot_from_volume_bad_input_is_400(nv: ComputeFixture, bdm: list[dict[str, Any]], words: str) -> None:
    r = nv.req("POST", "/servers", version="2.37", json={"server": {
        "name": "bad", "flavorRef": "42", "networks": "none", "imageRef": "", "block_device_mapping_v2": bdm}})
    assert r.status_code == 400, r.text
    assert words in r.json()["badRequest"]["message"]


def test_blank_data_volume_at_boot(nv: ComputeFixture) -> None:
    bdm = [{"source_type": "image", "destination_type": "local", "uuid": nv.image_id, "boot_index": 0},
           {"source_type": "blank", "destination_type": "volume", "volume_size": 1, "boot_index": -1,
            "delete_on_termination": True}]
    srv = nv.boot(block_device_mapping_v2=bdm)
    assert srv["image"]["id"] == nv.image_id
    (att,) = srv["os-extended-volumes:volumes_attached"]
    r = nv.req("GET", f"/servers/{srv['id']}/os-volume_attachments")
    assert r.json()["volumeAttachments"][0]["device"] == "/dev/vdb"
    assert nv.req("DELETE", f"/servers/{srv['id']}").status_code == 204
    nv.wait(srv["id"], "DELETED")
    wait_volume(nv, att["id"], "deleted")


def test_volume_proxy_up_to_2_35(nv: ComputeFixture) -> None:
    r = nv.req("POST", "/os-volumes", version="2.35",
               json={"volume": {"size": 1, "display_name": "via-nova", "metadata": {"k": "v"}}})
    assert r.status_code == 200, r.text
    vol = r.json()["volume"]
    assert vol["displayName"] == "via-nova" and vol["size"] == 1 and vol["attachments"] == [{}]
    assert r.headers["Location"].endswith(f"/os-volumes/{vol['id']}")
    wait_volume(nv, vol["id"], "available")
    r = nv.req("GET", f"/os-volumes/{vol['id']}", version="2.1")
    assert r.json()["volume"]["status"] == "available" and r.json()["volume"]["metadata"] == {"k": "v"}
    ids = [v["id"] for v in nv.req("GET", "/os-volumes/detail").json()["volumes"]]
    assert vol["id"] in ids
    assert nv.req("GET", "/os-volumes", version="2.36").status_code == 404
    assert nv.req("POST", "/os-volumes", json={"volume": {"size": 0}}).status_code == 400
    assert nv.req("GET", f"/os-volumes/{uuid.uuid4()}").status_code == 404
    # attached: nova's one-attachment view
    sid = nv.boot()["id"]
    assert attach(nv, sid, vol["id"]).status_code == 200
    wait_volume(nv, vol["id"], "in-use")
    att = nv.req("GET", f"/os-volumes/{vol['id']}").json()["volume"]["attachments"]
    assert att[0]["serverId"] == sid and att[0]["volumeId"] == vol["id"] and att[0]["device"] == "/dev/vdb"
    r = nv.req("POST", "/os-snapshots", json={"snapshot": {"volume_id": vol["id"]}})
    assert r.status_code == 400  # in use, no force
    r = nv.req("POST", "/os-snapshots", json={"snapshot": {"volume_id": vol["id"], "force": True,
                                                           "display_name": "snap"}})
    assert r.status_code == 200, r.text
    snap = r.json()["snapshot"]
    assert snap["volumeId"] == vol["id"] and snap["displayName"] == "snap"
    assert nv.req("GET", f"/os-snapshots/{snap['id']}").json()["snapshot"]["id"] == snap["id"]
    assert snap["id"] in [s["id"] for s in nv.req("GET", "/os-snapshots/detail").json()["snapshots"]]
    assert nv.req("DELETE", f"/os-snapshots/{snap['id']}").status_code == 202
