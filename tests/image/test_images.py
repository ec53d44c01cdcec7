"""/v2/images: create, show, list (filters, sort, pages), JSON-patch, delete, actions."""

from __future__ import annotations

import uuid

import pytest

from tests.image.conftest import V20, Glance, Personas


def test_version_discovery(glance: Glance) -> None:
    r = glance("GET", "/", token=None)
    assert r.status_code == 300
    versions = r.json()["versions"]
    current = [v for v in versions if v["status"] == "CURRENT"]
    assert len(current) == 1 and current[0]["id"].startswith("v2.")
    assert current[0]["links"][0]["href"] == "http://testserver/image/v2/"
    assert glance("GET", "/versions", token=None).status_code == 200
    assert glance("GET", "/v2", token=None).json()["versions"][0]["id"] == current[0]["id"]


def test_auth_required_and_error_shape(glance: Glance) -> None:
    r = glance("GET", "/v2/images", token=None)
    assert r.status_code == 401
    r = glance("GET", f"/v2/images/{uuid.uuid4()}")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "404 Not Found" and body["title"] == "Not Found" and "message" in body
    assert glance("DELETE", "/v2/images").status_code == 405


def test_create_defaults_and_show(glance: Glance, who: Personas) -> None:
    img = glance.create(name="cirros", disk_format="qcow2", container_format="bare",
                        min_ram=64, tags=["a", "b", "a"], os_distro="cirros", hw_foo="1")
    assert img["status"] == "queued" and img["visibility"] == "shared"
    assert img["owner"] == who.project_a and img["protected"] is False and img["os_hidden"] is False
    assert img["size"] is None and img["checksum"] is None and img["virtual_size"] is None
    assert img["tags"] == ["a", "b"] and img["min_ram"] == 64 and img["min_disk"] == 0
    assert img["os_distro"] == "cirros" and img["hw_foo"] == "1"
    assert img["self"] == f"/v2/images/{img['id']}" and img["file"].endswith("/file")
    assert img["schema"] == "/v2/schemas/image" and img["created_at"].endswith("Z")
    got = glance.get(img["id"]).json()
    assert got == img


def test_create_with_id_and_conflict(glance: Glance) -> None:
    iid = str(uuid.uuid4())
    assert glance.create(id=iid)["id"] == iid
    assert glance("POST", "/v2/images", json={"id": iid}).status_code == 409
    assert glance("POST", "/v2/images", json={"id": "not-a-uuid"}).status_code == 400


@pytest.mark.parametrize("body,status", [
    ({"status": "active"}, 403),
    ({"size": 5}, 403),
    ({"checksum": "x"}, 403),
    ({"os_glance_foo": "x"}, 403),
    ({"location": "http://x"}, 403),
    ({"disk_format": "floppy"}, 400),
    ({"container_format": "zip"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"protected": "yes"}, 400),
    ({"min_ram": -1}, 400),
    ({"min_disk": 2**40}, 400),
    ({"name": "x" * 256}, 400),
    ({"tags": "a"}, 400),
    ({"custom": 5}, 400),
    ({"kernel_id": "nope"}, 400),
    ({"visibility": "public"}, 403),
])
def test_create_rejects(glance: Glance, body: dict, status: int) -> None:
    r = glance("POST", "/v2/images", json=body)
    assert r.status_code == status, r.text


