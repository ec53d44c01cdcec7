"""Shared fixtures: an in-process cloud per test module, and factories for the
resources tests need (projects, users with roles, tokens).

Set ONESTACK_TEST_DB_SERVER to a server URL without a database name
(``mysql+pymysql://root@127.0.0.1:3306/`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/``)
to run the same tests against MariaDB or PostgreSQL: each cloud gets a fresh database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from onestack.app import Cloud
from onestack.core import config

ADMIN_PASSWORD = "admin-secret"


def _fresh_database(server: str) -> tuple[str, Any]:
    name = "onestack_test_" + uuid.uuid4().hex[:10]
    admin_db = "postgres" if server.startswith("postgresql") else ""
    engine = sa.create_engine(server + admin_db, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as e:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"database server {server} not reachable: {e}")

    def drop() -> None:
        with engine.connect() as c:
            if server.startswith("postgresql"):
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()

    return server + name, drop


@dataclass
class CloudFixture:
    cloud: Cloud
    client: TestClient
    admin_token: str

    def token(self, username: str, password: str, *, project_id: str | None = None,
              domain_id: str | None = None, system: bool = False, user_domain: str = "default") -> str:
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {
            "user": {"name": username, "domain": {"id": user_domain}, "password": password}}}}
        if project_id:
            auth["scope"] = {"project": {"id": project_id}}
        elif domain_id:
            auth["scope"] = {"domain": {"id": domain_id}}
        elif system:
            auth["scope"] = {"system": {"all": True}}
        r = self.client.post("/identity/v3/auth/tokens", json={"auth": auth})
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"]

    def req(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if token is not None:
            headers["X-Auth-Token"] = token
        return self.client.request(method, "/identity/v3" + path, headers=headers, **kw)

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        return self.req(method, path, self.admin_token, **kw)

    def role_id(self, name: str) -> str:
        r = self.admin("GET", f"/roles?name={name}")
        return r.json()["roles"][0]["id"]

    def make_project(self, name: str | None = None, domain_id: str = "default") -> dict[str, Any]:
        r = self.admin("POST", "/projects", json={"project": {"name": name or "p-" + uuid.uuid4().hex[:8], "domain_id": domain_id}})
        assert r.status_code == 201, r.text
        return r.json()["project"]

    def make_domain(self, name: str | None = None) -> dict[str, Any]:
        r = self.admin("POST", "/domains", json={"domain": {"name": name or "d-" + uuid.uuid4().hex[:8]}})
        assert r.status_code == 201, r.text
        return r.json()["domain"]

    def make_user(self, name: str | None = None, password: str = "pw-secret", domain_id: str = "default",
                  **extra: Any) -> dict[str, Any]:
        body = {"name": name or "u-" + uuid.uuid4().hex[:8], "password": password, "domain_id": domain_id, **extra}
        r = self.admin("POST", "/users", json={"user": body})
        assert r.status_code == 201, r.text
        return r.json()["user"]

    def grant(self, user_id: str, role: str, *, project_id: str | None = None, domain_id: str | None = None,
              system: bool = False) -> None:
        rid = self.role_id(role)
        if project_id:
            path = f"/projects/{project_id}/users/{user_id}/roles/{rid}"
        elif domain_id:
            path = f"/domains/{domain_id}/users/{user_id}/roles/{rid}"
        else:
            path = f"/system/users/{user_id}/roles/{rid}"
        r = self.admin("PUT", path)
        assert r.status_code == 204, r.text

    def persona(self, role: str, *, project_id: str | None = None, domain_id: str | None = None,
                system: bool = False, user_domain: str = "default") -> tuple[dict[str, Any], str]:
        """A new user holding ``role`` on the target, and a token scoped to it."""
        u = self.make_user(domain_id=user_domain)
        self.grant(u["id"], role, project_id=project_id, domain_id=domain_id, system=system)
        return u, self.token(u["name"], "pw-secret", project_id=project_id, domain_id=domain_id,
                             system=system, user_domain=user_domain)


def make_cloud(tmp_path: Any, *, extra: dict[str, Any] | None = None, **identity: Any) -> Iterator[CloudFixture]:
    """A cloud in ``tmp_path``; ``identity`` settings as keywords, any other settings in
    ``extra`` (e.g. ``{"services": {"enabled": [...]}, "network": {"driver": "noop"}}``)."""
    overrides: dict[str, Any] = {
        "data_dir": str(tmp_path),
        "identity": {"password_hash_rounds": 4, **identity},
        "bootstrap": {"admin_password": ADMIN_PASSWORD},
        "server": {"public_url": "http://testserver"},
    }
    drop = None
    server = os.environ.get("ONESTACK_TEST_DB_SERVER")
    if server:
        url, drop = _fresh_database(server)
        overrides["database"] = {"url": url}
    if extra:
        overrides = config._merge(overrides, extra)
    conf = config.load(overrides=overrides, environ={})
    cloud = Cloud.build(conf)
    try:
        cloud.prepare()
        with TestClient(cloud.asgi()) as client:
            fx = CloudFixture(cloud=cloud, client=client, admin_token="")
            fx.admin_token = fx.token("admin", ADMIN_PASSWORD, project_id=_admin_project(fx))
            yield fx
    finally:
        # also when prepare() fails: no leaked connections, no leftover test database
        cloud.db.dispose()
        if drop:
            drop()


def _admin_project(fx: CloudFixture) -> str:
    with fx.cloud.db.session() as s:
        return fx.cloud.identity.resource.project_by_name(s, "admin", "default").id


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    yield from make_cloud(tmp_path_factory.mktemp("cloud"))


@pytest.fixture
def fresh_cloud(tmp_path: Any) -> Iterator[CloudFixture]:
    yield from make_cloud(tmp_path)
