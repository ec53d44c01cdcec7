"""The same answers on SQLite, MariaDB and PostgreSQL (run with ONESTACK_TEST_DB_SERVER):
exact name comparison, four-byte UTF-8, long values, microsecond times, values a
database refuses, and the schema the migrations build matching the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from onestack.core.db import Base
from tests.conftest import CloudFixture


def _u(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:8]


def test_names_compare_exactly(cloud: CloudFixture) -> None:
    base = _u("Name")
    variants = [base, base.lower(), base.upper(), base + " ", "\u00c9" + base, "E\u0301" + base]
    for v in variants:
        assert cloud.admin("POST", "/projects", json={"project": {"name": v}}).status_code == 201, v
        assert cloud.admin("POST", "/groups", json={"group": {"name": v}}).status_code == 201, v
        assert cloud.admin("POST", "/roles", json={"role": {"name": v}}).status_code == 201, v
        cloud.make_user(name=v)
    for v in variants:
        for coll in ("projects", "groups", "roles", "users"):
            r = cloud.admin("GET", f"/{coll}", params={"name": v})
            assert [x["name"] for x in r.json()[coll]] == [v], (coll, v)
    # duplicates are still duplicates
    assert cloud.admin("POST", "/projects", json={"project": {"name": base}}).status_code == 409
    assert cloud.admin("POST", "/users", json={"user": {"name": base + " "}}).status_code == 409
    # only the exact user name authenticates
    cloud.token(base, "pw-secret")
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": base + "x", "domain": {"id": "default"}, "password": "pw-secret"}}}}})
    assert r.status_code == 401


def test_tags_differing_in_case(cloud: CloudFixture) -> None:
    r = cloud.admin("POST", "/projects", json={"project": {"name": _u(), "tags": ["tag", "Tag", "tag "]}})
    assert r.status_code == 201, r.text
    assert sorted(r.json()["project"]["tags"]) == ["Tag", "tag", "tag "]
    found = cloud.admin("GET", "/projects", params={"tags": "Tag"}).json()["projects"]
    assert [p["id"] for p in found] == [r.json()["project"]["id"]]


def test_four_byte_utf8(cloud: CloudFixture) -> None:
    name = "proj \U0001f984 " + _u()
    r = cloud.admin("POST", "/projects", json={"project": {"name": name, "description": "\U0001f680" * 100}})
    assert r.status_code == 201, r.text
    got = cloud.admin("GET", f"/projects/{r.json()['project']['id']}").json()["project"]
    assert got["name"] == name and got["description"] == "\U0001f680" * 100


def test_long_values(cloud: CloudFixture) -> None:
    big = "d" * 100_000  # more than a MySQL TEXT (64 KiB)
    p = cloud.admin("POST", "/projects", json={"project": {"name": _u(), "description": big}})
    assert p.status_code == 201, p.text
    assert cloud.admin("GET", f"/projects/{p.json()['project']['id']}").json()["project"]["description"] == big
    u = cloud.make_user(email="e" * 300, nickname="n" * 70_000)
    got = cloud.admin("GET", f"/users/{u['id']}").json()["user"]
    assert len(got["email"]) == 300 and len(got["nickname"]) == 70_000
    r = cloud.admin("POST", "/regions", json={"region": {"id": _u("r"), "description": "r" * 300}})
    assert r.status_code == 201, r.text
    # past a column's width: refused by the schema everywhere, never a 500
    assert cloud.admin("POST", "/projects", json={"project": {"name": "p" * 65}}).status_code == 400
    assert cloud.admin("POST", "/users", json={"user": {"name": "u" * 256}}).status_code == 400


def test_values_a_database_refuses_are_not_500(cloud: CloudFixture) -> None:
    # PostgreSQL cannot store or compare NUL characters; the others can
    r = cloud.admin("POST", "/users", json={"user": {"name": "nul\u0000" + _u()}})
    assert r.status_code in (201, 400), r.text
    r = cloud.admin("GET", "/users", params={"name": "nul\u0000x"})
    assert r.status_code in (200, 400), r.text
    r = cloud.admin("GET", "/projects", params={"name__contains": "\u0000"})
    assert r.status_code in (200, 400), r.text


@pytest.mark.parametrize("where", [
    {"password": {"user": {"name": 5, "domain": {"id": "default"}, "password": "x"}}},
    {"password": {"user": {"id": ["x"], "password": "x"}}},
    {"password": {"user": {"name": "admin", "domain": {"id": 5}, "password": "x"}}},
    {"password": {"user": {"name": "admin", "domain": {"name": {"a": 1}}, "password": "x"}}},
    {"application_credential": {"name": 5, "secret": "x", "user": {"name": "admin", "domain": {"id": "default"}}}},
    {"application_credential": {"id": 5, "secret": "x"}},
    {"token": {"id": 5}},
])
def test_wrongly_typed_auth_fields_are_400(cloud: CloudFixture, where: dict) -> None:
    method = next(iter(where))
    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": [method], **where}}})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("scope", [
    {"project": {"name": 7, "domain": {"id": "default"}}},
    {"project": {"name": "admin", "domain": {"id": 7}}},
    {"project": {"id": 7}},
    {"domain": {"name": 7}},
    {"domain": {"id": True}},
])
def test_wrongly_typed_scope_is_400(cloud: CloudFixture, scope: dict) -> None:
    from tests.conftest import ADMIN_PASSWORD

    r = cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": scope}})
    assert r.status_code == 400, r.text


def test_microsecond_times_round_trip(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, _ = cloud.persona("member", project_id=p["id"])
    tok = cloud.token(u["name"], "pw-secret", project_id=p["id"])
    when = "2099-01-02T03:04:05.123456Z"
    r = cloud.req("POST", f"/users/{u['id']}/application_credentials", tok,
                  json={"application_credential": {"name": _u(), "expires_at": when}})
    assert r.status_code == 201, r.text
    ac = r.json()["application_credential"]
    got = cloud.req("GET", f"/users/{u['id']}/application_credentials/{ac['id']}", tok).json()
    assert got["application_credential"]["expires_at"].startswith("2099-01-02T03:04:05.123456")
    assert got["application_credential"]["expires_at"] == ac["expires_at"]


def test_migrations_build_what_the_models_describe(cloud: CloudFixture) -> None:
    with cloud.cloud.db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
