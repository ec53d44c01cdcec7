"""Volumes through the Cinder v3 API: statuses, create sources, listing,
update, delete, extend, flags, metadata, upload to image, errors."""

from __future__ import annotations

import uuid

from tests.volume.conftest import VolumeFixture, make_image


def test_version_discovery(cinder: VolumeFixture) -> None:
    r = cinder.fx.client.get("/volume/")
    assert r.status_code == 300
    v = r.json()["versions"][0]
    assert v["id"] == "v3.0" and v["min_version"] == "3.0" and v["version"] == "3.70"
    assert v["links"][1]["href"].endswith("/volume/v3/")
    r = cinder.fx.client.get("/volume/v3/")
    assert r.status_code == 200 and r.json()["versions"][0]["status"] == "CURRENT"


def test_microversion_header_echoed_and_checked(cinder: VolumeFixture) -> None:
    r = cinder.req("GET", "/volumes", version="3.42")
    assert r.status_code == 200
    assert r.headers["OpenStack-API-Version"] == "volume 3.42"
    assert "OpenStack-API-Version" in r.headers["Vary"]
    r = cinder.req("GET", "/volumes")
    assert r.headers["OpenStack-API-Version"] == "volume 3.0"
    r = cinder.req("GET", "/volumes", version="latest")
    assert r.headers["OpenStack-API-Version"] == "volume 3.70"
    r = cinder.req("GET", "/volumes", version="3.99")
    assert r.status_code == 406
    r = cinder.req("GET", "/volumes", version="3.x")
    assert r.status_code == 400 and "badRequest" in r.json()


def test_create_shows_creating_then_available(cinder: VolumeFixture) -> None:
    r = cinder.req("POST", "/volumes", json={"volume": {"size": 2, "name": "first", "description": "d",
                                                         "metadata": {"a": "b"}}})
    assert r.status_code == 202, r.text
    v = r.json()["volume"]
    assert v["status"] == "creating" and v["size"] == 2 and v["bootable"] == "false"
    assert v["volume_type"] == "__DEFAULT__" and v["metadata"] == {"a": "b"}
    assert v["attachments"] == [] and v["multiattach"] is False and v["encrypted"] is False
    got = cinder.wait(f"/volumes/{v['id']}", "volume", "available")
    assert got["os-vol-host-attr:host"].count("@") == 1 and "#" in got["os-vol-host-attr:host"]
    assert got["os-vol-tenant-attr:tenant_id"] == cinder.admin_project
    # the project id in the URL is optional (3.67) but accepted always
    r = cinder.req("GET", f"/volumes/{v['id']}", project=cinder.admin_project)
    assert r.status_code == 200 and r.json()["volume"]["name"] == "first"


def test_volume_type_id_and_fields_by_microversion(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    old = cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]
    assert "volume_type_id" not in old and "group_id" not in old and "shared_targets" not in old
    new = cinder.req("GET", f"/volumes/{v['id']}", version="3.65").json()["volume"]
    assert new["volume_type_id"] and new["group_id"] is None and new["consumes_quota"] is True
    assert new["shared_targets"] is False and new["service_uuid"] is None


