"""``onestack serve`` on each supported database: the embedded SQLite default, and a
fresh database on the local MariaDB and PostgreSQL servers (ONESTACK_DATABASE__URL).

A server that is not reachable skips its case, with the reason printed, unless
CI=true: then it fails.  Override the server URLs with ONESTACK_TEST_MARIADB_URL and
ONESTACK_TEST_POSTGRESQL_URL (without a database name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import Server, fresh_database, http

pytestmark = pytest.mark.compat


@pytest.mark.parametrize("kind", ["sqlite", "mariadb", "postgresql"])
def test_serve_on_database(kind: str, tmp_path: Path) -> None:
    env: dict[str, str] = {}
    drop = None
    if kind != "sqlite":
        url, drop = fresh_database(kind)
        env["ONESTACK_DATABASE__URL"] = url
    srv = Server(tmp_path / "data", env=env)
    try:
        srv.start()
        if kind == "sqlite":
            assert (srv.data_dir / "onestack.db").is_file()
        else:
            assert not (srv.data_dir / "onestack.db").exists()
        admin = srv.password_token()
        h = {"X-Auth-Token": admin}
        # names that differ only in case or a trailing space are different names on
        # every backend; four-byte UTF-8 survives
        names = ["Émoji 🦄 project", "émoji 🦄 project", "Émoji 🦄 project "]
        ids = []
        for name in names:
            status, _, body = http("POST", srv.auth_url + "/projects", {"project": {
                "name": name, "description": "x" * 70_000, "tags": ["t", "T"]}}, headers=h)
            assert status == 201, body
            ids.append(body["project"]["id"])
        status, _, body = http("POST", srv.auth_url + "/projects", {"project": {"name": names[0]}}, headers=h)
        assert status == 409, body
        status, _, body = http("GET", srv.auth_url + "/projects", headers=h)
        listed = {p["name"]: p for p in body["projects"]}
        assert set(names) <= set(listed)
        assert len(listed[names[0]]["description"]) == 70_000
        assert sorted(listed[names[0]]["tags"]) == ["T", "t"]

        status, _, body = http("POST", srv.auth_url + "/users", {"user": {
            "name": "dbuser", "password": "db-secret", "email": "e" * 300}}, headers=h)
        assert status == 201, body
        user_id = body["user"]["id"]
        status, _, body = http("PUT", f"{srv.auth_url}/projects/{ids[0]}/users/{user_id}/roles/"
                               + _role_id(srv, admin, "member"), headers=h)
        assert status == 204, body
        user_token = srv.password_token("dbuser", "db-secret", project=names[0])

        rc, _ = srv.stop()
        assert rc == 0, srv.output()
        srv.start()
        assert srv.validate(user_token, auth_token=admin) == 200
        status, _, body = http("GET", f"{srv.auth_url}/projects/{ids[2]}", headers=h)
        assert status == 200 and body["project"]["name"] == names[2]
        status, _, body = http("DELETE", f"{srv.auth_url}/users/{user_id}", headers=h)
        assert status == 204
        assert srv.validate(user_token, auth_token=admin) == 404
        rc, _ = srv.stop()
        assert rc == 0, srv.output()
        assert "Traceback" not in srv.output()
    finally:
        srv.kill()
        if drop:
            drop()


def _role_id(srv: Server, token: str, name: str) -> str:
    status, _, body = http("GET", f"{srv.auth_url}/roles?name={name}", headers={"X-Auth-Token": token})
    assert status == 200
    return str(body["roles"][0]["id"])
