"""Who may read and manage roles, implied roles, grants (project, domain, system) and
list role assignments (upstream's protection tests for roles, implied roles, grants,
system assignments and role assignments)."""

from __future__ import annotations

import uuid

import pytest

from tests.protection.conftest import World


@pytest.mark.parametrize("who,list_code,member_role,admin_role", [
    ("project_reader", 403, 403, 403), ("project_member", 403, 403, 403), ("project_admin", 200, 200, 200),
    ("other_member", 403, 403, 403), ("domain_admin", 200, 200, 200), ("domain_reader", 403, 403, 403),
    ("domain_manager", 200, 200, 403), ("system_reader", 200, 200, 200)])
def test_read_roles(world: World, who: str, list_code: int, member_role: int, admin_role: int) -> None:
    assert world.req(who, "GET", "/roles").status_code == list_code
    assert world.req(who, "GET", f"/roles/{world.cloud.role_id('member')}").status_code == member_role
    assert world.req(who, "GET", f"/roles/{world.cloud.role_id('admin')}").status_code == admin_role


@pytest.mark.parametrize("who,code", [
    ("project_reader", 403), ("project_member", 403), ("project_admin", 201), ("other_member", 403),
    ("domain_admin", 403), ("domain_reader", 403), ("domain_manager", 403), ("system_reader", 403)])
def test_manage_roles_and_implications(world: World, who: str, code: int) -> None:
    # the role rules allow system and project scope only: a domain admin is refused
    r = world.req(who, "POST", "/roles", json={"role": {"name": "r-" + uuid.uuid4().hex[:8]}})
    assert r.status_code == code
    victim = world.cloud.admin("POST", "/roles", json={"role": {"name": "v-" + uuid.uuid4().hex[:8]}}).json()["role"]
    ok = code == 201
    assert world.req(who, "PATCH", f"/roles/{victim['id']}", json={"role": {"description": "x"}}).status_code == (200 if ok else 403)
    reader = world.cloud.role_id("reader")
    assert world.req(who, "PUT", f"/roles/{victim['id']}/implies/{reader}").status_code == (201 if ok else 403)
    world.cloud.admin("PUT", f"/roles/{victim['id']}/implies/{reader}")
    assert world.req(who, "DELETE", f"/roles/{victim['id']}/implies/{reader}").status_code == (204 if ok else 403)
    assert world.req(who, "DELETE", f"/roles/{victim['id']}").status_code == (204 if ok else 403)


@pytest.mark.parametrize("who,code", [
    ("project_reader", 403), ("project_member", 403), ("project_admin", 200), ("other_member", 403),
    ("domain_admin", 403), ("domain_reader", 403), ("domain_manager", 403), ("system_reader", 200)])
def test_read_implied_roles(world: World, who: str, code: int) -> None:
    admin, member = world.cloud.role_id("admin"), world.cloud.role_id("member")
    assert world.req(who, "GET", "/role_inferences").status_code == code
    assert world.req(who, "GET", f"/roles/{admin}/implies").status_code == code
    assert world.req(who, "GET", f"/roles/{admin}/implies/{member}").status_code == code
    assert world.req(who, "HEAD", f"/roles/{admin}/implies/{member}").status_code == (204 if code == 200 else 403)


@pytest.mark.parametrize("who,on_p,on_pb", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 204, 204),
    ("other_member", 403, 403), ("domain_admin", 204, 204), ("domain_reader", 403, 403),
    ("domain_manager", 403, 204), ("system_reader", 403, 403)])
def test_project_grants(world: World, who: str, on_p: int, on_pb: int) -> None:
    member = world.cloud.role_id("member")
    for proj, user, code in ((world.p, world.ud, on_p), (world.pb, world.ub, on_pb)):
        path = f"/projects/{proj['id']}/users/{user['id']}/roles/{member}"
        world.cloud.admin("DELETE", path)
        assert world.req(who, "PUT", path).status_code == code
        assert world.cloud.admin("GET", path).status_code == (204 if code == 204 else 404)
        world.cloud.admin("PUT", path)
        assert world.req(who, "DELETE", path).status_code == code
        world.cloud.admin("PUT", path)


