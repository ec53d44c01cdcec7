"""Who may see and manage users, groups and group membership (upstream's protection
tests for users and groups)."""

from __future__ import annotations

import uuid

import pytest

from tests.protection.conftest import World

LIST = {"project_reader": 403, "project_member": 403, "project_admin": 200, "other_member": 403,
        "domain_admin": 200, "domain_reader": 200, "domain_manager": 200, "system_reader": 200}


@pytest.mark.parametrize("who,code", list(LIST.items()))
def test_list_users(world: World, who: str, code: int) -> None:
    r = world.req(who, "GET", "/users")
    assert r.status_code == code
    if code == 200:
        ids = {x["id"] for x in r.json()["users"]}
        if who.startswith("domain_"):
            assert world.ub["id"] in ids and world.ud["id"] not in ids
            assert world.req(who, "GET", "/users?domain_id=default").json()["users"] == []
        else:
            assert {world.ub["id"], world.ud["id"]} <= ids


@pytest.mark.parametrize("who,ud,ub,missing", [
    ("project_reader", 403, 403, 403), ("project_member", 403, 403, 403), ("project_admin", 200, 200, 404),
    ("other_member", 403, 403, 403), ("domain_admin", 200, 200, 404), ("domain_reader", 403, 200, 403),
    ("domain_manager", 403, 200, 403), ("system_reader", 200, 200, 404)])
def test_get_user(world: World, who: str, ud: int, ub: int, missing: int) -> None:
    me = world[who].user
    r = world.req(who, "GET", f"/users/{me['id']}")
    assert r.status_code == 200 and r.json()["user"]["name"] == me["name"]
    assert world.req(who, "GET", f"/users/{world.ud['id']}").status_code == ud
    assert world.req(who, "GET", f"/users/{world.ub['id']}").status_code == ub
    assert world.req(who, "GET", f"/users/{uuid.uuid4().hex}").status_code == missing


@pytest.mark.parametrize("who,in_default,in_b,missing", [
    ("project_reader", 403, 403, 403), ("project_member", 403, 403, 403), ("project_admin", 200, 200, 404),
    ("other_member", 403, 403, 403), ("domain_admin", 200, 200, 404), ("domain_reader", 403, 403, 403),
    ("domain_manager", 403, 200, 403), ("system_reader", 403, 403, 403)])
def test_create_update_delete_users(world: World, who: str, in_default: int, in_b: int, missing: int) -> None:
    for dom, code in (("default", in_default), (world.b["id"], in_b)):
        name = "nu-" + uuid.uuid4().hex[:8]
        r = world.req(who, "POST", "/users", json={"user": {"name": name, "domain_id": dom}})
        assert r.status_code == (201 if code == 200 else 403), (dom, r.text)
        target = world.cloud.make_user(domain_id=dom)
        r = world.req(who, "PATCH", f"/users/{target['id']}", json={"user": {"description": who}})
        assert r.status_code == code, (dom, r.text)
        assert (world.cloud.admin("GET", f"/users/{target['id']}").json()["user"].get("description") == who) == (code == 200)
        r = world.req(who, "DELETE", f"/users/{target['id']}")
        assert r.status_code == (204 if code == 200 else 403)
        assert world.cloud.admin("GET", f"/users/{target['id']}").status_code == (404 if code == 200 else 200)
    assert world.req(who, "PATCH", f"/users/{uuid.uuid4().hex}", json={"user": {"description": "x"}}).status_code == missing
    assert world.req(who, "DELETE", f"/users/{uuid.uuid4().hex}").status_code == missing


def test_users_cannot_disable_themselves_or_escalate(world: World) -> None:
    me = world["project_member"].user
    r = world.req("project_member", "PATCH", f"/users/{me['id']}", json={"user": {"enabled": False}})
    assert r.status_code == 403
    r = world.req("project_member", "PUT", f"/projects/{world.p['id']}/users/{me['id']}/roles/{world.cloud.role_id('admin')}")
    assert r.status_code == 403


@pytest.mark.parametrize("who,code", list(LIST.items()))
def test_list_groups(world: World, who: str, code: int) -> None:
    r = world.req(who, "GET", "/groups")
    assert r.status_code == code, r.text
    if code == 200:
        ids = {x["id"] for x in r.json()["groups"]}
        if who.startswith("domain_"):
            assert world.group_b["id"] in ids and world.group_d["id"] not in ids
        else:
            assert {world.group_b["id"], world.group_d["id"]} <= ids


