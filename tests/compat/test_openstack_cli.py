"""The ``openstack`` command line client against ``onestack serve``, exactly as a user
runs it: ``--os-cloud onestack`` with the clouds.yaml the server wrote.

Each command costs about a second of interpreter start, so every command here is one
the brief names; the follow-up checks go over plain HTTP.
"""

from __future__ import annotations

import uuid

import pytest

from tests.compat.conftest import Cli, Server, http

pytestmark = pytest.mark.compat


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_token_issue(osc: Cli, server: Server) -> None:
    tok = osc("token", "issue")
    assert tok["id"].startswith("gAAAAA")
    assert tok["project_id"] and tok["user_id"]
    assert server.validate(tok["id"]) == 200


def test_catalog_endpoint_service_region_lists(osc: Cli, server: Server) -> None:
    catalog, endpoints, services, regions = osc.many(
        ("catalog", "list"), ("endpoint", "list"), ("service", "list"), ("region", "list"))
    identity = next(c for c in catalog if c["Type"] == "identity")
    assert identity["Name"] == "keystone"
    assert {(e["interface"], e["url"]) for e in identity["Endpoints"]} == {
        (i, server.auth_url) for i in ("public", "internal", "admin")}
    assert {e["Interface"] for e in endpoints if e["Service Type"] == "identity"} == {
        "public", "internal", "admin"}
    assert {e["Region"] for e in endpoints} == {"RegionOne"}
    assert {"identity": "keystone"}.items() <= {s["Type"]: s["Name"] for s in services}.items()
    assert "RegionOne" in {r["Region"] for r in regions}


def test_project_create_list_show_set_delete(osc: Cli, server: Server) -> None:
    name = _name("proj")
    p = osc("project", "create", "--description", "made by the CLI", "--tag", "blue", name)
    assert p["name"] == name and p["domain_id"] == "default" and p["enabled"] is True
    assert name in {x["Name"] for x in osc("project", "list")}
    osc("project", "set", "--description", "changed", "--disable", p["id"], fmt=False)
    shown = osc("project", "show", name)
    assert shown["id"] == p["id"] and shown["tags"] == ["blue"]
    assert shown["description"] == "changed" and shown["enabled"] is False
    osc("project", "delete", p["id"], fmt=False)
    token = server.password_token()
    assert http("GET", f"{server.auth_url}/projects/{p['id']}", headers={"X-Auth-Token": token})[0] == 404


def test_user_password_group_and_roles(osc: Cli, server: Server) -> None:
    project, group = osc.many(("project", "create", _name("proj")), ("group", "create", _name("group")))
    uname = _name("user")
    user = osc("user", "create", "--password", "first-secret", "--project", project["id"], uname)
    assert user["name"] == uname and user["default_project_id"] == project["id"]
    osc.many(("group", "add", "user", group["id"], user["id"]),
             ("role", "add", "--user", uname, "--project", project["id"], "member"))
    rows = osc("role", "assignment", "list", "--names", "--project", project["id"])
    assert {(r["Role"], r["User"], r["Project"]) for r in rows} == {
        ("member", f"{uname}@Default", f"{project['name']}@Default")}

    osc("user", "set", "--password", "second-secret", uname, fmt=False)
    token = server.password_token(uname, "second-secret", project=project["name"])
    admin = {"X-Auth-Token": server.password_token()}
    status, _, body = http("GET", f"{server.auth_url}/users/{user['id']}/groups", headers=admin)
    assert status == 200 and [g["id"] for g in body["groups"]] == [group["id"]]

    osc("role", "remove", "--user", uname, "--project", project["id"], "member", fmt=False)
    assert server.validate(token) == 404  # its only role is gone
    osc("user", "delete", uname, fmt=False)
    assert http("GET", f"{server.auth_url}/users/{user['id']}", headers=admin)[0] == 404
    for path in (f"/groups/{group['id']}", f"/projects/{project['id']}"):
        assert http("DELETE", server.auth_url + path, headers=admin)[0] == 204


def test_domain_create_disable_delete(osc: Cli, server: Server) -> None:
    name = _name("dom")
    d = osc("domain", "create", "--description", "a domain", name)
    assert d["name"] == name and d["enabled"] is True
    osc("domain", "set", "--disable", name, fmt=False)
    admin = {"X-Auth-Token": server.password_token()}
    status, _, body = http("GET", f"{server.auth_url}/domains/{d['id']}", headers=admin)
    assert status == 200 and body["domain"]["enabled"] is False
    osc("domain", "delete", d["id"], fmt=False)
    assert http("GET", f"{server.auth_url}/domains/{d['id']}", headers=admin)[0] == 404


def test_application_credential_create_and_authenticate(osc: Cli, server: Server) -> None:
    name = _name("appcred")
    ac = osc("application", "credential", "create", "--role", "member", "--description", "ci", name)
    assert ac["Name"] == name and ac["Secret"]
    assert {r["name"] for r in ac["Roles"]} == {"member"}
    tok = osc("--os-auth-type", "v3applicationcredential",
              "--os-auth-url", server.auth_url, "--os-identity-api-version", "3",
              "--os-application-credential-id", ac["ID"],
              "--os-application-credential-secret", ac["Secret"],
              "token", "issue", cloud=False)
    assert tok["project_id"] == ac["Project ID"]
    status, _, body = http("GET", f"{server.auth_url}/auth/tokens", headers={
        "X-Auth-Token": tok["id"], "X-Subject-Token": tok["id"]})
    assert status == 200
    assert body["token"]["application_credential"]["id"] == ac["ID"]
    assert [r["name"] for r in body["token"]["roles"]] in (["member", "reader"], ["reader", "member"])
