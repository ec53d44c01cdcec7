"""The people protection tests act as, in one cloud per module.

Default domain: project ``p`` (with readers, a member and an admin) and project ``q``
(another tenant's member).  Domain ``b``: project ``pb``, a user ``ub``, a group, and a
domain-scoped admin, reader and manager.  Plus a system reader.  Outcomes follow
upstream Keystone's default policies (``onestack/identity/policies.py``), under which
the ``admin`` role is an administrator whatever the scope of its token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import CloudFixture


@dataclass
class Persona:
    name: str
    user: dict[str, Any]
    token: str


@dataclass
class World:
    cloud: CloudFixture
    p: dict[str, Any]
    q: dict[str, Any]
    b: dict[str, Any]
    pb: dict[str, Any]
    ub: dict[str, Any]
    ud: dict[str, Any]
    group_d: dict[str, Any]
    group_b: dict[str, Any]
    people: dict[str, Persona] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Persona:
        return self.people[name]

    def req(self, who: str, method: str, path: str, **kw: Any) -> Any:
        return self.cloud.req(method, path, self.people[who].token, **kw)


def _group(cloud: CloudFixture, domain_id: str) -> dict[str, Any]:
    r = cloud.admin("POST", "/groups", json={"group": {"name": "g-" + uuid.uuid4().hex[:8], "domain_id": domain_id}})
    assert r.status_code == 201, r.text
    return r.json()["group"]


@pytest.fixture(scope="module")
def world(cloud: CloudFixture) -> World:
    p, q = cloud.make_project(), cloud.make_project()
    b = cloud.make_domain()
    pb = cloud.make_project(domain_id=b["id"])
    w = World(cloud=cloud, p=p, q=q, b=b, pb=pb, ub=cloud.make_user(domain_id=b["id"]), ud=cloud.make_user(),
              group_d=_group(cloud, "default"), group_b=_group(cloud, b["id"]))
    specs = {
        "project_reader": dict(role="reader", project_id=p["id"]),
        "project_member": dict(role="member", project_id=p["id"]),
        "project_admin": dict(role="admin", project_id=p["id"]),
        "other_member": dict(role="member", project_id=q["id"]),
        "domain_admin": dict(role="admin", domain_id=b["id"], user_domain=b["id"]),
        "domain_reader": dict(role="reader", domain_id=b["id"], user_domain=b["id"]),
        "domain_manager": dict(role="manager", domain_id=b["id"], user_domain=b["id"]),
        "system_reader": dict(role="reader", system=True),
    }
    for name, spec in specs.items():
        role = spec.pop("role")
        user, tok = cloud.persona(role, **spec)
        w.people[name] = Persona(name, user, tok)
    return w


PROJECT_PERSONAS = ["project_reader", "project_member", "project_admin", "other_member"]
ALL = [*PROJECT_PERSONAS, "domain_admin", "domain_reader", "domain_manager", "system_reader"]