def test_create_errors(cinder: VolumeFixture) -> None:
    for body, status in [({"size": 0}, 400), ({"size": -1}, 400), ({"size": "abc"}, 400), ({}, 400),
                         ({"size": 1, "volume_type": "nope"}, 404),
                         ({"size": 1, "snapshot_id": str(uuid.uuid4())}, 404),
                         ({"size": 1, "source_volid": str(uuid.uuid4())}, 404),
                         ({"size": 1, "imageRef": str(uuid.uuid4())}, 400),
                         ({"size": 1, "availability_zone": "elsewhere"}, 400),
                         ({"size": 1, "metadata": {"k": 1}}, 400), ({"size": True}, 400)]:
        r = cinder.req("POST", "/volumes", json={"volume": body})
        assert r.status_code == status, (body, r.text)
        assert next(iter(r.json().values()))["code"] == status
    r = cinder.req("POST", "/volumes", json={"nothing": {}})
    assert r.status_code == 400
    r = cinder.req("POST", "/volumes", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_not_found_shapes(cinder: VolumeFixture) -> None:
    for method in ("GET", "DELETE"):
        r = cinder.req(method, f"/volumes/{uuid.uuid4()}")
        assert r.status_code == 404
        assert r.json()["itemNotFound"]["code"] == 404
    r = cinder.req("PUT", f"/volumes/{uuid.uuid4()}", json={"volume": {"name": "x"}})
    assert r.status_code == 404
    r = cinder.req("GET", "/volumes/#")
    assert r.status_code == 404


def test_list_filters_and_pagination(cinder: VolumeFixture) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = [cinder.volume(name=f"{tag}-{i}", metadata={"tag": tag, "i": str(i)})["id"] for i in range(4)]
    r = cinder.req("GET", f"/volumes/detail?name={tag}-2")
    assert [v["id"] for v in r.json()["volumes"]] == [ids[2]]
    r = cinder.req("GET", "/volumes?metadata=" + str({"tag": tag, "i": "1"}).replace(" ", ""))
    assert [v["id"] for v in r.json()["volumes"]] == [ids[1]]
    r = cinder.req("GET", "/volumes/detail?status=nonsense")
    assert r.status_code == 200 and r.json()["volumes"] == []
    r = cinder.req("GET", "/volumes?name=nope-" + tag)
    assert r.json()["volumes"] == []
    r = cinder.req("GET", "/volumes/detail?availability_zone=nova&status=available&name=" + f"{tag}-0")
    assert [v["id"] for v in r.json()["volumes"]] == [ids[0]]
    # walk the pages by the next links
    seen: list[str] = []
    url = f"/volumes/detail?limit=1&sort=name:asc&name~={tag}"
    while url:
        r = cinder.req("GET", url, version="3.34")
        body = r.json()
        assert len(body["volumes"]) <= 1
        seen += [v["id"] for v in body["volumes"]]
        nxt = [link["href"] for link in body.get("volumes_links", []) if link["rel"] == "next"]
        url = nxt[0].split("/volume/v3", 1)[1] if nxt else ""
    assert seen == ids
    r = cinder.req("GET", "/volumes?limit=2&offset=1&sort_key=name&sort_dir=asc&name~=" + tag, version="3.34")
    assert [v["id"] for v in r.json()["volumes"]] == ids[1:3]
    r = cinder.req("GET", f"/volumes?marker={uuid.uuid4()}")
    assert r.status_code == 404
    r = cinder.req("GET", "/volumes?sort=bogus:asc")
    assert r.status_code == 400
    r = cinder.req("GET", "/volumes?limit=-1")
    assert r.status_code == 400
    r = cinder.req("GET", "/volumes?with_count=true&name~=" + tag, version="3.45")
    assert r.json()["count"] == 4


def test_update_and_metadata(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    r = cinder.req("PUT", f"/volumes/{v['id']}", json={"volume": {"name": "renamed", "description": "new"}})
    assert r.status_code == 200 and r.json()["volume"]["name"] == "renamed"
    base = f"/volumes/{v['id']}/metadata"
    r = cinder.req("POST", base, json={"metadata": {"k1": "v1", "k2": "v2"}})
    assert r.status_code == 200 and r.json()["metadata"] == {"k1": "v1", "k2": "v2"}
    r = cinder.req("PUT", base, json={"metadata": {"k3": "v3"}})
    assert r.json()["metadata"] == {"k3": "v3"}
    r = cinder.req("PUT", base + "/k3", json={"meta": {"k3": "v33"}})
    assert r.status_code == 200 and r.json() == {"meta": {"k3": "v33"}}
    assert cinder.req("GET", base + "/k3").json() == {"meta": {"k3": "v33"}}
    assert cinder.req("PUT", base + "/k3", json={"meta": {"other": "x"}}).status_code == 400
    assert cinder.req("DELETE", base + "/k3").status_code == 200
    assert cinder.req("GET", base + "/k3").status_code == 404
    assert cinder.req("DELETE", base + "/k3").status_code == 404
    assert cinder.req("GET", base).json() == {"metadata": {}}
    assert cinder.req("POST", base, json={"metadata": {"x" * 256: "v"}}).status_code == 400


def test_delete_rules_and_cascade(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    snap = cinder.snapshot(v["id"])
    r = cinder.req("DELETE", f"/volumes/{v['id']}")
    assert r.status_code == 400 and "snapshots" in r.json()["badRequest"]["message"]
    r = cinder.req("DELETE", f"/volumes/{v['id']}?cascade=true")
    assert r.status_code == 202
    cinder.wait(f"/volumes/{v['id']}", "volume", "deleted")
    assert cinder.req("GET", f"/snapshots/{snap['id']}").status_code == 404


def test_extend(cinder: VolumeFixture) -> None:
    v = cinder.volume(size=1)
    act = f"/volumes/{v['id']}/action"
    assert cinder.req("POST", act, json={"os-extend": {"new_size": 1}}).status_code == 400
    assert cinder.req("POST", act, json={"os-extend": {"new_size": "x"}}).status_code == 400
    assert cinder.req("POST", act, json={"os-extend": {}}).status_code == 400
    assert cinder.req("POST", act, json={"os-extend": {"new_size": 3}}).status_code == 202
    got = cinder.wait(f"/volumes/{v['id']}", "volume", "available")
    assert got["size"] == 3
    assert cinder.vm.driver.size_of(v["id"]) == 3


def test_extend_in_use_needs_342(cinder: VolumeFixture) -> None:
    v = cinder.volume(size=1)
    act = f"/volumes/{v['id']}/action"
    r = cinder.req("POST", act, json={"os-attach": {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdb"}})
    assert r.status_code == 202, r.text
    assert cinder.req("POST", act, json={"os-extend": {"new_size": 2}}).status_code == 400
    calls: list[tuple[str, int]] = []
    cinder.vm.extend_listeners.append(lambda inst, vid, size, info: calls.append((vid, size)))
    try:
        r = cinder.req("POST", act, json={"os-extend": {"new_size": 2}}, version="3.42")
        assert r.status_code == 202, r.text
        got = cinder.wait(f"/volumes/{v['id']}", "volume", "in-use")
    finally:
        cinder.vm.extend_listeners.clear()
    assert got["size"] == 2 and calls == [(v["id"], 2)]


def test_bootable_and_readonly(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    act = f"/volumes/{v['id']}/action"
    assert cinder.req("POST", act, json={"os-set_bootable": {"bootable": True}}).status_code == 200
    assert cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]["bootable"] == "true"
    assert cinder.req("POST", act, json={"os-set_bootable": {"bootable": "maybe"}}).status_code == 400
    assert cinder.req("POST", act, json={"os-update_readonly_flag": {"readonly": True}}).status_code == 202
    r = cinder.req("POST", act, json={"os-initialize_connection": {"connector": {"host": "h"}}})
    assert r.status_code == 200 and r.json()["connection_info"]["data"]["access_mode"] == "ro"
    assert cinder.req("POST", act, json={"os-no-such-thing": {}}).status_code == 400


def test_from_image_snapshot_and_clone(cinder: VolumeFixture) -> None:
    data = b"BOOT" * 1024
    iid = make_image(cinder.fx, data=data, min_disk=1, hw_disk_bus="virtio")
    v = cinder.volume(imageRef=iid)
    assert v["status"] == "available" and v["bootable"] == "true"
    assert v["volume_image_metadata"]["image_id"] == iid
    assert v["volume_image_metadata"]["hw_disk_bus"] == "virtio"
    first = next(cinder.vm.driver.read_chunks(v["id"]))[1]
    assert first is not None and first.startswith(data)
    snap = cinder.snapshot(v["id"])
    from_snap = cinder.volume(snapshot_id=snap["id"], size=2)
    assert from_snap["snapshot_id"] == snap["id"] and from_snap["size"] == 2 and from_snap["bootable"] == "true"
    assert next(cinder.vm.driver.read_chunks(from_snap["id"]))[1].startswith(data)  # type: ignore[union-attr]
    clone = cinder.volume(source_volid=v["id"])
    assert clone["source_volid"] == v["id"] and clone["size"] == 1
    r = cinder.req("POST", "/volumes", json={"volume": {"source_volid": v["id"], "size": 0}})
    assert r.status_code == 400


def test_image_metadata_actions(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    act = f"/volumes/{v['id']}/action"
    r = cinder.req("POST", act, json={"os-set_image_metadata": {"metadata": {"os_type": "linux"}}})
    assert r.status_code == 200 and r.json()["metadata"] == {"os_type": "linux"}
    r = cinder.req("POST", act, json={"os-show_image_metadata": None})
    assert r.json()["metadata"] == {"os_type": "linux"}
    assert cinder.req("GET", f"/volumes/{v['id']}").json()["volume"]["volume_image_metadata"] == {
        "os_type": "linux"}
    assert cinder.req("POST", act, json={"os-unset_image_metadata": {"key": "os_type"}}).status_code == 200
    assert cinder.req("POST", act, json={"os-unset_image_metadata": {"key": "os_type"}}).status_code == 404


def test_upload_to_image(cinder: VolumeFixture) -> None:
    v = cinder.volume()
    cinder.vm.driver.write_chunks(v["id"], [(0, b"DATA" * 256)])
    r = cinder.req("POST", f"/volumes/{v['id']}/action", json={"os-volume_upload_image": {
        "image_name": "from-volume", "disk_format": "raw", "container_format": "bare"}})
    assert r.status_code == 202, r.text
    up = r.json()["os-volume_upload_image"]
    assert up["status"] == "uploading" and up["image_name"] == "from-volume"
    cinder.wait(f"/volumes/{v['id']}", "volume", "available")
    img = cinder.fx.client.get(f"/image/v2/images/{up['image_id']}",
                               headers={"X-Auth-Token": cinder.fx.admin_token}).json()
    assert img["status"] == "active" and img["size"] == 1024
    r = cinder.req("POST", f"/volumes/{v['id']}/action", json={"os-volume_upload_image": {
        "image_name": "x", "disk_format": "nonsense"}})
    assert r.status_code == 400


def test_summary(cinder: VolumeFixture) -> None:
    r = cinder.req("GET", "/volumes/summary", version="3.36")
    assert r.status_code == 200
    s = r.json()["volume-summary"]
    assert s["total_count"] >= 1 and s["total_size"] >= 1 and isinstance(s["metadata"], dict)
    assert cinder.req("GET", "/volumes/summary").status_code == 404


def test_quota_exceeded_is_413(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.volume.conftest import volume_cloud

    for c in volume_cloud(tmp_path):
        token, pid, _ = c.member()
        r = c.req("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": 1, "gigabytes": 5}})
        assert r.status_code == 200, r.text
        c.volume(token)
        r = c.req("POST", "/volumes", token, json={"volume": {"size": 1}})
        assert r.status_code == 413 and "overLimit" in r.json()
        r = c.req("GET", f"/os-quota-sets/{pid}?usage=true", token)
        assert r.json()["quota_set"]["volumes"] == {"limit": 1, "in_use": 1, "reserved": 0, "allocated": 0}
        lim = c.req("GET", "/limits", token).json()["limits"]["absolute"]
        assert lim["maxTotalVolumes"] == 1 and lim["totalVolumesUsed"] == 1 and lim["totalGigabytesUsed"] == 1
