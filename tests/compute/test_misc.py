"""Metadata, tags, limits, quotas, zones, usage, server groups, hypervisors, services."""

from __future__ import annotations

from tests.compute.conftest import ComputeFixture


def test_metadata(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok, metadata={"a": "1"})["id"]
    base = f"/servers/{sid}/metadata"
    assert nova.req("GET", base, tok).json() == {"metadata": {"a": "1"}}
    assert nova.req("POST", base, tok, json={"metadata": {"b": "2"}}).json() == {"metadata": {"a": "1", "b": "2"}}
    assert nova.req("PUT", base + "/c", tok, json={"meta": {"c": "3"}}).json() == {"meta": {"c": "3"}}
    assert nova.req("PUT", base + "/c", tok, json={"meta": {"d": "3"}}).status_code == 400
    assert nova.req("GET", base + "/c", tok).json() == {"meta": {"c": "3"}}
    assert nova.req("DELETE", base + "/a", tok).status_code == 204
    assert nova.req("GET", base + "/a", tok).status_code == 404
    assert nova.req("PUT", base, tok, json={"metadata": {"z": "9"}}).json() == {"metadata": {"z": "9"}}
    assert nova.req("PUT", base, tok, json={"metadata": {f"k{i}": "v" for i in range(200)}}).status_code == 403