def test_create_bad_bodies(glance: Glance) -> None:
    assert glance("POST", "/v2/images", content=b"[1]", headers={"Content-Type": "application/json"}).status_code == 400
    assert glance("POST", "/v2/images", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert glance("POST", "/v2/images", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415


def test_visibilities_on_create(who: Personas) -> None:
    assert who.owner.create(visibility="community")["visibility"] == "community"
    assert who.owner.create(visibility="private")["visibility"] == "private"
    assert who.admin.create(visibility="public")["visibility"] == "public"
    # only an admin may create an image for another project
    assert who.owner("POST", "/v2/images", json={"owner": who.project_b}).status_code == 403
    assert who.admin.create(owner=who.project_b)["owner"] == who.project_b
    assert who.reader("POST", "/v2/images", json={}).status_code == 403


def test_custom_property_quota(cloud, glance: Glance) -> None:  # type: ignore[no-untyped-def]
    conf = cloud.cloud.conf.image
    props = {f"p{i}": "v" for i in range(conf.property_quota + 1)}
    assert glance("POST", "/v2/images", json=props).status_code == 413


# ---- list -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def listing(who: Personas) -> dict[str, dict]:
    tag = "list-" + uuid.uuid4().hex[:6]
    g = who.other  # project B: its images are isolated from the rest of the module
    imgs = {
        "a": g.create(name="alpha", disk_format="raw", container_format="bare", tags=[tag, "x"], color="red"),
        "b": g.create(name="beta", disk_format="qcow2", container_format="bare", tags=[tag], color="blue"),
        "c": g.create(name="gamma", disk_format="qcow2", container_format="ovf", tags=[tag, "x"], protected=True),
        "d": g.create(name="delta", tags=[tag], os_hidden=True),
        "e": g.create(name="eps", tags=[tag], visibility="community"),
    }
    assert g.upload(imgs["a"]["id"], b"1" * 10).status_code == 204
    assert g.upload(imgs["b"]["id"], b"2" * 100).status_code == 204
    imgs["tag"] = {"v": tag}  # type: ignore[assignment]
    return imgs


def _names(g: Glance, q: str) -> set[str]:
    r = g("GET", "/v2/images" + q)
    assert r.status_code == 200, r.text
    return {i["name"] for i in r.json()["images"]}


def test_list_filters(who: Personas, listing: dict) -> None:
    g = who.other
    t = "?tag=" + listing["tag"]["v"]
    # hidden images are left out; one's own community images are listed
    assert _names(g, t) == {"alpha", "beta", "gamma", "eps"}
    assert _names(g, t + "&visibility=all") == {"alpha", "beta", "gamma", "eps"}
    assert _names(g, t + "&visibility=community") == {"eps"}
    assert _names(g, t + "&os_hidden=true") == {"delta"}
    assert _names(g, t + "&tag=x") == {"alpha", "gamma"}
    assert _names(g, t + "&name=beta") == {"beta"}
    assert _names(g, t + "&name=in:alpha,gamma") == {"alpha", "gamma"}
    assert _names(g, t + "&status=active") == {"alpha", "beta"}
    assert _names(g, t + "&status=in:queued,saving") == {"gamma", "eps"}
    assert _names(g, t + "&disk_format=qcow2") == {"beta", "gamma"}
    assert _names(g, t + "&container_format=ovf") == {"gamma"}
    assert _names(g, t + "&size_min=50") == {"beta"}
    assert _names(g, t + "&size_max=50") == {"alpha"}
    assert _names(g, t + "&color=red") == {"alpha"}
    assert _names(g, t + "&protected=true") == {"gamma"}
    assert _names(g, t + f"&owner={who.project_b}") == {"alpha", "beta", "gamma", "eps"}
    created = listing["a"]["created_at"]
    assert _names(g, t + f"&created_at=gte:{created}&visibility=shared") == {"alpha", "beta", "gamma"}
    assert _names(g, t + "&created_at=lt:2000-01-01T00:00:00Z") == set()
    assert _names(g, t + "&updated_at=gt:2000-01-01T00:00:00Z&visibility=shared") == {"alpha", "beta", "gamma"}
    # other tenants see none of B's non-public images
    assert _names(who.owner, t + "&visibility=all") == {"eps"}
    assert _names(who.owner, t) == set()
    assert _names(who.admin, t + "&visibility=all&os_hidden=false") == {"alpha", "beta", "gamma", "eps"}


@pytest.mark.parametrize("q", [
    "?visibility=bogus", "?member_status=maybe", "?status=nope", "?size_min=x", "?size_max=-1",
    "?limit=-1", "?limit=x", "?sort_key=bogus", "?sort_dir=up", "?sort=name:up",
    "?sort=name&sort_key=size", "?created_at=gt:yesterday", "?created_at=foo:2020-01-01",
    "?protected=maybe", f"?marker={uuid.uuid4()}", "?sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
])
def test_list_rejects(glance: Glance, q: str) -> None:
    r = glance("GET", "/v2/images" + q)
    assert r.status_code == 400, (q, r.text)


def test_list_sort(who: Personas, listing: dict) -> None:
    g = who.other
    t = "?visibility=shared&tag=" + listing["tag"]["v"]

    def names(q: str) -> list[str]:
        return [i["name"] for i in g("GET", "/v2/images" + t + q).json()["images"]]

    assert names("&sort_key=name&sort_dir=asc") == ["alpha", "beta", "gamma"]
    assert names("&sort=name:desc") == ["gamma", "beta", "alpha"]
    assert names("&sort=size:asc,name") == ["gamma", "alpha", "beta"]  # NULL first
    assert names("&sort_key=size&sort_dir=desc") == ["beta", "alpha", "gamma"]
    assert names("&sort_key=disk_format&sort_key=name&sort_dir=asc") == ["beta", "gamma", "alpha"]


def test_pagination_with_next_links(who: Personas, listing: dict) -> None:
    g = who.other
    t = listing["tag"]["v"]
    for sort in ("sort=name:asc", "sort=size:asc", "sort=size:desc", "sort_key=created_at"):
        seen: list[str] = []
        url = f"/v2/images?tag={t}&limit=1&visibility=shared&{sort}"
        pages = 0
        while url:
            body = g("GET", url).json()
            assert body["schema"] == "/v2/schemas/images" and body["first"].startswith("/v2/images")
            seen += [i["name"] for i in body["images"]]
            url = body.get("next", "")
            assert not url or url.startswith("/v2/images?")
            pages += 1
        assert sorted(seen) == ["alpha", "beta", "gamma"], sort
        assert len(seen) == 3 and pages == 4


def test_limit_zero_and_cap(glance: Glance) -> None:
    assert glance("GET", "/v2/images?limit=0").json()["images"] == []
    assert glance("GET", "/v2/images?limit=100000").status_code == 200


# ---- update -----------------------------------------------------------------------------
def test_patch_core_and_custom(glance: Glance) -> None:
    img = glance.create(name="p", foo="1")
    r = glance.patch(img["id"], [
        {"op": "replace", "path": "/name", "value": "q"},
        {"op": "add", "path": "/bar", "value": "2"},
        {"op": "replace", "path": "/foo", "value": "3"},
        {"op": "add", "path": "/min_disk", "value": 5},
        {"op": "replace", "path": "/tags", "value": ["t1", "t2"]},
        {"op": "replace", "path": "/protected", "value": True},
        {"op": "replace", "path": "/disk_format", "value": "raw"},
        {"op": "add", "path": "/a~1b", "value": "slash"},
    ])
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["name"], got["bar"], got["foo"], got["min_disk"]) == ("q", "2", "3", 5)
    assert got["tags"] == ["t1", "t2"] and got["protected"] is True and got["a/b"] == "slash"
    r = glance.patch(img["id"], [{"op": "remove", "path": "/foo"}, {"op": "replace", "path": "/protected", "value": False}])
    assert r.status_code == 200 and "foo" not in r.json()
    assert "foo" not in glance.get(img["id"]).json()


def test_patch_v20_media_type(glance: Glance) -> None:
    img = glance.create(foo="1")
    r = glance.patch(img["id"], [{"replace": "/name", "value": "old-style"}, {"add": "/bar", "value": "x"}], V20)
    assert r.status_code == 200 and r.json()["name"] == "old-style"
    assert glance.patch(img["id"], [{"add": "/foo", "value": "y"}], V20).status_code == 409
    assert glance.patch(img["id"], [{"move": "/foo"}], V20).status_code == 400


@pytest.mark.parametrize("ops,status", [
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": "x"}], 403),
    ([{"op": "add", "path": "/os_glance_x", "value": "x"}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "remove", "path": "/nothing"}], 409),
    ([{"op": "replace", "path": "/nothing", "value": "x"}], 409),
    ([{"op": "move", "path": "/name", "from": "/x"}], 400),
    ([{"op": "replace", "path": "/name"}], 400),
    ([{"op": "replace", "path": "name", "value": "x"}], 400),
    ([{"op": "replace", "path": "/a/b", "value": "x"}], 400),
    ([{"op": "replace", "path": "/min_ram", "value": "x"}], 400),
    ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
    ([{"op": "replace", "path": "/owner", "value": "someone"}], 403),
    ([{"op": "add", "path": "/custom", "value": 1}], 400),
    ({"op": "add"}, 400),
    ([1], 400),
])
def test_patch_rejects(glance: Glance, ops: object, status: int) -> None:
    img = glance.create()
    r = glance("PATCH", f"/v2/images/{img['id']}", json=ops,
               headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert r.status_code == status, r.text


def test_patch_media_type_and_format_after_upload(glance: Glance) -> None:
    img = glance.create(disk_format="raw", container_format="bare")
    r = glance("PATCH", f"/v2/images/{img['id']}", json=[], headers={"Content-Type": "application/json"})
    assert r.status_code == 415 and "Accept-Patch" in r.headers
    assert glance.upload(img["id"], b"data").status_code == 204
    r = glance.patch(img["id"], [{"op": "replace", "path": "/disk_format", "value": "qcow2"}])
    assert r.status_code == 403
    assert glance.patch(img["id"], [{"op": "replace", "path": "/name", "value": "fine"}]).status_code == 200


def test_visibility_changes(who: Personas) -> None:
    img = who.owner.create()
    assert who.owner.patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "community"}]).status_code == 200
    assert who.owner.patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "public"}]).status_code == 403
    assert who.admin.patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "public"}]).json()["visibility"] == "public"
    assert who.owner.patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "private"}]).status_code == 200


