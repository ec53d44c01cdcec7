"""Who may list, read, create, change and delete projects and their tags, and read
domains (upstream's protection tests for projects, project tags and domains)."""

from __future__ import annotations

import uuid

import pytest

from tests.protection.conftest import World


def _cases(table: dict[str, int]) -> list[tuple[str, int]]:
    return list(table.items())


@pytest.mark.parametrize("who,code", _cases({
    "project_reader": 403, "project_member": 403, "project_admin": 200, "other_member": 403,
    "domain_admin": 200, "domain_reader": 200, "domain_manager": 200, "system_reader": 200}))
def test_list_projects(world: World, who: str, code: int) -> None:
    r = world.req(who, "GET", "/projects")
    assert r.status_code == code, r.text
    if code == 200:
        ids = {x["id"] for x in r.json()["projects"]}
        if who.startswith("domain_"):
            # a domain-scoped token sees its own domain only, whatever it asks for
            assert world.pb["id"] in ids and world.p["id"] not in ids
            asked = world.req(who, "GET", "/projects?domain_id=default")
            assert asked.status_code == 200 and asked.json()["projects"] == []
        else:
            assert {world.p["id"], world.pb["id"]} <= ids


@pytest.mark.parametrize("who,code_p,code_pb,code_missing", [
    ("project_reader", 200, 403, 403), ("project_member", 200, 403, 403),
    ("project_admin", 200, 200, 404), ("other_member", 403, 403, 403),
    ("domain_admin", 200, 200, 404), ("domain_reader", 403, 200, 403),
    ("domain_manager", 403, 200, 403), ("system_reader", 200, 200, 404)])
def test_get_project(world: World, who: str, code_p: int, code_pb: int, code_missing: int) -> None:
    r = world.req(who, "GET", f"/projects/{world.p['id']}")
    assert r.status_code == code_p, r.text
    if code_p == 200:
        assert r.json()["project"]["id"] == world.p["id"]
    assert world.req(who, "GET", f"/projects/{world.pb['id']}").status_code == code_pb
    # an unknown id is a 403 to those who could not read it anyway
    assert world.req(who, "GET", f"/projects/{uuid.uuid4().hex}").status_code == code_missing


@pytest.mark.parametrize("who,code_default,code_b", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 201, 201),
    ("other_member", 403, 403), ("domain_admin", 201, 201), ("domain_reader", 403, 403),
    ("domain_manager", 403, 201), ("system_reader", 403, 403)])
def test_create_project(world: World, who: str, code_default: int, code_b: int) -> None:
    for dom, code in (("default", code_default), (world.b["id"], code_b)):
        name = "new-" + uuid.uuid4().hex[:8]
        r = world.req(who, "POST", "/projects", json={"project": {"name": name, "domain_id": dom}})
        assert r.status_code == code, (dom, r.text)
        found = world.cloud.admin("GET", f"/projects?name={name}").json()["projects"]
        assert len(found) == (1 if code == 201 else 0)


@pytest.mark.parametrize("who,code_default,code_b,code_missing", [
    ("project_reader", 403, 403, 403), ("project_member", 403, 403, 403),
    ("project_admin", 200, 200, 404), ("other_member", 403, 403, 403),
    ("domain_admin", 200, 200, 404), ("domain_reader", 403, 403, 403),
    ("domain_manager", 403, 200, 403), ("system_reader", 403, 403, 403)])
def test_update_and_delete_project(world: World, who: str, code_default: int, code_b: int, code_missing: int) -> None:
    body = {"project": {"description": "changed by " + who}}
    for dom, code in (("default", code_default), (world.b["id"], code_b)):
        target = world.cloud.make_project(domain_id=dom)
        r = world.req(who, "PATCH", f"/projects/{target['id']}", json=body)
        assert r.status_code == code, (dom, r.text)
        desc = world.cloud.admin("GET", f"/projects/{target['id']}").json()["project"]["description"]
        assert (desc == body["project"]["description"]) == (code == 200)
        r = world.req(who, "DELETE", f"/projects/{target['id']}")
        assert r.status_code == (204 if code == 200 else 403), (dom, r.text)
        assert world.cloud.admin("GET", f"/projects/{target['id']}").status_code == (404 if code == 200 else 200)
    assert world.req(who, "PATCH", f"/projects/{uuid.uuid4().hex}", json=body).status_code == code_missing
    assert world.req(who, "DELETE", f"/projects/{uuid.uuid4().hex}").status_code == code_missing