def test_tags(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    base = f"/servers/{sid}/tags"
    assert nova.req("GET", base, tok, "2.25").status_code == 404
    assert nova.req("PUT", base + "/one", tok, "2.26").status_code == 201
    assert nova.req("PUT", base + "/one", tok, "2.26").status_code == 204
    assert nova.req("GET", base + "/one", tok, "2.26").status_code == 204
    assert nova.req("GET", base + "/two", tok, "2.26").status_code == 404
    assert nova.req("PUT", base, tok, "2.26", json={"tags": ["b", "a"]}).json() == {"tags": ["a", "b"]}
    assert nova.req("GET", base, tok, "2.26").json() == {"tags": ["a", "b"]}
    assert nova.req("PUT", base, tok, "2.26", json={"tags": ["x/y"]}).status_code == 400
    assert nova.req("DELETE", base + "/a", tok, "2.26").status_code == 204
    assert nova.req("DELETE", base + "/a", tok, "2.26").status_code == 404
    assert nova.req("DELETE", base, tok, "2.26").status_code == 204
    assert nova.req("GET", base, tok, "2.26").json() == {"tags": []}


def test_limits_and_quotas(nova: ComputeFixture) -> None:
    tok, pid, _ = nova.member()
    nova.boot(tok)
    lim = nova.req("GET", "/limits", tok).json()["limits"]["absolute"]
    assert lim["totalInstancesUsed"] == 1 and lim["maxTotalInstances"] == 10 and "maxImageMeta" in lim
    lim = nova.req("GET", "/limits", tok, "2.57").json()["limits"]["absolute"]
    assert "maxPersonality" not in lim and "maxSecurityGroups" not in lim and "maxImageMeta" not in lim
    q = nova.req("GET", f"/os-quota-sets/{pid}", tok).json()["quota_set"]
    assert q["id"] == pid and q["cores"] == 20 and "floating_ips" in q
    q36 = nova.req("GET", f"/os-quota-sets/{pid}", tok, "2.36").json()["quota_set"]
    assert "floating_ips" not in q36
    det = nova.req("GET", f"/os-quota-sets/{pid}/detail", tok).json()["quota_set"]
    assert det["instances"] == {"limit": 10, "in_use": 1, "reserved": 0}
    assert nova.req("GET", f"/os-quota-sets/{pid}/defaults", tok).json()["quota_set"]["ram"] == 51200
    assert nova.req("PUT", f"/os-quota-sets/{pid}", tok, json={"quota_set": {"cores": 1}}).status_code == 403
    assert nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"instances": 0}}).status_code == 400
    r = nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"instances": 0, "force": True}})
    assert r.status_code == 200 and r.json()["quota_set"]["instances"] == 0
    assert nova.admin("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {"bogus": 1}}).status_code == 400
    assert nova.admin("DELETE", f"/os-quota-sets/{pid}").status_code == 202
    assert nova.req("GET", f"/os-quota-sets/{pid}", tok).json()["quota_set"]["instances"] == 10
    other, _, _ = nova.member()
    assert nova.req("GET", f"/os-quota-sets/{pid}", other).status_code == 403


def test_zones_usage_hypervisors_services(nova: ComputeFixture) -> None:
    tok, pid, _ = nova.member()
    nova.boot(tok)
    zones = nova.req("GET", "/os-availability-zone", tok).json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
    assert nova.req("GET", "/os-availability-zone/detail", tok).status_code == 403
    assert len(nova.admin("GET", "/os-availability-zone/detail").json()["availabilityZoneInfo"]) == 2
    u = nova.req("GET", f"/os-simple-tenant-usage/{pid}", tok).json()["tenant_usage"]
    assert u["tenant_id"] == pid and len(u["server_usages"]) == 1
    assert nova.req("GET", "/os-simple-tenant-usage", tok).status_code == 403
    assert nova.admin("GET", "/os-simple-tenant-usage?detailed=1").status_code == 200
    hyps = nova.admin("GET", "/os-hypervisors/detail").json()["hypervisors"]
    assert {h["hypervisor_hostname"] for h in hyps} == {"onestack", "onestack-2"}
    assert sum(h["running_vms"] for h in hyps) >= 1 and hyps[0]["hypervisor_type"] == "fake"
    h88 = nova.admin("GET", "/os-hypervisors/detail", version="2.88").json()["hypervisors"][0]
    assert "vcpus" not in h88
    hid = nova.admin("GET", "/os-hypervisors", version="2.53").json()["hypervisors"][0]["id"]
    assert len(hid) == 36
    assert nova.admin("GET", f"/os-hypervisors/{hid}?with_servers=true", version="2.53").status_code == 200
    assert nova.admin("GET", "/os-hypervisors/statistics").json()["hypervisor_statistics"]["count"] == 2
    assert nova.req("GET", "/os-hypervisors", tok).status_code == 403
    services = nova.admin("GET", "/os-services", version="2.53").json()["services"]
    assert {s["binary"] for s in services} == {"nova-compute"} and services[0]["state"] == "up"
    sid = [s for s in services if s["host"] == "onestack-2"][0]["id"]
    r = nova.admin("PUT", f"/os-services/{sid}", version="2.53", json={"status": "disabled", "disabled_reason": "x"})
    assert r.json()["service"]["status"] == "disabled"
    r = nova.admin("PUT", "/os-services/enable", json={"host": "onestack-2", "binary": "nova-compute"})
    assert r.status_code == 200 and r.json()["service"]["status"] == "enabled"
    assert nova.req("GET", "/os-services", tok).status_code == 403


def test_server_groups_and_scheduling(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    r = nova.req("POST", "/os-server-groups", tok, json={"server_group": {"name": "g", "policies": ["anti-affinity"]}})
    assert r.status_code == 200, r.text
    g = r.json()["server_group"]
    assert g["policies"] == ["anti-affinity"] and g["members"] == []
    hints = {"group": g["id"]}

    def boot_in_group() -> dict[str, object]:
        r = nova.req("POST", "/servers", tok, "2.37", json={"server": {
            "name": "g", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none"},
            "os:scheduler_hints": hints})
        assert r.status_code == 202, r.text
        nova.drain()
        return nova.req("GET", f"/servers/{r.json()['server']['id']}").json()["server"]  # type: ignore[no-any-return]

    a, b, c = boot_in_group(), boot_in_group(), boot_in_group()
    assert a["OS-EXT-SRV-ATTR:host"] != b["OS-EXT-SRV-ATTR:host"]
    assert c["status"] == "ERROR" and "No valid host" in c["fault"]["message"]
    shown = nova.req("GET", f"/os-server-groups/{g['id']}", tok, "2.64").json()["server_group"]
    assert shown["policy"] == "anti-affinity" and len(shown["members"]) == 3
    s71 = nova.req("GET", f"/servers/{a['id']}", tok, "2.71").json()["server"]
    assert s71["server_groups"] == [g["id"]]
    r = nova.req("POST", "/os-server-groups", tok, "2.64", json={"server_group": {"name": "aff", "policy": "affinity"}})
    aff = r.json()["server_group"]
    assert aff["rules"] == {} and "policies" not in aff
    hints = {"group": aff["id"]}
    x, y = boot_in_group(), boot_in_group()
    assert x["OS-EXT-SRV-ATTR:host"] == y["OS-EXT-SRV-ATTR:host"]
    assert len(nova.req("GET", "/os-server-groups", tok).json()["server_groups"]) == 2
    other, _, _ = nova.member()
    assert nova.req("GET", f"/os-server-groups/{g['id']}", other).status_code == 404
    assert nova.req("POST", "/os-server-groups", tok, "2.1", json={"server_group": {
        "name": "s", "policies": ["soft-affinity"]}}).status_code == 400
    assert nova.req("DELETE", f"/os-server-groups/{g['id']}", tok).status_code == 204
    assert nova.req("GET", f"/os-server-groups/{g['id']}", tok).status_code == 404
