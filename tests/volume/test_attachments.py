"""The v3 attachments flow Nova uses and the older attach/detach actions,
with upstream's volume statuses at each step."""

from __future__ import annotations

import uuid

from tests.volume.conftest import VolumeFixture

CONNECTOR = {"host": "node-1", "initiator": "iqn.test", "multipath": False, "platform": "x86_64"}


def _status(c: VolumeFixture, vid: str) -> tuple[str, str]:
    v = c.req("GET", f"/volumes/{vid}").json()["volume"]
    return v["status"], str(v.get("attachments"))


def test_v3_attachment_flow(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    server = str(uuid.uuid4())
    assert cinder.req("POST", "/attachments", json={"attachment": {"volume_uuid": v["id"]}}).status_code == 404
    r = cinder.req("POST", "/attachments", version="3.27",
                   json={"attachment": {"volume_uuid": v["id"], "instance_uuid": server}})
    assert r.status_code == 200, r.text
    att = r.json()["attachment"]
    assert att["status"] == "reserved" and att["instance"] == server and att["connection_info"] == {}
    assert _status(cinder, v["id"])[0] == "reserved"
    # a second attachment to a non-multiattach volume is refused
    r = cinder.req("POST", "/attachments", version="3.27",
                   json={"attachment": {"volume_uuid": v["id"], "instance_uuid": str(uuid.uuid4())}})
    assert r.status_code == 400
    r = cinder.req("PUT", f"/attachments/{att['id']}", version="3.27",
                   json={"attachment": {"connector": CONNECTOR}})
    assert r.status_code == 200, r.text
    info = r.json()["attachment"]["connection_info"]
    assert info["driver_volume_type"] == "fake" and info["data"]["access_mode"] == "rw"
    assert _status(cinder, v["id"])[0] == "attaching"
    r = cinder.req("POST", f"/attachments/{att['id']}/action", version="3.44", json={"os-complete": None})
    assert r.status_code == 204, r.text
    vol = cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]
    assert vol["status"] == "in-use"
    assert vol["attachments"][0]["server_id"] == server and vol["attachments"][0]["attachment_id"] == att["id"]
    assert vol["attachments"][0]["host_name"] == "node-1"  # admin sees the host
    # in use: not deletable, not re-attachable
    assert cinder.req("DELETE", f"/volumes/{v['id']}").status_code == 400
    r = cinder.req("GET", f"/attachments?volume_id={v['id']}", version="3.27")
    assert [a["id"] for a in r.json()["attachments"]] == [att["id"]]
    r = cinder.req("GET", f"/attachments/{att['id']}", version="3.27")
    assert r.json()["attachment"]["status"] == "attached"
    r = cinder.req("DELETE", f"/attachments/{att['id']}", version="3.27")
    assert r.status_code == 200, r.text
    assert _status(cinder, v["id"]) == ("available", "[]")
    assert cinder.req("GET", f"/attachments/{att['id']}", version="3.27").status_code == 404


def test_attachment_with_connector_at_create(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    r = cinder.req("POST", "/attachments", version="3.54", json={"attachment": {
        "volume_uuid": v["id"], "instance_uuid": str(uuid.uuid4()), "connector": CONNECTOR, "mode": "ro"}})
    assert r.status_code == 200, r.text
    att = r.json()["attachment"]
    assert att["status"] == "attaching" and att["attach_mode"] == "ro"
    assert att["connection_info"]["data"]["access_mode"] == "ro"
    assert _status(cinder, v["id"])[0] == "attaching"
    cinder.req("DELETE", f"/attachments/{att['id']}", version="3.27")
    assert _status(cinder, v["id"])[0] == "available"


def test_multiattach(cinder: VolumeFixture) -> None:
    v = cinder.volume(multiattach=True)
    assert v["multiattach"] is True
    ids = []
    for _ in range(2):
        r = cinder.req("POST", "/attachments", version="3.27", json={"attachment": {
            "volume_uuid": v["id"], "instance_uuid": str(uuid.uuid4()), "connector": CONNECTOR}})
        assert r.status_code == 200, r.text
        ids.append(r.json()["attachment"]["id"])
        cinder.req("POST", f"/attachments/{ids[-1]}/action", version="3.44", json={"os-complete": None})
    vol = cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]
    assert vol["status"] == "in-use" and len(vol["attachments"]) == 2
    cinder.req("DELETE", f"/attachments/{ids[0]}", version="3.27")
    assert _status(cinder, v["id"])[0] == "in-use"
    cinder.req("DELETE", f"/attachments/{ids[1]}", version="3.27")
    assert _status(cinder, v["id"])[0] == "available"


def test_legacy_actions(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    act = f"/volumes/{v['id']}/action"
    server = str(uuid.uuid4())
    assert cinder.req("POST", act, json={"os-reserve": None}).status_code == 202
    assert _status(cinder, v["id"])[0] == "attaching"
    assert cinder.req("POST", act, json={"os-reserve": None}).status_code == 400
    assert cinder.req("POST", act, json={"os-unreserve": None}).status_code == 202
    assert _status(cinder, v["id"])[0] == "available"
    cinder.req("POST", act, json={"os-reserve": None})
    r = cinder.req("POST", act, json={"os-initialize_connection": {"connector": CONNECTOR}})
    assert r.status_code == 200 and r.json()["connection_info"]["driver_volume_type"] == "fake"
    r = cinder.req("POST", act, json={"os-attach": {"instance_uuid": server, "mountpoint": "/dev/vdb"}})
    assert r.status_code == 202
    vol = cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]
    assert vol["status"] == "in-use" and vol["attachments"][0]["device"] == "/dev/vdb"
    assert cinder.req("POST", act, json={"os-begin_detaching": None}).status_code == 202
    assert _status(cinder, v["id"])[0] == "detaching"
    assert cinder.req("POST", act, json={"os-roll_detaching": None}).status_code == 202
    assert _status(cinder, v["id"])[0] == "in-use"
    cinder.req("POST", act, json={"os-begin_detaching": None})
    assert cinder.req("POST", act, json={"os-terminate_connection": {"connector": CONNECTOR}}).status_code == 202
    att_id = vol["attachments"][0]["attachment_id"]
    assert cinder.req("POST", act, json={"os-detach": {"attachment_id": att_id}}).status_code == 202
    assert _status(cinder, v["id"]) == ("available", "[]")
    # detaching what is not attached is not an error (as Cinder)
    assert cinder.req("POST", act, json={"os-detach": {}}).status_code == 202
    assert cinder.req("POST", act, json={"os-attach": {"mountpoint": "/dev/vdb"}}).status_code == 400


def test_force_detach_and_reset_status(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    act = f"/volumes/{v['id']}/action"
    cinder.req("POST", act, json={"os-attach": {"instance_uuid": str(uuid.uuid4())}})
    assert cinder.req("POST", act, json={"os-force_detach": {}}).status_code == 202
    assert _status(cinder, v["id"])[0] == "available"
    assert cinder.req("POST", act, json={"os-reset_status": {"status": "error"}}).status_code == 202
    assert _status(cinder, v["id"])[0] == "error"
    assert cinder.req("POST", act, json={"os-reset_status": {"status": "bogus"}}).status_code == 400
    assert cinder.req("POST", act, json={"os-force_delete": {}}).status_code == 202
    cinder.wait(f"/volumes/{v['id']}", "volume", "deleted")
