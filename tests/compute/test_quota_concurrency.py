"""Compute quotas under concurrency: racing server creates, server group and key
pair creates and resizes never take a project (a server group, a user) past a limit.

Each test lets 16 requests of one project (``POST /servers``, ``/os-server-groups``,
``/os-keypairs``, a resize) start at once through the API (fake compute driver).
Exactly as many succeed as the quota leaves room for, every other one gets Nova's
403 (none a 5xx), and afterwards the project has that many, not more.  Runs on SQLite, and on MariaDB or PostgreSQL with
ONESTACK_TEST_DB_SERVER (see tests/conftest.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.compute.conftest import ComputeFixture
from tests.concurrency import race


def _project(nova: ComputeFixture, **quota: int) -> tuple[str, str]:
    """A member's token on a new project with ``quota`` set, and the project's id."""
    token, pid, _ = nova.member()
    r = nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": quota})
    assert r.status_code == 200, r.text
    return token, pid


def _boot(nova: ComputeFixture, token: str, i: int, hints: dict[str, Any] | None = None, **server: Any) -> Any:
    body = {"name": f"race-{i}", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none", **server}
    return nova.req("POST", "/servers", token, "2.37",
                    json={"server": body, **({"os:scheduler_hints": hints} if hints else {})})


def _outcome(responses: list[Any], won: int, message: str, ok: int = 202) -> None:
    codes = sorted(r.status_code for r in responses)
    assert codes == sorted([ok] * won + [403] * (len(responses) - won)), (
        Counter(codes), [(r.status_code, r.text) for r in responses if r.status_code not in (ok, 403)])
    for r in responses:
        if r.status_code == 403:
            assert r.json() == {"forbidden": {"code": 403, "message": message}}


def _used(nova: ComputeFixture, token: str) -> dict[str, int]:
    nova.drain()
    a = nova.req("GET", "/limits", token).json()["limits"]["absolute"]
    return {"instances": a["totalInstancesUsed"], "cores": a["totalCoresUsed"], "ram": a["totalRAMUsed"]}


def test_racing_creates_stop_at_the_instances_quota(nova: ComputeFixture) -> None:
    token, _ = _project(nova, instances=5)
    rs = race(lambda i: _boot(nova, token, i))
    _outcome(rs, 5, "Quota exceeded for instances: Requested 1, but already used 5 of 5 instances")
    assert len(nova.req("GET", "/servers", token).json()["servers"]) == 5
    assert _used(nova, token) == {"instances": 5, "cores": 5, "ram": 5 * 128}


@pytest.mark.parametrize(("resource", "flavor", "limit", "size"), [
    ("cores", "3", 10, 2),      # m1.medium: 2 vCPUs, 4096 MiB
    ("ram", "42", 640, 128),    # m1.nano: 1 vCPU, 128 MiB
])
def test_racing_creates_stop_at_the_cores_and_ram_quota(nova: ComputeFixture, resource: str, flavor: str,
                                                         limit: int, size: int) -> None:
    token, _ = _project(nova, **{"instances": -1, "cores": -1, "ram": -1, resource: limit})
    rs = race(lambda i: _boot(nova, token, i, flavorRef=flavor))
    _outcome(rs, 5, f"Quota exceeded for {resource}: Requested {size}, but already used {limit} of {limit} "
                    f"{resource}")
    assert len(nova.req("GET", "/servers", token).json()["servers"]) == 5
    assert _used(nova, token)[resource] == limit


def test_racing_creates_stop_at_the_server_group_members_quota(nova: ComputeFixture) -> None:
    token, _ = _project(nova, instances=-1, server_group_members=3)
    r = nova.req("POST", "/os-server-groups", token, json={"server_group": {"name": "g", "policies": ["affinity"]}})
    assert r.status_code == 200, r.text
    gid = r.json()["server_group"]["id"]
    rs = race(lambda i: _boot(nova, token, i, hints={"group": gid}))
    _outcome(rs, 3, "Quota exceeded, too many servers in group")
    members = nova.req("GET", f"/os-server-groups/{gid}", token).json()["server_group"]["members"]
    assert len(members) == 3
    assert len(nova.req("GET", "/servers", token).json()["servers"]) == 3


def test_a_quota_update_racing_creates_is_never_below_what_they_made(nova: ComputeFixture) -> None:
    token, pid = _project(nova, instances=-1)
    rs = race(lambda i: nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"instances": 4}})
               if i == 0 else _boot(nova, token, i))
    update, boots = rs[0], rs[1:]
    servers = len(nova.req("GET", "/servers", token).json()["servers"])
    if update.status_code == 200:
        # the update came first, or after at most 4 creates: the others stop at 4
        _outcome(boots, 4, "Quota exceeded for instances: Requested 1, but already used 4 of 4 instances")
        assert servers == 4
    else:
        # more than 4 were made before it: it is refused, and none of the creates is
        assert update.status_code == 400, update.text
        assert update.json()["badRequest"]["message"].startswith("Quota limit 4 for instances must be greater")
        _outcome(boots, len(boots), "")
        assert servers == len(boots)


def test_racing_server_group_creates_stop_at_the_server_groups_quota(nova: ComputeFixture) -> None:
    token, _ = _project(nova, server_groups=3)
    rs = race(lambda i: nova.req("POST", "/os-server-groups", token, "2.64",
                                 json={"server_group": {"name": f"g-{i}", "policy": "anti-affinity"}}))
    _outcome(rs, 3, "Quota exceeded, too many server groups.", ok=200)
    assert len(nova.req("GET", "/os-server-groups", token).json()["server_groups"]) == 3
    assert nova.req("GET", "/limits", token).json()["limits"]["absolute"]["totalServerGroupsUsed"] == 3


def test_racing_key_pair_imports_stop_at_the_key_pairs_quota(nova: ComputeFixture) -> None:
    from onestack.compute.manager.keypairs import generate

    token, _ = _project(nova, key_pairs=3)
    public = generate()[1]
    rs = race(lambda i: nova.req("POST", "/os-keypairs", token, "2.2",
                                 json={"keypair": {"name": f"k-{i}", "public_key": public}}))
    _outcome(rs, 3, "Quota exceeded, too many key pairs.", ok=201)
    assert sorted(k["keypair"]["name"] for k in nova.req("GET", "/os-keypairs", token).json()["keypairs"]) == \
        sorted(r.json()["keypair"]["name"] for r in rs if r.status_code == 201)


def test_racing_resizes_stop_at_the_cores_quota(nova: ComputeFixture) -> None:
    token, pid = _project(nova, instances=-1, cores=-1, ram=-1)
    r = nova.admin("POST", "/flavors", json={"flavor": {"name": f"race-2c-{pid}", "ram": 128, "vcpus": 2,
                                                         "disk": 1}})
    assert r.status_code == 200, r.text
    bigger = r.json()["flavor"]["id"]
    r = _boot(nova, token, 0, min_count=16, max_count=16)
    assert r.status_code == 202, r.text
    sids = [s["id"] for s in nova.req("GET", "/servers", token).json()["servers"]]
    assert len(sids) == 16
    for sid in sids:
        nova.wait(sid, "ACTIVE", token)
    r = nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"cores": 19}})  # room for 3 more
    assert r.status_code == 200, r.text
    # each resize from m1.nano (1 vCPU) asks for 1 core more; the worker may or may not have resized
    # the first ones when the last ones check
    rs = race(lambda i: nova.action(sids[i], {"resize": {"flavorRef": bigger}}, token))
    _outcome(rs, 3, "Quota exceeded for cores: Requested 1, but already used 19 of 19 cores")
    resized = [sid for sid, r in zip(sids, rs, strict=True) if r.status_code == 202]
    assert [nova.wait(sid, "VERIFY_RESIZE", token, "2.47")["flavor"]["vcpus"] for sid in resized] == [2, 2, 2]
    assert _used(nova, token)["cores"] == 19
