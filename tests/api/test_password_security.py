"""Upstream's security_compliance options: lockout after repeated failures, password
history, minimum age, expiry, change on first use, the password regex."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import recorded
from tests.conftest import CloudFixture, make_cloud


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    yield from recorded(make_cloud(
        tmp_path_factory.mktemp("strict"), lockout_failure_attempts=2, lockout_duration=2,
        unique_last_password_count=2, password_expires_days=30,
        password_regex=r"^.{6,}$", password_regex_description="at least six characters"))


def _auth(cloud: CloudFixture, user_id: str, password: str) -> Any:
    return cloud.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": password}}}}})


def _change(cloud: CloudFixture, user_id: str, old: str, new: str) -> Any:
    return cloud.client.post(f"/identity/v3/users/{user_id}/password",
                             json={"user": {"original_password": old, "password": new}})


def test_lockout(strict: CloudFixture) -> None:
    u = strict.make_user(password="right-pw1")
    assert _auth(strict, u["id"], "wrong1").status_code == 401
    # a success in between resets the count
    assert _auth(strict, u["id"], "right-pw1").status_code == 201
    assert _auth(strict, u["id"], "wrong1").status_code == 401
    assert _auth(strict, u["id"], "wrong2").status_code == 401
    # now locked: even the right password fails
    r = _auth(strict, u["id"], "right-pw1")
    assert r.status_code == 401
    assert "locked" in r.json()["error"]["message"]

    # upstream's change_password authenticates the original password: failures there
    # count too, and a locked account cannot be brute-forced through it
    v = strict.make_user(password="right-pw1")
    assert _change(strict, v["id"], "wrong1", "new-pw-1").status_code == 401
    assert _change(strict, v["id"], "wrong2", "new-pw-1").status_code == 401
    assert _change(strict, v["id"], "right-pw1", "new-pw-1").status_code == 401
    assert _auth(strict, v["id"], "right-pw1").status_code == 401

    time.sleep(2.1)  # lockout_duration
    assert _auth(strict, u["id"], "right-pw1").status_code == 201
    assert _change(strict, v["id"], "right-pw1", "new-pw-1").status_code == 204
    assert _auth(strict, v["id"], "new-pw-1").status_code == 201


def test_admin_unlocks_by_enabling(strict: CloudFixture) -> None:
    u = strict.make_user(password="right-pw1")
    for _ in range(2):
        _auth(strict, u["id"], "wrong")
    assert _auth(strict, u["id"], "right-pw1").status_code == 401
    strict.admin("PATCH", f"/users/{u['id']}", json={"user": {"enabled": True}})
    assert _auth(strict, u["id"], "right-pw1").status_code == 201


def test_ignore_lockout_option(strict: CloudFixture) -> None:
    u = strict.make_user(password="right-pw1", options={"ignore_lockout_failure_attempts": True})
    for _ in range(4):
        assert _auth(strict, u["id"], "wrong").status_code == 401
    assert _auth(strict, u["id"], "right-pw1").status_code == 201


def test_password_history(strict: CloudFixture) -> None:
    u = strict.make_user(password="first-pw1")
    assert _change(strict, u["id"], "first-pw1", "second-pw2").status_code == 204
    # the last two passwords (current included) may not be reused
    r = _change(strict, u["id"], "second-pw2", "first-pw1")
    assert r.status_code == 400
    assert r.json()["error"]["title"] == "Bad Request"
    assert _change(strict, u["id"], "second-pw2", "second-pw2").status_code == 400
    assert _change(strict, u["id"], "second-pw2", "third-pw3").status_code == 204
    # first-pw1 has now dropped out of the last two
    assert _change(strict, u["id"], "third-pw3", "first-pw1").status_code == 204
    assert _auth(strict, u["id"], "first-pw1").status_code == 201


def test_password_regex(strict: CloudFixture) -> None:
    r = strict.admin("POST", "/users", json={"user": {"name": "weak", "password": "short"}})
    assert r.status_code == 400
    assert "at least six characters" in r.json()["error"]["message"]
    u = strict.make_user(password="good-pw1")
    assert _change(strict, u["id"], "good-pw1", "12345").status_code == 400
    assert strict.admin("PATCH", f"/users/{u['id']}", json={"user": {"password": "12345"}}).status_code == 400
    assert _auth(strict, u["id"], "good-pw1").status_code == 201


def test_expiry(strict: CloudFixture) -> None:
    u = strict.make_user(password="exp-pw1")
    expires = u["password_expires_at"]
    assert expires is not None
    when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    assert abs((when - dt.datetime.now(dt.UTC)) - dt.timedelta(days=30)) < dt.timedelta(minutes=5)
    r = _auth(strict, u["id"], "exp-pw1")
    assert r.status_code == 201
    assert r.json()["token"]["user"]["password_expires_at"] is not None

    # thirty-one days later, as far as the stored password is concerned
    from onestack.identity.models import Password

    with strict.cloud.db.session() as s:
        for pw in s.query(Password).filter(Password.user_id == u["id"]):
            pw.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    r = _auth(strict, u["id"], "exp-pw1")
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    # the user may still change it, and then sign in
    assert _change(strict, u["id"], "exp-pw1", "fresh-pw2").status_code == 204
    assert _auth(strict, u["id"], "fresh-pw2").status_code == 201
    # a filter on expiry finds users by it
    r = strict.admin("GET", "/users?password_expires_at=gt:2000-01-01T00:00:00Z")
    assert u["id"] in {x["id"] for x in r.json()["users"]}
    r = strict.admin("GET", "/users?password_expires_at=lt:2000-01-01T00:00:00Z")
    assert u["id"] not in {x["id"] for x in r.json()["users"]}
    assert strict.admin("GET", "/users?password_expires_at=bogus:x").status_code == 400


def test_ignore_password_expiry_option(strict: CloudFixture) -> None:
    u = strict.make_user(password="never-pw1", options={"ignore_password_expiry": True})
    assert u["password_expires_at"] is None


@pytest.fixture(scope="module")
def first_use(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    for fx in recorded(make_cloud(tmp_path_factory.mktemp("firstuse"), minimum_password_age=1)):
        # turned on after bootstrap: as upstream, the bootstrap admin would be bound by it too
        fx.cloud.conf.identity.change_password_upon_first_use = True
        yield fx


def test_change_password_upon_first_use_and_minimum_age(first_use: CloudFixture) -> None:
    u = first_use.make_user(password="given-by-admin")
    r = _auth(first_use, u["id"], "given-by-admin")
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    assert _change(first_use, u["id"], "given-by-admin", "my-own-pw").status_code == 204
    assert _auth(first_use, u["id"], "my-own-pw").status_code == 201
    # minimum age: a self-chosen password must be kept for a day
    r = _change(first_use, u["id"], "my-own-pw", "another-pw")
    assert r.status_code == 400 and "minimum password age" in r.json()["error"]["message"]
    # an admin reset is not bound by it
    assert first_use.admin("PATCH", f"/users/{u['id']}", json={"user": {"password": "reset-pw"}}).status_code == 200
    assert _change(first_use, u["id"], "reset-pw", "another-pw").status_code == 204
