"""/v3/projects: CRUD, filters, the hierarchy (parents and subtree, cascade delete)
and project tags; and that a disabled or deleted project's tokens stop working."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def _child(cloud: CloudFixture, parent_id: str, name: str | None = None) -> dict:
    r = cloud.admin("POST", "/projects", json={"project": {"name": name or "c-" + uuid.uuid4().hex[:8], "parent_id": parent_id}})
    assert r.status_code == 201, r.text
    return r.json()["project"]


def _ids(r) -> set[str]:
    assert r.status_code == 200, r.text
    return {p["id"] for p in r.json()["projects"]}


def test_crud(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    r = cloud.admin("POST", "/projects", json={"project": {"name": "alpha", "domain_id": d["id"], "description": "a"}})
    assert r.status_code == 201, r.text
    p = r.json()["project"]
    assert p["domain_id"] == d["id"] and p["parent_id"] == d["id"] and p["is_domain"] is False
    assert p["enabled"] is True and p["description"] == "a" and p["tags"] == []
    assert p["links"]["self"].endswith(f"/v3/projects/{p['id']}")

    assert cloud.admin("GET", f"/projects/{p['id']}").json()["project"]["name"] == "alpha"
    r = cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"name": "beta", "description": "b", "enabled": False}})
    assert r.status_code == 200
    got = cloud.admin("GET", f"/projects/{p['id']}").json()["project"]
    assert (got["name"], got["description"], got["enabled"]) == ("beta", "b", False)

    assert cloud.admin("DELETE", f"/projects/{p['id']}").status_code == 204
    assert cloud.admin("GET", f"/projects/{p['id']}").status_code == 404
    assert cloud.admin("DELETE", f"/projects/{p['id']}").status_code == 404
    assert cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"name": "x"}}).status_code == 404


def test_names_are_unique_per_domain(cloud: CloudFixture) -> None:
    d1, d2 = cloud.make_domain(), cloud.make_domain()
    cloud.make_project("same", domain_id=d1["id"])
    assert cloud.admin("POST", "/projects", json={"project": {"name": "same", "domain_id": d1["id"]}}).status_code == 409
    assert cloud.admin("POST", "/projects", json={"project": {"name": "same", "domain_id": d2["id"]}}).status_code == 201


def test_invalid_creates_and_updates(cloud: CloudFixture) -> None:
    # upstream: an unknown domain or parent is a validation error
    r = cloud.admin("POST", "/projects", json={"project": {"name": "x", "domain_id": uuid.uuid4().hex}})
    assert r.status_code == 400, r.text
    r = cloud.admin("POST", "/projects", json={"project": {"name": "x", "parent_id": uuid.uuid4().hex}})
    assert r.status_code == 400, r.text
    p = cloud.make_project()
    other = cloud.make_domain()
    r = cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"domain_id": other["id"]}})
    assert r.status_code == 400
    assert cloud.admin("POST", "/projects", json={"project": {"name": "x" * 65}}).status_code == 400
    assert cloud.admin("POST", "/projects", json={"project": {"name": "x", "enabled": "true"}}).status_code == 400
    assert cloud.admin("POST", "/projects", json={"project": {"name": "x", "tags": ["a/b"]}}).status_code == 400


def test_filters(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    on = cloud.make_project("on-" + uuid.uuid4().hex[:6], domain_id=d["id"])
    off = cloud.make_project("off-" + uuid.uuid4().hex[:6], domain_id=d["id"])
    cloud.admin("PATCH", f"/projects/{off['id']}", json={"project": {"enabled": False}})
    kid = _child(cloud, on["id"])
    elsewhere = cloud.make_project()

    in_domain = _ids(cloud.admin("GET", f"/projects?domain_id={d['id']}"))
    assert in_domain == {on["id"], off["id"], kid["id"]}
    assert elsewhere["id"] in _ids(cloud.admin("GET", "/projects"))
    assert _ids(cloud.admin("GET", f"/projects?domain_id={d['id']}&enabled=false")) == {off["id"]}
    assert _ids(cloud.admin("GET", f"/projects?name={on['name']}")) == {on["id"]}
    assert _ids(cloud.admin("GET", f"/projects?parent_id={on['id']}")) == {kid["id"]}
    # is_domain=true lists domains through the projects API
    assert d["id"] in _ids(cloud.admin("GET", "/projects?is_domain=true"))
    assert d["id"] not in _ids(cloud.admin("GET", "/projects"))
    assert cloud.admin("GET", "/projects?enabled=maybe").status_code == 400


def test_hierarchy_parents_and_subtree(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    a = cloud.make_project(domain_id=d["id"])
    b = _child(cloud, a["id"])
    c = _child(cloud, b["id"])
    c2 = _child(cloud, b["id"])
    assert b["domain_id"] == d["id"] and c["parent_id"] == b["id"]

    # as ids: nested dicts up to the domain, and down to the leaves
    r = cloud.admin("GET", f"/projects/{c['id']}?parents_as_ids")
    assert r.json()["project"]["parents"] == {b["id"]: {a["id"]: {d["id"]: None}}}
    r = cloud.admin("GET", f"/projects/{a['id']}?subtree_as_ids")
    assert r.json()["project"]["subtree"] == {b["id"]: {c["id"]: None, c2["id"]: None}}
    r = cloud.admin("GET", f"/projects/{c['id']}?subtree_as_ids")
    assert r.json()["project"]["subtree"] is None

    # as lists: only the projects the caller has a role on
    u = cloud.make_user()
    for p in (a, c):
        cloud.grant(u["id"], "reader", project_id=p["id"])
    cloud.grant(u["id"], "reader", project_id=c2["id"])
    tok = cloud.token(u["name"], "pw-secret", project_id=c["id"])
    # the user may read their own project; the admin may read any
    r = cloud.req("GET", f"/projects/{c['id']}?parents_as_list", tok)
    assert r.status_code == 200, r.text
    assert [x["project"]["id"] for x in r.json()["project"]["parents"]] == [a["id"]]
    rows = cloud.admin("GET", f"/projects/{a['id']}?subtree_as_list").json()["project"]["subtree"]
    assert rows == []  # the admin holds no role in this tree
    admin_id = cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": cloud.admin_token}).json()["token"]["user"]["id"]
    cloud.grant(admin_id, "reader", project_id=b["id"])
    rows = cloud.admin("GET", f"/projects/{a['id']}?subtree_as_list").json()["project"]["subtree"]
    assert [x["project"]["id"] for x in rows] == [b["id"]]

    assert cloud.admin("GET", f"/projects/{c['id']}?parents_as_list&parents_as_ids").status_code == 400
    assert cloud.admin("GET", f"/projects/{a['id']}?subtree_as_list&subtree_as_ids").status_code == 400


def test_delete_non_leaf_needs_cascade(cloud: CloudFixture) -> None:
    a = cloud.make_project()
    b = _child(cloud, a["id"])
    c = _child(cloud, b["id"])
    assert cloud.admin("DELETE", f"/projects/{a['id']}").status_code == 403
    assert cloud.admin("GET", f"/projects/{b['id']}").status_code == 200
    # upstream: a cascade needs the whole subtree disabled first
    assert cloud.admin("DELETE", f"/projects/{a['id']}?cascade=true").status_code == 403
    assert cloud.admin("GET", f"/projects/{c['id']}").status_code == 200
    # and a parent cannot be disabled under an enabled child
    assert cloud.admin("PATCH", f"/projects/{b['id']}", json={"project": {"enabled": False}}).status_code == 403
    for p in (c, b):
        assert cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"enabled": False}}).status_code == 200
    # nor a child enabled under a disabled parent
    assert cloud.admin("PATCH", f"/projects/{c['id']}", json={"project": {"enabled": True}}).status_code == 403
    assert cloud.admin("DELETE", f"/projects/{a['id']}?cascade=true").status_code == 204
    for p in (a, b, c):
        assert cloud.admin("GET", f"/projects/{p['id']}").status_code == 404


def test_parent_cannot_change(cloud: CloudFixture) -> None:
    a, other = cloud.make_project(), cloud.make_project()
    b = _child(cloud, a["id"])
    r = cloud.admin("PATCH", f"/projects/{b['id']}", json={"project": {"parent_id": other["id"]}})
    assert r.status_code == 403
    assert cloud.admin("GET", f"/projects/{b['id']}").json()["project"]["parent_id"] == a["id"]


def test_child_in_other_domain_refused(cloud: CloudFixture) -> None:
    a = cloud.make_project()
    other = cloud.make_domain()
    r = cloud.admin("POST", "/projects", json={"project": {"name": "x", "parent_id": a["id"], "domain_id": other["id"]}})
    assert r.status_code == 400


def test_is_domain_project_creates_a_domain(cloud: CloudFixture) -> None:
    name = "viaproj-" + uuid.uuid4().hex[:6]
    r = cloud.admin("POST", "/projects", json={"project": {"name": name, "is_domain": True}})
    assert r.status_code == 201, r.text
    pid = r.json()["project"]["id"]
    assert r.json()["project"]["is_domain"] is True
    assert cloud.admin("GET", f"/domains/{pid}").json()["domain"]["name"] == name


# ---- tags -----------------------------------------------------------------------
def test_tags_lifecycle(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    base = f"/projects/{p['id']}/tags"
    assert cloud.admin("GET", base).json()["tags"] == []
    r = cloud.admin("PUT", base, json={"tags": ["blue", "green"]})
    assert r.status_code == 200 and sorted(r.json()["tags"]) == ["blue", "green"]
    assert sorted(cloud.admin("GET", base).json()["tags"]) == ["blue", "green"]
    assert sorted(cloud.admin("GET", f"/projects/{p['id']}").json()["project"]["tags"]) == ["blue", "green"]

    r = cloud.admin("PUT", f"{base}/red")
    assert r.status_code == 201
    assert r.headers["Location"].endswith(f"/projects/{p['id']}/tags/red")
    assert cloud.admin("GET", f"{base}/red").status_code == 204
    assert cloud.admin("HEAD", f"{base}/red").status_code == 204
    assert cloud.admin("GET", f"{base}/nope").status_code == 404
    assert cloud.admin("HEAD", f"{base}/nope").status_code == 404

    assert cloud.admin("DELETE", f"{base}/red").status_code == 204
    assert cloud.admin("GET", f"{base}/red").status_code == 404
    assert cloud.admin("DELETE", f"{base}/red").status_code == 404
    assert sorted(cloud.admin("GET", base).json()["tags"]) == ["blue", "green"]

    assert cloud.admin("DELETE", base).status_code == 204
    assert cloud.admin("GET", base).json()["tags"] == []


def test_tags_validation(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    base = f"/projects/{p['id']}/tags"
    assert cloud.admin("PUT", base, json={"tags": ["a,b"]}).status_code == 400
    assert cloud.admin("PUT", base, json={"tags": [f"t{i}" for i in range(81)]}).status_code == 400
    assert cloud.admin("PUT", base, json={"tags": "single"}).status_code == 400
    assert cloud.admin("PUT", f"{base}/a,b").status_code == 400
    assert cloud.admin("PUT", f"{base}/" + "x" * 256).status_code == 400
    assert cloud.admin("GET", f"/projects/{uuid.uuid4().hex}/tags").status_code == 404
    assert cloud.admin("GET", base).json()["tags"] == []


def test_tag_filters(cloud: CloudFixture) -> None:
    d = cloud.make_domain()
    tagged = {}
    for name, tags in (("ab", ["a", "b"]), ("a", ["a"]), ("c", ["c"]), ("none", [])):
        r = cloud.admin("POST", "/projects", json={"project": {"name": name, "domain_id": d["id"], "tags": tags}})
        assert r.status_code == 201, r.text
        tagged[name] = r.json()["project"]["id"]

    def names(q: str) -> set[str]:
        ids = _ids(cloud.admin("GET", f"/projects?domain_id={d['id']}&{q}"))
        return {n for n, i in tagged.items() if i in ids}

    assert names("tags=a,b") == {"ab"}
    assert names("tags=a") == {"ab", "a"}
    assert names("tags-any=b,c") == {"ab", "c"}
    assert names("not-tags=a,b") == {"a", "c", "none"}
    assert names("not-tags-any=a,c") == {"none"}


# ---- tokens follow the project -------------------------------------------------------
def test_disabled_or_deleted_project_tokens_stop_validating(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])

    def valid(t: str) -> int:
        return cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": t}).status_code

    assert valid(tok) == 200
    cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"enabled": False}})
    assert valid(tok) == 404
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": u["id"], "password": "pw-secret"}}}, "scope": {"project": {"id": p["id"]}}}})
    assert r.status_code == 401
    cloud.admin("PATCH", f"/projects/{p['id']}", json={"project": {"enabled": True}})
    # re-enabling does not resurrect a revoked token
    assert valid(tok) == 404

    tok2 = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    assert valid(tok2) == 200
    assert cloud.admin("DELETE", f"/projects/{p['id']}").status_code == 204
    assert valid(tok2) == 404
    assert cloud.req("GET", "/auth/projects", tok2).status_code == 401


def test_unicode_tags(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    r = cloud.admin("PUT", f"/projects/{p['id']}/tags/Ā-ü-日本")
    assert r.status_code == 201
    assert r.headers["Location"].endswith("/tags/%C4%80-%C3%BC-%E6%97%A5%E6%9C%AC")
    assert cloud.admin("GET", f"/projects/{p['id']}/tags").json()["tags"] == ["Ā-ü-日本"]
    assert cloud.admin("HEAD", f"/projects/{p['id']}/tags/Ā-ü-日本").status_code == 204
