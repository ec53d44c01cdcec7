"""GET /v3/role_assignments: every filter, effective expansion (groups, inheritance,
implied roles), include_names and include_subtree."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import CloudFixture


@pytest.fixture(scope="module")
def world(cloud: CloudFixture) -> dict[str, Any]:
    d = cloud.make_domain()
    p = cloud.make_project(domain_id=d["id"])
    child = cloud.admin("POST", "/projects", json={"project": {"name": "kid", "parent_id": p["id"]}}).json()["project"]
    u1, u2, s = cloud.make_user(), cloud.make_user(), cloud.make_user()
    g = cloud.admin("POST", "/groups", json={"group": {"name": "g-" + uuid.uuid4().hex[:8]}}).json()["group"]
    cloud.admin("PUT", f"/groups/{g['id']}/users/{u2['id']}")
    role = {n: cloud.role_id(n) for n in ("admin", "member", "reader")}
    cloud.grant(u1["id"], "member", project_id=p["id"])
    cloud.admin("PUT", f"/projects/{p['id']}/groups/{g['id']}/roles/{role['reader']}")
    cloud.grant(u1["id"], "reader", domain_id=d["id"])
    cloud.admin("PUT", f"/OS-INHERIT/domains/{d['id']}/users/{u2['id']}/roles/{role['member']}/inherited_to_projects")
    cloud.grant(s["id"], "reader", system=True)
    cloud.grant(u2["id"], "admin", project_id=child["id"])
    return {"d": d, "p": p, "child": child, "u1": u1, "u2": u2, "s": s, "g": g, "role": role}


def _list(cloud: CloudFixture, q: str) -> list[dict[str, Any]]:
    r = cloud.admin("GET", f"/role_assignments?{q}")
    assert r.status_code == 200, r.text
    return r.json()["role_assignments"]


def _key(a: dict[str, Any]) -> tuple:
    actor = ("u", a["user"]["id"]) if "user" in a else ("g", a["group"]["id"])
    sc = a["scope"]
    where = ("p", sc["project"]["id"]) if "project" in sc else ("d", sc["domain"]["id"]) if "domain" in sc else ("s", "all")
    return (actor, where, a["role"]["id"], "OS-INHERIT:inherited_to" in sc)


def test_unfiltered_lists_everything_with_links(cloud: CloudFixture, world: dict) -> None:
    rows = _list(cloud, "")
    keys = {_key(a) for a in rows}
    w, r = world, world["role"]
    assert (("u", w["u1"]["id"]), ("p", w["p"]["id"]), r["member"], False) in keys
    assert (("g", w["g"]["id"]), ("p", w["p"]["id"]), r["reader"], False) in keys
    assert (("u", w["u2"]["id"]), ("d", w["d"]["id"]), r["member"], True) in keys
    assert (("u", w["s"]["id"]), ("s", "all"), r["reader"], False) in keys
    one = next(a for a in rows if _key(a) == (("u", w["u1"]["id"]), ("p", w["p"]["id"]), r["member"], False))
    assert one["links"]["assignment"].endswith(f"/v3/projects/{w['p']['id']}/users/{w['u1']['id']}/roles/{r['member']}")
    inh = next(a for a in rows if _key(a)[3] and a["user"]["id"] == w["u2"]["id"])
    assert inh["scope"]["OS-INHERIT:inherited_to"] == "projects"
    assert inh["links"]["assignment"].endswith("/inherited_to_projects")


def test_filters(cloud: CloudFixture, world: dict) -> None:
    w, r = world, world["role"]
    assert {_key(a) for a in _list(cloud, f"user.id={w['u1']['id']}")} == {
        (("u", w["u1"]["id"]), ("p", w["p"]["id"]), r["member"], False),
        (("u", w["u1"]["id"]), ("d", w["d"]["id"]), r["reader"], False),
    }
    assert {_key(a) for a in _list(cloud, f"group.id={w['g']['id']}")} == {
        (("g", w["g"]["id"]), ("p", w["p"]["id"]), r["reader"], False)}
    assert {_key(a) for a in _list(cloud, f"scope.project.id={w['p']['id']}")} == {
        (("u", w["u1"]["id"]), ("p", w["p"]["id"]), r["member"], False),
        (("g", w["g"]["id"]), ("p", w["p"]["id"]), r["reader"], False),
    }
    assert {_key(a) for a in _list(cloud, f"scope.domain.id={w['d']['id']}")} == {
        (("u", w["u1"]["id"]), ("d", w["d"]["id"]), r["reader"], False),
        (("u", w["u2"]["id"]), ("d", w["d"]["id"]), r["member"], True),
    }
    system = _list(cloud, "scope.system=all")
    assert all("system" in a["scope"] for a in system)
    assert (("u", w["s"]["id"]), ("s", "all"), r["reader"], False) in {_key(a) for a in system}
    by_role = _list(cloud, f"role.id={r['member']}&scope.domain.id={w['d']['id']}")
    assert [_key(a) for a in by_role] == [(("u", w["u2"]["id"]), ("d", w["d"]["id"]), r["member"], True)]
    assert all(a["role"]["id"] == r["reader"] for a in _list(cloud, f"role.id={r['reader']}"))
    inherited = _list(cloud, "scope.OS-INHERIT:inherited_to=projects")
    assert inherited and all(a["scope"].get("OS-INHERIT:inherited_to") == "projects" for a in inherited)
    assert _list(cloud, f"user.id={uuid.uuid4().hex}") == []


def test_conflicting_filters_are_refused(cloud: CloudFixture, world: dict) -> None:
    w = world
    for q in (f"user.id={w['u1']['id']}&group.id={w['g']['id']}",
              f"scope.project.id={w['p']['id']}&scope.domain.id={w['d']['id']}",
              f"scope.system=all&scope.project.id={w['p']['id']}",
              f"effective&group.id={w['g']['id']}",
              "include_subtree=true"):
        r = cloud.admin("GET", f"/role_assignments?{q}")
        assert r.status_code == 400, q
        assert r.json()["error"]["code"] == 400


def test_effective(cloud: CloudFixture, world: dict) -> None:
    w, r = world, world["role"]
    rows = _list(cloud, f"effective&user.id={w['u2']['id']}")
    keys = {_key(a) for a in rows}
    # the group's reader on p, for u2, pointing back at the membership
    assert (("u", w["u2"]["id"]), ("p", w["p"]["id"]), r["reader"], False) in keys
    via_group = next(a for a in rows if _key(a) == (("u", w["u2"]["id"]), ("p", w["p"]["id"]), r["reader"], False))
    assert via_group["links"]["membership"].endswith(f"/v3/groups/{w['g']['id']}/users/{w['u2']['id']}")
    # the inherited domain member lands on every project of the domain, with what it implies
    for proj in (w["p"], w["child"]):
        assert (("u", w["u2"]["id"]), ("p", proj["id"]), r["member"], False) in keys
        assert (("u", w["u2"]["id"]), ("p", proj["id"]), r["reader"], False) in keys
    # admin on the child implies member and reader there
    assert (("u", w["u2"]["id"]), ("p", w["child"]["id"]), r["admin"], False) in keys
    # no group or inherited rows remain
    assert not any("group" in a or "OS-INHERIT:inherited_to" in a["scope"] for a in rows)
    assert not any("domain" in a["scope"] for a in rows)

    # effective on a project: everyone who would get a token there
    on_p = {(_key(a)[0], _key(a)[2]) for a in _list(cloud, f"effective&scope.project.id={w['p']['id']}")}
    assert (("u", w["u1"]["id"]), r["member"]) in on_p and (("u", w["u1"]["id"]), r["reader"]) in on_p
    assert (("u", w["u2"]["id"]), r["reader"]) in on_p and (("u", w["u2"]["id"]), r["member"]) in on_p
    assert all(a[0][0] == "u" for a in on_p)


def test_include_names(cloud: CloudFixture, world: dict) -> None:
    w = world
    rows = _list(cloud, f"include_names&user.id={w['u1']['id']}")
    assert rows
    for a in rows:
        assert a["user"]["name"] == w["u1"]["name"] and a["user"]["domain"]["id"] == "default"
        assert a["role"]["name"] in ("member", "reader")
        if "project" in a["scope"]:
            assert a["scope"]["project"]["name"] == w["p"]["name"]
            assert a["scope"]["project"]["domain"] == {"id": w["d"]["id"], "name": w["d"]["name"]}
        else:
            assert a["scope"]["domain"]["name"] == w["d"]["name"]
    group_rows = _list(cloud, f"include_names&group.id={w['g']['id']}")
    assert group_rows[0]["group"]["name"] == w["g"]["name"]
    # without the flag there are no names
    assert all("name" not in a["user"] for a in _list(cloud, f"user.id={w['u1']['id']}"))


def test_include_subtree(cloud: CloudFixture, world: dict) -> None:
    w, r = world, world["role"]
    rows = _list(cloud, f"scope.project.id={w['p']['id']}&include_subtree=true")
    keys = {_key(a) for a in rows}
    assert (("u", w["u2"]["id"]), ("p", w["child"]["id"]), r["admin"], False) in keys
    assert (("u", w["u1"]["id"]), ("p", w["p"]["id"]), r["member"], False) in keys
    only_child = _list(cloud, f"scope.project.id={w['child']['id']}&include_subtree=true")
    assert {_key(a) for a in only_child} == {(("u", w["u2"]["id"]), ("p", w["child"]["id"]), r["admin"], False)}


def test_include_subtree_of_an_unknown_project(cloud: CloudFixture) -> None:
    r = cloud.admin("GET", f"/role_assignments?scope.project.id={uuid.uuid4().hex}&include_subtree=true")
    assert r.status_code == 404
