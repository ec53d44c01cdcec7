"""openstacksdk against ``onestack serve``: ``openstack.connect(cloud="onestack")`` with
the clouds.yaml the server wrote, then the identity proxy."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.conftest import Server

openstack = pytest.importorskip("openstack")

pytestmark = [
    pytest.mark.compat,
    # the SDK announces its own future removals (PendingDeprecationWarning subclasses)
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def conn(server: Server) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OS_CLIENT_CONFIG_FILE", str(server.clouds_yaml))
        for var in [v for v in os.environ if v.startswith("OS_") and v != "OS_CLIENT_CONFIG_FILE"]:
            mp.delenv(var)
        c = openstack.connect(cloud="onestack")
    yield c
    c.close()


def _connect(server: Server, **auth: Any) -> Any:
    """A connection from explicit arguments only (no clouds.yaml, no OS_* variables)."""
    auth_type = auth.pop("auth_type", "password")
    return openstack.connect(load_yaml_config=False, load_envvars=False, auth_type=auth_type,
                             auth={"auth_url": server.auth_url, **auth})


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_projects(conn: Any) -> None:
    name = _name("sdk-proj")
    p = conn.identity.create_project(name=name, domain_id="default", description="from the sdk",
                                     tags=["a", "b"])
    assert p.id and p.name == name and p.is_enabled
    assert name in {x.name for x in conn.identity.projects()}
    assert conn.identity.find_project(name, ignore_missing=False).id == p.id
    conn.identity.update_project(p, description="updated", is_enabled=False)
    got = conn.identity.get_project(p.id)
    assert got.description == "updated" and got.is_enabled is False and sorted(got.tags) == ["a", "b"]
    conn.identity.delete_project(p)
    assert conn.identity.find_project(p.id, ignore_missing=True) is None


def test_users_roles_and_assignments(conn: Any, server: Server) -> None:
    project = conn.identity.create_project(name=_name("sdk-proj"), domain_id="default")
    user = conn.identity.create_user(name=_name("sdk-user"), password="sdk-secret",
                                     domain_id="default", email="u@example.org")
    assert conn.identity.get_user(user.id).email == "u@example.org"
    role = conn.identity.create_role(name=_name("sdk-role"))
    member = conn.identity.find_role("member", ignore_missing=False)
    assert {"admin", "member", "reader", role.name} <= {r.name for r in conn.identity.roles()}

    conn.identity.assign_project_role_to_user(project, user, member)
    conn.identity.assign_project_role_to_user(project, user, role)
    assert conn.identity.validate_user_has_project_role(project, user, member)
    direct = {a.role["id"] for a in conn.identity.role_assignments(user_id=user.id)}
    assert direct == {member.id, role.id}
    effective = list(conn.identity.role_assignments(user_id=user.id, effective=True,
                                                    include_names=True))
    assert {a.role["name"] for a in effective} >= {"member", "reader", role.name}
    assert all(a.scope["project"]["id"] == project.id for a in effective)

    # the user itself, through the sdk
    as_user = _connect(server, username=user.name, password="sdk-secret", user_domain_id="default",
                       project_id=project.id)
    try:
        assert as_user.current_user_id == user.id and as_user.current_project_id == project.id
    finally:
        as_user.close()

    conn.identity.unassign_project_role_from_user(project, user, role)
    assert not conn.identity.validate_user_has_project_role(project, user, role)
    conn.identity.delete_role(role)
    conn.identity.delete_user(user)
    conn.identity.delete_project(project)
    assert conn.identity.find_user(user.id, ignore_missing=True) is None


def test_application_credentials(conn: Any, server: Server) -> None:
    me = conn.current_user_id
    name = _name("sdk-ac")
    ac = conn.identity.create_application_credential(user=me, name=name, roles=[{"name": "reader"}],
                                                     description="sdk")
    assert ac.secret and ac.project_id == conn.current_project_id
    assert name in {x.name for x in conn.identity.application_credentials(user=me)}
    assert conn.identity.get_application_credential(me, ac.id).name == name

    via_ac = _connect(server, auth_type="v3applicationcredential",
                      application_credential_id=ac.id, application_credential_secret=ac.secret)
    try:
        assert via_ac.current_user_id == me
        assert via_ac.current_project_id == conn.current_project_id
        roles = via_ac.session.auth.get_access(via_ac.session).role_names
        assert roles == ["reader"]
    finally:
        via_ac.close()

    conn.identity.delete_application_credential(me, ac)
    assert conn.identity.find_application_credential(me, name, ignore_missing=True) is None