# ---- delete, actions, tags ----------------------------------------------------------------
def test_delete_and_protected(glance: Glance) -> None:
    img = glance.create(protected=True)
    assert glance("DELETE", f"/v2/images/{img['id']}").status_code == 403
    glance.patch(img["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert glance("DELETE", f"/v2/images/{img['id']}").status_code == 204
    assert glance.get(img["id"]).status_code == 404
    assert glance("DELETE", f"/v2/images/{img['id']}").status_code == 404


def test_deactivate_reactivate(who: Personas) -> None:
    g = who.owner
    img = g.create()
    assert g("POST", f"/v2/images/{img['id']}/actions/deactivate").status_code == 403  # queued
    g.upload(img["id"], b"bytes")
    assert g("POST", f"/v2/images/{img['id']}/actions/deactivate").status_code == 204
    assert g.get(img["id"]).json()["status"] == "deactivated"
    assert g("POST", f"/v2/images/{img['id']}/actions/deactivate").status_code == 204
    assert g("GET", f"/v2/images/{img['id']}/file").status_code == 403
    assert who.admin("GET", f"/v2/images/{img['id']}/file").content == b"bytes"
    assert who.reader("POST", f"/v2/images/{img['id']}/actions/reactivate").status_code == 403
    assert g("POST", f"/v2/images/{img['id']}/actions/reactivate").status_code == 204
    assert g.get(img["id"]).json()["status"] == "active"
    assert g("GET", f"/v2/images/{img['id']}/file").content == b"bytes"


def test_tags(glance: Glance) -> None:
    img = glance.create(tags=["one"])
    assert glance("PUT", f"/v2/images/{img['id']}/tags/two").status_code == 204
    assert glance("PUT", f"/v2/images/{img['id']}/tags/two").status_code == 204
    assert glance.get(img["id"]).json()["tags"] == ["one", "two"]
    assert glance("DELETE", f"/v2/images/{img['id']}/tags/one").status_code == 204
    assert glance("DELETE", f"/v2/images/{img['id']}/tags/one").status_code == 404
    assert glance.get(img["id"]).json()["tags"] == ["two"]
    assert glance("PUT", f"/v2/images/{img['id']}/tags/" + "x" * 256).status_code == 400
    assert glance("PUT", f"/v2/images/{uuid.uuid4()}/tags/x").status_code == 404


def test_schemas(glance: Glance) -> None:
    image = glance("GET", "/v2/schemas/image").json()
    assert image["name"] == "image" and image["additionalProperties"] == {"type": "string"}
    assert "os_hash_value" in image["properties"] and image["properties"]["status"]["readOnly"]
    assert glance("GET", "/v2/schemas/images").json()["properties"]["images"]["items"]["name"] == "image"
    assert glance("GET", "/v2/schemas/member").json()["name"] == "member"
    assert glance("GET", "/v2/schemas/members").json()["name"] == "members"


def test_info(who: Personas) -> None:
    methods = who.owner("GET", "/v2/info/import").json()["import-methods"]
    assert set(methods["value"]) == {"glance-direct", "web-download"}
    stores = who.owner("GET", "/v2/info/stores").json()["stores"]
    assert stores[0]["default"] is True
    assert who.owner("GET", "/v2/info/stores/detail").status_code == 403
    assert who.admin("GET", "/v2/info/stores/detail").status_code == 200
    usage = who.owner("GET", "/v2/info/usage").json()["usage"]
    assert usage["image_count_total"]["usage"] >= 1


def test_patch_tag_members(glance: Glance) -> None:
    """openstacksdk diffs tags with jsonpatch: ``/tags/<n>`` and ``/tags/-``."""
    img = glance.create(tags=["a", "b"])
    r = glance.patch(img["id"], [{"op": "add", "path": "/tags/-", "value": "c"},
                                 {"op": "replace", "path": "/tags/0", "value": "z"},
                                 {"op": "remove", "path": "/tags/1"}])
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["c", "z"]
    assert glance.patch(img["id"], [{"op": "remove", "path": "/tags/9"}]).status_code == 409
    assert glance.patch(img["id"], [{"op": "remove", "path": "/tags/-"}]).status_code == 400
