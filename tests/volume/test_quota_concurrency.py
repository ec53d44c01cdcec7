"""Quotas under concurrency: racing creates never take a project past a limit.

Each test lets 16 requests of one project start at once through the API.  Exactly as
many succeed as the quota leaves room for, every other one gets Cinder's 413 (none a
5xx), and afterwards the project's usage is the limit, not more.  Runs on SQLite, and
on MariaDB or PostgreSQL with ONESTACK_TEST_DB_SERVER (see tests/conftest.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.concurrency import THREADS, race
from tests.volume.conftest import VolumeFixture


def _project(cinder: VolumeFixture, **quota: int) -> tuple[str, str]:
    """A member's token on a new project with ``quota`` set."""
    token, pid, _ = cinder.member()
    r = cinder.req("PUT", f"/os-quota-sets/{pid}", json={"quota_set": quota})
    assert r.status_code == 200, r.text
    return token, pid


def _outcome(responses: list[Any], ok: int, won: int, message: str) -> None:
    codes = sorted(r.status_code for r in responses)
    assert codes == [ok] * won + [413] * (len(responses) - won), [
        (r.status_code, r.text) for r in responses if r.status_code != ok]
    for r in responses:
        if r.status_code == 413:
            assert r.json() == {"overLimit": {"code": 413, "message": message}}


def _in_use(cinder: VolumeFixture, pid: str, token: str) -> dict[str, int]:
    cinder.vm.wait_idle()
    r = cinder.req("GET", f"/os-quota-sets/{pid}?usage=true", token)
    assert r.status_code == 200, r.text
    return {k: v["in_use"] for k, v in r.json()["quota_set"].items() if isinstance(v, dict)}


def _volumes(cinder: VolumeFixture, token: str, n: int) -> list[str]:
    return [cinder.volume(token)["id"] for _ in range(n)]


def test_racing_creates_stop_at_the_volumes_quota(cinder: VolumeFixture) -> None:
    token, pid = _project(cinder, volumes=5)
    rs = race(lambda i: cinder.req("POST", "/volumes", token, json={"volume": {"size": 1, "name": f"r{i}"}}))
    _outcome(rs, 202, 5, "Maximum number of volumes allowed (5) exceeded for quota 'volumes'.")
    assert len(cinder.req("GET", "/volumes", token).json()["volumes"]) == 5
    used = _in_use(cinder, pid, token)
    assert (used["volumes"], used["gigabytes"]) == (5, 5)


def test_racing_creates_stop_at_the_gigabytes_quota(cinder: VolumeFixture) -> None:
    token, pid = _project(cinder, volumes=-1, gigabytes=10)
    rs = race(lambda i: cinder.req("POST", "/volumes", token, json={"volume": {"size": 2}}))
    _outcome(rs, 202, 5, "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
                         "gigabytes quota. Requested 2G, quota is 10G and 10G has been consumed.")
    assert sorted(v["size"] for v in cinder.req("GET", "/volumes/detail", token).json()["volumes"]) == [2] * 5
    assert _in_use(cinder, pid, token)["gigabytes"] == 10


def test_racing_creates_stop_at_a_per_type_quota(cinder: VolumeFixture) -> None:
    name = "gold-" + uuid.uuid4().hex[:6]
    r = cinder.req("POST", "/types", json={"volume_type": {"name": name}})
    assert r.status_code == 200, r.text
    token, pid = _project(cinder, volumes=-1, **{f"volumes_{name}": 3})
    rs = race(lambda i: cinder.req("POST", "/volumes", token, json={"volume": {"size": 1, "volume_type": name}}))
    _outcome(rs, 202, 3, f"Maximum number of volumes_{name} allowed (3) exceeded for quota 'volumes_{name}'.")
    used = _in_use(cinder, pid, token)
    assert (used["volumes"], used[f"volumes_{name}"]) == (3, 3)


@pytest.mark.parametrize("kind", ["snapshots", "backups"])
def test_racing_snapshots_and_backups_stop_at_their_quota(cinder: VolumeFixture, kind: str) -> None:
    token, pid = _project(cinder, volumes=-1, **{kind: 4})
    vols = _volumes(cinder, token, THREADS)
    rs = race(lambda i: cinder.req("POST", f"/{kind}", token, json={kind[:-1]: {"volume_id": vols[i]}}))
    _outcome(rs, 202, 4, f"Maximum number of {kind} allowed (4) exceeded for quota '{kind}'.")
    assert len(cinder.req("GET", f"/{kind}", token).json()[kind]) == 4
    used = _in_use(cinder, pid, token)
    # snapshots count among the project's gigabytes, backups among its backup_gigabytes
    assert (used[kind], used["gigabytes"], used["backup_gigabytes"]) == (
        (4, THREADS + 4, 0) if kind == "snapshots" else (4, THREADS, 4))


def test_racing_extends_stop_at_the_gigabytes_quota(cinder: VolumeFixture) -> None:
    token, pid = _project(cinder, volumes=-1, gigabytes=THREADS + 4)
    vols = _volumes(cinder, token, THREADS)
    rs = race(lambda i: cinder.req("POST", f"/volumes/{vols[i]}/action", token,
                                    json={"os-extend": {"new_size": 2}}))
    _outcome(rs, 202, 4, f"VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
                         f"gigabytes quota. Requested 1G, quota is {THREADS + 4}G and {THREADS + 4}G has been "
                         "consumed.")
    assert _in_use(cinder, pid, token)["gigabytes"] == THREADS + 4
    sizes = sorted(v["size"] for v in cinder.req("GET", "/volumes/detail", token).json()["volumes"])
    assert sizes == [1] * (THREADS - 4) + [2] * 4
    # the extends are done: nothing is held for them any more
    r = cinder.req("GET", f"/os-quota-sets/{pid}?usage=true", token)
    assert r.json()["quota_set"]["gigabytes"]["reserved"] == 0
