"""Sharing: members of shared images, their status, and what each side sees."""

from __future__ import annotations

from tests.image.conftest import Personas


def test_share_accept_reject(who: Personas) -> None:
    owner, other, third = who.owner, who.other, who.third
    img = owner.create(name="to-share")
    iid = img["id"]
    assert other.get(iid).status_code == 404
    r = owner("POST", f"/v2/images/{iid}/members", json={"member": who.project_b})
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["image_id"], m["member_id"], m["status"]) == (iid, who.project_b, "pending")
    assert m["schema"] == "/v2/schemas/member" and m["created_at"].endswith("Z")
    assert owner("POST", f"/v2/images/{iid}/members", json={"member": who.project_b}).status_code == 409
    owner("POST", f"/v2/images/{iid}/members", json={"member": who.project_c})

    # a pending member can see the image, but it is not in its default list
    assert other.get(iid).status_code == 200
    assert iid not in other.ids()
    assert iid in other.ids("?member_status=pending")
    assert iid in other.ids("?member_status=all&visibility=shared")
    assert third.get(iid).status_code == 200

    # the owner sees every member; a member only itself
    assert {x["member_id"] for x in owner("GET", f"/v2/images/{iid}/members").json()["members"]} == {
        who.project_b, who.project_c}
    listed = other("GET", f"/v2/images/{iid}/members").json()
    assert [x["member_id"] for x in listed["members"]] == [who.project_b]
    assert listed["schema"] == "/v2/schemas/members"
    assert other("GET", f"/v2/images/{iid}/members/{who.project_c}").status_code == 404
    assert other("GET", f"/v2/images/{iid}/members/{who.project_b}").json()["status"] == "pending"
    assert owner("GET", f"/v2/images/{iid}/members/{who.project_c}").status_code == 200

    # only the member decides its status
    path = f"/v2/images/{iid}/members/{who.project_b}"
    assert owner("PUT", path, json={"status": "accepted"}).status_code == 403
    assert other("PUT", path, json={"status": "maybe"}).status_code == 400
    r = other("PUT", path, json={"status": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert iid in other.ids()
    assert other("PUT", path, json={"status": "rejected"}).json()["status"] == "rejected"
    assert iid not in other.ids()
    assert iid in other.ids("?member_status=rejected")

    # members may read and download, never modify or delete, nor manage members
    owner.upload(iid, b"shared bytes")
    assert other("GET", f"/v2/images/{iid}/file").content == b"shared bytes"
    assert other.patch(iid, [{"op": "replace", "path": "/name", "value": "x"}]).status_code == 403
    assert other("DELETE", f"/v2/images/{iid}").status_code == 403
    assert other("POST", f"/v2/images/{iid}/members", json={"member": "zzz"}).status_code == 403
    assert other("DELETE", f"/v2/images/{iid}/members/{who.project_c}").status_code == 403
    assert other("DELETE", f"/v2/images/{iid}/members/{who.project_b}").status_code == 403

    # the owner removes a member: the image disappears for it
    assert owner("DELETE", path).status_code == 204
    assert owner("DELETE", path).status_code == 404
    assert other.get(iid).status_code == 404
    assert third.get(iid).status_code == 200


def test_only_shared_images_have_members(who: Personas) -> None:
    img = who.owner.create(visibility="private")
    r = who.owner("POST", f"/v2/images/{img['id']}/members", json={"member": who.project_b})
    assert r.status_code == 403
    assert who.owner("POST", f"/v2/images/{img['id']}/members", json={}).status_code == 400
    assert who.owner("POST", f"/v2/images/{img['id']}/members", json={"member": 5}).status_code == 400


def test_members_of_invisible_image_are_404(who: Personas) -> None:
    img = who.owner.create()
    assert who.other("GET", f"/v2/images/{img['id']}/members").status_code == 404
    assert who.other("POST", f"/v2/images/{img['id']}/members", json={"member": who.project_b}).status_code == 404


def test_member_quota(cloud, who: Personas) -> None:  # type: ignore[no-untyped-def]
    conf = cloud.cloud.conf.image
    old = conf.member_quota
    conf.member_quota = 1
    try:
        img = who.owner.create()
        assert who.owner("POST", f"/v2/images/{img['id']}/members", json={"member": "p1"}).status_code == 200
        assert who.owner("POST", f"/v2/images/{img['id']}/members", json={"member": "p2"}).status_code == 413
    finally:
        conf.member_quota = old
