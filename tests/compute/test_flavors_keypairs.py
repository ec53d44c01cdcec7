"""Flavors (+ access, extra specs) and keypairs."""

from __future__ import annotations

from onestack.compute.manager.keypairs import generate
from tests.compute.conftest import ComputeFixture


def test_default_flavors(nova: ComputeFixture) -> None:
    flavors = nova.req("GET", "/flavors/detail").json()["flavors"]
    by_id = {f["id"]: f for f in flavors}
    assert by_id["1"]["name"] == "m1.tiny" and by_id["42"]["ram"] == 128
    assert by_id["1"]["swap"] == "" and "description" not in by_id["1"]
    f = nova.req("GET", "/flavors/1", None, "2.75").json()["flavor"]
    assert f["swap"] == 0 and f["description"] is None and f["extra_specs"] == {}
    page = nova.req("GET", "/flavors?limit=2").json()
    assert len(page["flavors"]) == 2 and "flavors_links" in page
    assert all(f["ram"] >= 4096 for f in nova.req("GET", "/flavors/detail?minRam=4096").json()["flavors"])
    assert nova.req("GET", "/flavors/nope").status_code == 404


def test_private_flavor_access_and_specs(nova: ComputeFixture) -> None:
    tok, pid, _ = nova.member()
    other, _, _ = nova.member()
    r = nova.admin("POST", "/flavors", version="2.55", json={"flavor": {
        "name": "priv", "ram": 64, "vcpus": 1, "disk": 1, "id": "priv-1", "os-flavor-access:is_public": False,
        "description": "secret"}})
    assert r.status_code == 200, r.text
    assert r.json()["flavor"]["description"] == "secret"
    assert nova.req("GET", "/flavors/priv-1", tok).status_code == 404
    r = nova.admin("POST", "/flavors/priv-1/action", json={"addTenantAccess": {"tenant": pid}})
    assert r.json()["flavor_access"] == [{"flavor_id": "priv-1", "tenant_id": pid}]
    assert nova.req("GET", "/flavors/priv-1", tok).status_code == 200
    assert nova.req("GET", "/flavors/priv-1", other).status_code == 404
    assert "priv-1" in [f["id"] for f in nova.req("GET", "/flavors", tok).json()["flavors"]]
    assert nova.admin("GET", "/flavors/priv-1/os-flavor-access").status_code == 200
    assert nova.req("GET", "/flavors/priv-1/os-flavor-access", tok).status_code == 403
    assert nova.admin("POST", "/flavors/priv-1/action", json={"addTenantAccess": {"tenant": pid}}).status_code == 409
    r = nova.admin("POST", "/flavors/priv-1/os-extra_specs", json={"extra_specs": {"hw:cpu_policy": "dedicated"}})
    assert r.status_code == 200, r.text
    assert nova.admin("GET", "/flavors/priv-1/os-extra_specs/hw:cpu_policy").json() == {"hw:cpu_policy": "dedicated"}
    assert nova.admin("PUT", "/flavors/priv-1/os-extra_specs/a", json={"a": "1"}).json() == {"a": "1"}
    assert nova.admin("PUT", "/flavors/priv-1/os-extra_specs/a", json={"b": "1"}).status_code == 400
    assert nova.req("POST", "/flavors/priv-1/os-extra_specs", tok, json={"extra_specs": {"x": "y"}}).status_code == 403
    assert nova.admin("DELETE", "/flavors/priv-1/os-extra_specs/a").status_code == 200
    assert nova.admin("DELETE", "/flavors/priv-1/os-extra_specs/a").status_code == 404
    r = nova.admin("PUT", "/flavors/priv-1", version="2.55", json={"flavor": {"description": "new"}})
    assert r.json()["flavor"]["description"] == "new"
    assert nova.admin("POST", "/flavors/priv-1/action", json={"removeTenantAccess": {"tenant": pid}}).status_code == 200
    assert nova.req("POST", "/flavors", tok, json={"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 1}}).status_code == 403
    assert nova.admin("POST", "/flavors", json={"flavor": {"name": "priv", "ram": 1, "vcpus": 1, "disk": 1}}).status_code == 409
    assert nova.admin("DELETE", "/flavors/priv-1").status_code == 202
    assert nova.admin("GET", "/flavors/priv-1").status_code == 404


def test_keypairs(nova: ComputeFixture) -> None:
    tok, _, uid = nova.member()
    _, public = generate("ed25519")
    r = nova.req("POST", "/os-keypairs", tok, "2.2", json={"keypair": {"name": "imported", "public_key": public}})
    assert r.status_code == 201, r.text
    kp = r.json()["keypair"]
    assert kp["type"] == "ssh" and kp["fingerprint"].count(":") == 15 and kp["user_id"] == uid
    r = nova.req("POST", "/os-keypairs", tok, "2.1", json={"keypair": {"name": "generated"}})
    assert r.status_code == 200
    gen = r.json()["keypair"]
    assert gen["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----") and "type" not in gen
    assert nova.req("POST", "/os-keypairs", tok, "2.92", json={"keypair": {"name": "g2"}}).status_code == 400
    assert nova.req("POST", "/os-keypairs", tok, json={"keypair": {"name": "imported", "public_key": public}}).status_code == 409
    assert nova.req("POST", "/os-keypairs", tok, json={"keypair": {"name": "bad", "public_key": "ssh-rsa nope"}}).status_code == 400
    assert nova.req("POST", "/os-keypairs", tok, json={"keypair": {"name": "bad/name", "public_key": public}}).status_code == 400
    listed = nova.req("GET", "/os-keypairs", tok, "2.2").json()["keypairs"]
    assert sorted(k["keypair"]["name"] for k in listed) == ["generated", "imported"]
    page = nova.req("GET", "/os-keypairs?limit=1", tok, "2.35").json()
    assert len(page["keypairs"]) == 1 and "keypairs_links" in page
    show = nova.req("GET", "/os-keypairs/imported", tok).json()["keypair"]
    assert show["user_id"] == uid and show["deleted"] is False
    other, _, _ = nova.member()
    assert nova.req("GET", "/os-keypairs/imported", other).status_code == 404
    assert nova.req("GET", f"/os-keypairs/imported?user_id={uid}", other, "2.10").status_code == 403
    assert nova.admin("GET", f"/os-keypairs/imported?user_id={uid}", version="2.10").status_code == 200
    sid = nova.boot(tok, key_name="imported")["id"]
    assert nova.req("GET", f"/servers/{sid}", tok).json()["server"]["key_name"] == "imported"
    assert nova.req("DELETE", "/os-keypairs/generated", tok, "2.1").status_code == 202
    assert nova.req("DELETE", "/os-keypairs/imported", tok, "2.2").status_code == 204
    assert nova.req("DELETE", "/os-keypairs/imported", tok).status_code == 404