def test_domain_manager_may_only_hand_out_managed_roles(world: World) -> None:
    base = f"/projects/{world.pb['id']}/users/{world.ub['id']}/roles"
    assert world.req("domain_manager", "PUT", f"{base}/{world.cloud.role_id('reader')}").status_code == 204
    assert world.req("domain_manager", "PUT", f"{base}/{world.cloud.role_id('admin')}").status_code == 403
    assert world.req("domain_manager", "PUT", f"{base}/{world.cloud.role_id('service')}").status_code == 403
    dbase = f"/domains/{world.b['id']}/users/{world.ub['id']}/roles"
    assert world.req("domain_manager", "PUT", f"{dbase}/{world.cloud.role_id('member')}").status_code == 204
    assert world.req("domain_manager", "PUT", f"{dbase}/{world.cloud.role_id('admin')}").status_code == 403
    # a user of another domain on one's own project: refused
    other = f"/projects/{world.pb['id']}/users/{world.ud['id']}/roles/{world.cloud.role_id('member')}"
    assert world.req("domain_manager", "PUT", other).status_code == 403


@pytest.mark.parametrize("who,on_p,on_pb", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 200),
    ("other_member", 403, 403), ("domain_admin", 200, 200), ("domain_reader", 403, 200),
    ("domain_manager", 403, 200), ("system_reader", 200, 200)])
def test_read_grants(world: World, who: str, on_p: int, on_pb: int) -> None:
    member = world.cloud.role_id("member")
    for proj, user, code in ((world.p, world.ud, on_p), (world.pb, world.ub, on_pb)):
        world.cloud.admin("PUT", f"/projects/{proj['id']}/users/{user['id']}/roles/{member}")
        assert world.req(who, "GET", f"/projects/{proj['id']}/users/{user['id']}/roles").status_code == code
        check = world.req(who, "HEAD", f"/projects/{proj['id']}/users/{user['id']}/roles/{member}").status_code
        assert check == (204 if code == 200 else 403)


@pytest.mark.parametrize("who,read,write", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 204),
    ("other_member", 403, 403), ("domain_admin", 403, 403), ("domain_reader", 403, 403),
    ("domain_manager", 403, 403), ("system_reader", 200, 403)])
def test_system_grants(world: World, who: str, read: int, write: int) -> None:
    reader = world.cloud.role_id("reader")
    for actor, actor_id in (("users", world.ud["id"]), ("groups", world.group_d["id"])):
        path = f"/system/{actor}/{actor_id}/roles"
        assert world.req(who, "GET", path).status_code == read
        assert world.req(who, "PUT", f"{path}/{reader}").status_code == write
        world.cloud.admin("PUT", f"{path}/{reader}")
        assert world.req(who, "HEAD", f"{path}/{reader}").status_code == (204 if read == 200 else 403)
        assert world.req(who, "DELETE", f"{path}/{reader}").status_code == write


@pytest.mark.parametrize("who,code", [
    ("project_reader", 403), ("project_member", 403), ("project_admin", 200), ("other_member", 403),
    ("domain_admin", 200), ("domain_reader", 200), ("domain_manager", 200), ("system_reader", 200)])
def test_role_assignments(world: World, who: str, code: int) -> None:
    world.cloud.grant(world.ub["id"], "reader", project_id=world.pb["id"])
    world.cloud.grant(world.ud["id"], "reader", project_id=world.p["id"])
    r = world.req(who, "GET", "/role_assignments")
    assert r.status_code == code
    if code != 200:
        assert world.req(who, "GET", f"/role_assignments?scope.project.id={world.p['id']}").status_code == 403
        return
    rows = r.json()["role_assignments"]
    users = {a["user"]["id"] for a in rows if "user" in a}
    if who.startswith("domain_"):
        # only assignments on the domain and its projects
        assert world.ub["id"] in users and world.ud["id"] not in users
        for a in rows:
            sc = a["scope"]
            if "domain" in sc:
                assert sc["domain"]["id"] == world.b["id"]
            else:
                assert sc["project"]["id"] == world.pb["id"] or world.cloud.admin(
                    "GET", f"/projects/{sc['project']['id']}").json()["project"]["domain_id"] == world.b["id"]
        other = world.req(who, "GET", f"/role_assignments?scope.project.id={world.p['id']}")
        assert other.status_code == 200 and other.json()["role_assignments"] == []
        assert world.req(who, "GET", f"/role_assignments?user.id={world.ud['id']}").json()["role_assignments"] == []
        assert world.req(who, "GET", "/role_assignments?scope.system=all").json()["role_assignments"] == []
    else:
        assert {world.ub["id"], world.ud["id"]} <= users


@pytest.mark.parametrize("who,on_p,on_pb", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 200),
    ("other_member", 403, 403), ("domain_admin", 200, 200), ("domain_reader", 403, 200),
    ("domain_manager", 403, 200), ("system_reader", 200, 200)])
def test_role_assignments_for_a_tree(world: World, who: str, on_p: int, on_pb: int) -> None:
    for proj, code in ((world.p, on_p), (world.pb, on_pb)):
        r = world.req(who, "GET", f"/role_assignments?scope.project.id={proj['id']}&include_subtree=true")
        assert r.status_code == code