@pytest.mark.parametrize("who,code_ud,code_ub", [
    ("project_reader", 403, 403), ("project_member", 403, 403), ("project_admin", 200, 200),
    ("other_member", 403, 403), ("domain_admin", 200, 200), ("domain_reader", 403, 200),
    ("domain_manager", 403, 200), ("system_reader", 200, 200)])
def test_list_projects_for_a_user(world: World, who: str, code_ud: int, code_ub: int) -> None:
    me = world[who].user["id"]
    r = world.req(who, "GET", f"/users/{me}/projects")
    assert r.status_code == 200
    assert world.req(who, "GET", f"/users/{world.ud['id']}/projects").status_code == code_ud
    assert world.req(who, "GET", f"/users/{world.ub['id']}/projects").status_code == code_ub


@pytest.mark.parametrize("who,read,write", [
    ("project_reader", 200, 403), ("project_member", 200, 403), ("project_admin", 200, 201),
    ("other_member", 403, 403), ("domain_admin", 200, 201), ("domain_reader", 403, 403),
    ("domain_manager", 403, 403), ("system_reader", 200, 403)])
def test_project_tags(world: World, who: str, read: int, write: int) -> None:
    base = f"/projects/{world.p['id']}/tags"
    world.cloud.admin("PUT", f"{base}/shared")
    assert world.req(who, "GET", base).status_code == read
    assert world.req(who, "GET", f"{base}/shared").status_code == (204 if read == 200 else 403)
    tag = "t-" + who
    assert world.req(who, "PUT", f"{base}/{tag}").status_code == write
    assert world.cloud.admin("GET", f"{base}/{tag}").status_code == (204 if write == 201 else 404)
    deleted = world.req(who, "DELETE", f"{base}/{tag}").status_code
    assert deleted == (204 if write == 201 else 403)
    assert world.req(who, "PUT", base, json={"tags": ["x"]}).status_code == (200 if write == 201 else 403)
    assert world.req(who, "DELETE", base).status_code == (204 if write == 201 else 403)


def test_domain_manager_manages_tags_in_own_domain(world: World) -> None:
    base = f"/projects/{world.pb['id']}/tags"
    assert world.req("domain_manager", "PUT", f"{base}/mine").status_code == 201
    assert world.req("domain_reader", "GET", f"{base}/mine").status_code == 204
    assert world.req("domain_reader", "PUT", f"{base}/nope").status_code == 403


@pytest.mark.parametrize("who,code_default,code_b,code_missing,listing", [
    ("project_reader", 200, 403, 403, 403), ("project_member", 200, 403, 403, 403),
    ("project_admin", 200, 200, 404, 200), ("other_member", 200, 403, 403, 403),
    ("domain_admin", 200, 200, 404, 200), ("domain_reader", 403, 200, 403, 200),
    ("domain_manager", 403, 200, 403, 200), ("system_reader", 200, 200, 404, 200)])
def test_domains(world: World, who: str, code_default: int, code_b: int, code_missing: int, listing: int) -> None:
    assert world.req(who, "GET", "/domains/default").status_code == code_default
    assert world.req(who, "GET", f"/domains/{world.b['id']}").status_code == code_b
    assert world.req(who, "GET", f"/domains/{uuid.uuid4().hex}").status_code == code_missing
    r = world.req(who, "GET", "/domains")
    assert r.status_code == listing
    if listing == 200 and who.startswith("domain_"):
        assert [x["id"] for x in r.json()["domains"]] == [world.b["id"]]


@pytest.mark.parametrize("who", ["project_reader", "project_member", "other_member", "domain_reader",
                                 "domain_manager", "system_reader", "domain_admin"])
def test_only_cloud_admins_write_domains(world: World, who: str) -> None:
    # domain_admin: the domain rules allow only system and project scope
    r = world.req(who, "POST", "/domains", json={"domain": {"name": "d-" + uuid.uuid4().hex[:8]}})
    assert r.status_code == 403
    assert world.req(who, "PATCH", f"/domains/{world.b['id']}", json={"domain": {"description": "x"}}).status_code == 403
    assert world.req(who, "DELETE", f"/domains/{world.b['id']}").status_code == 403


def test_project_admin_writes_domains(world: World) -> None:
    r = world.req("project_admin", "POST", "/domains", json={"domain": {"name": "d-" + uuid.uuid4().hex[:8]}})
    assert r.status_code == 201