@pytest.mark.parametrize("who,gd,gb,missing", [
    ("project_reader", 403, 403, 403), ("project_member", 403, 403, 403), ("project_admin", 200, 200, 404),
    ("other_member", 403, 403, 403), ("domain_admin", 200, 200, 404), ("domain_reader", 403, 200, 403),
    ("domain_manager", 403, 200, 403), ("system_reader", 200, 200, 404)])
def test_read_groups_and_members(world: World, who: str, gd: int, gb: int, missing: int) -> None:
    world.cloud.admin("PUT", f"/groups/{world.group_b['id']}/users/{world.ub['id']}")
    for g, code in ((world.group_d, gd), (world.group_b, gb)):
        assert world.req(who, "GET", f"/groups/{g['id']}").status_code == code
        r = world.req(who, "GET", f"/groups/{g['id']}/users")
        assert r.status_code == code
    assert world.req(who, "GET", f"/groups/{uuid.uuid4().hex}").status_code == missing
    assert world.req(who, "GET", f"/groups/{uuid.uuid4().hex}/users").status_code == missing
    check = world.req(who, "HEAD", f"/groups/{world.group_b['id']}/users/{world.ub['id']}").status_code
    assert check == (204 if gb == 200 else 403)


@pytest.mark.parametrize("who,in_default,in_b", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 200),
    ("other_member", 403, 403), ("domain_admin", 200, 200), ("domain_reader", 403, 403),
    ("domain_manager", 403, 200), ("system_reader", 403, 403)])
def test_manage_groups(world: World, who: str, in_default: int, in_b: int) -> None:
    for dom, code in (("default", in_default), (world.b["id"], in_b)):
        r = world.req(who, "POST", "/groups", json={"group": {"name": "ng-" + uuid.uuid4().hex[:8], "domain_id": dom}})
        assert r.status_code == (201 if code == 200 else 403), (dom, r.text)
        g = world.cloud.admin("POST", "/groups", json={"group": {"name": "tg-" + uuid.uuid4().hex[:8], "domain_id": dom}}).json()["group"]
        assert world.req(who, "PATCH", f"/groups/{g['id']}", json={"group": {"description": "x"}}).status_code == code
        member = world.ud if dom == "default" else world.ub
        r = world.req(who, "PUT", f"/groups/{g['id']}/users/{member['id']}")
        assert r.status_code == (204 if code == 200 else 403)
        in_group = world.cloud.admin("GET", f"/groups/{g['id']}/users/{member['id']}").status_code
        assert in_group == (204 if code == 200 else 404)
        world.cloud.admin("PUT", f"/groups/{g['id']}/users/{member['id']}")
        assert world.req(who, "DELETE", f"/groups/{g['id']}/users/{member['id']}").status_code == (204 if code == 200 else 403)
        assert world.req(who, "DELETE", f"/groups/{g['id']}").status_code == (204 if code == 200 else 403)


def test_domain_manager_cannot_mix_domains_in_membership(world: World) -> None:
    g = world.group_b
    # a user of another domain may not be added to, or checked in, one's domain's group
    assert world.req("domain_manager", "PUT", f"/groups/{g['id']}/users/{world.ud['id']}").status_code == 403
    assert world.req("domain_reader", "GET", f"/groups/{g['id']}/users/{world.ud['id']}").status_code == 403
    # unknown users or groups are a 403 too
    assert world.req("domain_manager", "PUT", f"/groups/{g['id']}/users/{uuid.uuid4().hex}").status_code == 403
    assert world.req("domain_manager", "PUT", f"/groups/{uuid.uuid4().hex}/users/{world.ub['id']}").status_code == 403


@pytest.mark.parametrize("who,code", [
    ("project_reader", 403), ("project_member", 403), ("project_admin", 200), ("other_member", 403),
    ("domain_admin", 200), ("domain_reader", 403), ("domain_manager", 403), ("system_reader", 200)])
def test_groups_of_a_user(world: World, who: str, code: int) -> None:
    me = world[who].user["id"]
    assert world.req(who, "GET", f"/users/{me}/groups").status_code == 200
    assert world.req(who, "GET", f"/users/{world.ud['id']}/groups").status_code == code
