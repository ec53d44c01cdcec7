"""Protection per persona (as Neutron's defaults): admin, member, reader of the
owning project, and a member of another project."""

from __future__ import annotations

import pytest

from tests.network.conftest import NetFixture


@pytest.fixture(scope="module")
def res(net: NetFixture) -> dict:
    n = net.network()
    s = net.subnet(n["id"], "10.40.0.0/24")
    p = net.port(n["id"])
    pool = net.ok("POST", "/subnetpools", net.member, 201, json={"subnetpool": {
        "name": "pp", "prefixes": ["10.140.0.0/16"]}})["subnetpool"]
    return {"networks": n, "subnets": s, "ports": p, "subnetpools": pool}


READS = ["networks", "subnets", "ports", "subnetpools"]


@pytest.mark.parametrize("coll", READS)
def test_reads(net: NetFixture, res: dict, coll: str) -> None:
    rid = res[coll]["id"]
    for token, status in ((None, 200), (net.member, 200), (net.reader, 200), (net.other, 404)):
        r = net.req("GET", f"/{coll}/{rid}", token)
        assert r.status_code == status, (coll, status, r.text)
        listed = {x["id"] for x in net.ok("GET", f"/{coll}", token)[coll]}
        assert (rid in listed) == (status == 200)


@pytest.mark.parametrize("coll", READS)
def test_writes(net: NetFixture, res: dict, coll: str) -> None:
    rid = res[coll]["id"]
    member = coll[:-1]
    r = net.req("PUT", f"/{coll}/{rid}", net.reader, json={member: {"name": "x"}})
    assert r.status_code == 403, r.text
    assert r.json()["NeutronError"]["type"] == "PolicyNotAuthorized"
    assert net.req("PUT", f"/{coll}/{rid}", net.other, json={member: {"name": "x"}}).status_code == 404
    assert net.req("DELETE", f"/{coll}/{rid}", net.reader).status_code == 403
    assert net.req("DELETE", f"/{coll}/{rid}", net.other).status_code == 404
    assert net.req("PUT", f"/{coll}/{rid}", net.member, json={member: {"name": "m"}}).status_code == 200
    assert net.req("PUT", f"/{coll}/{rid}", json={member: {"name": "a"}}).status_code == 200


def test_creates(net: NetFixture) -> None:
    assert net.req("POST", "/networks", net.reader, json={"network": {}}).status_code == 403
    r = net.req("POST", "/networks", net.member, json={"network": {"project_id": net.other_project_id}})
    assert r.status_code == 400
    n = net.ok("POST", "/networks", status=201, json={"network": {"project_id": net.other_project_id}})
    assert n["network"]["project_id"] == net.other_project_id
    assert net.req("GET", f"/networks/{n['network']['id']}", net.other).status_code == 200
    assert net.req("GET", f"/networks/{n['network']['id']}", net.member).status_code == 404


def test_no_token_is_401(net: NetFixture) -> None:
    r = net.fx.client.get("/network/v2.0/networks")
    assert r.status_code == 401
    r = net.fx.client.get("/network/v2.0/networks", headers={"X-Auth-Token": "bogus"})
    assert r.status_code == 401


def test_quotas(net: NetFixture) -> None:
    q = net.ok("GET", f"/quotas/{net.project_id}", net.member)["quota"]
    assert q["network"] == 100 and q["port"] == 500 and q["subnet"] == 100
    assert net.req("GET", f"/quotas/{net.other_project_id}", net.member).status_code == 403
    assert net.req("PUT", f"/quotas/{net.project_id}", net.member,
                   json={"quota": {"network": 1}}).status_code == 403
    d = net.ok("GET", f"/quotas/{net.project_id}/details.json", net.member)["quota"]
    assert d["network"]["used"] >= 1 and d["network"]["limit"] == 100
    used = d["network"]["used"]
    q = net.ok("PUT", f"/quotas/{net.project_id}", json={"quota": {"network": used}})["quota"]
    assert q["network"] == used
    r = net.req("POST", "/networks", net.member, json={"network": {}})
    assert r.status_code == 409 and r.json()["NeutronError"]["type"] == "OverQuota"
    listed = net.ok("GET", "/quotas")["quotas"]
    assert any(x["project_id"] == net.project_id for x in listed)
    assert net.ok("GET", f"/quotas/{net.project_id}/default")["quota"]["network"] == 100
    assert net.req("PUT", f"/quotas/{net.project_id}", json={"quota": {"network": "x"}}).status_code == 400
    assert net.req("PUT", f"/quotas/{net.project_id}", json={"quota": {"bogus": 1}}).status_code == 400
    assert net.req("DELETE", f"/quotas/{net.project_id}").status_code == 204
    assert net.ok("GET", f"/quotas/{net.project_id}", net.member)["quota"]["network"] == 100
