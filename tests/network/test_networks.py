"""Networks through the API: CRUD, standard attributes, visibility, provider
attributes, listing (filters, fields, sorting, pagination, tags), versions and
extensions, and the public network a new cloud starts with."""

from __future__ import annotations

import uuid

from tests.network.conftest import NetFixture


def _err(r: object) -> dict:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"NeutronError"}, body
    assert set(body["NeutronError"]) == {"type", "message", "detail"}
    return body["NeutronError"]


def test_versions_and_resources_are_public(net: NetFixture) -> None:
    r = net.fx.client.get("/network/")
    assert r.status_code == 200
    v = r.json()["versions"][0]
    assert v["id"] == "v2.0" and v["status"] == "CURRENT"
    assert v["links"][0]["href"].endswith("/network/v2.0/")
    r = net.fx.client.get("/network/v2.0/")
    assert {x["collection"] for x in r.json()["resources"]} >= {"networks", "subnets", "ports", "subnetpools"}


def test_extensions_list_what_exists(net: NetFixture) -> None:
    exts = net.ok("GET", "/extensions", net.member)["extensions"]
    aliases = {e["alias"] for e in exts}
    assert {"external-net", "provider", "quotas", "standard-attr-tag", "binding", "port-security",
            "allowed-address-pairs", "subnet_allocation", "net-mtu", "pagination", "sorting"} <= aliases
    assert "dvr" not in aliases and "qos" not in aliases
    one = net.ok("GET", "/extensions/external-net", net.member)["extension"]
    assert one["alias"] == "external-net"
    r = net.req("GET", "/extensions/nope", net.member)
    assert r.status_code == 404 and _err(r)


def test_public_network_exists_and_is_external(net: NetFixture) -> None:
    nets = net.ok("GET", "/networks?router:external=true", net.member)["networks"]
    pub = [n for n in nets if n["name"] == "public"]
    assert len(pub) == 1
    assert pub[0]["router:external"] is True and pub[0]["shared"] is False
    assert "provider:network_type" not in pub[0]  # admin only
    subs = net.ok("GET", f"/subnets?network_id={pub[0]['id']}", net.member)["subnets"]
    assert subs[0]["name"] == "public-subnet" and subs[0]["cidr"] == "172.24.4.0/24"
    assert subs[0]["gateway_ip"] == "172.24.4.1"
    # bootstrap is idempotent
    net.mgr.bootstrap(pub[0]["project_id"])
    nets = net.ok("GET", "/networks?name=public", net.fx.admin_token)["networks"]
    assert len(nets) == 1


def test_network_crud_and_standard_attributes(net: NetFixture) -> None:
    n = net.network(description="d1")
    assert n["status"] == "ACTIVE" and n["admin_state_up"] is True and n["shared"] is False
    assert n["project_id"] == n["tenant_id"] == net.project_id
    assert n["mtu"] == 1450 and n["port_security_enabled"] is True and n["subnets"] == []
    assert n["revision_number"] == 0 and n["created_at"].endswith("Z") and n["description"] == "d1"
    assert n["availability_zones"] == ["nova"]
    u = net.ok("PUT", f"/networks/{n['id']}", net.member, json={"network": {"name": "renamed"}})["network"]
    assert u["name"] == "renamed" and u["revision_number"] == 1
    got = net.ok("GET", f"/networks/{n['id']}", net.member)["network"]
    assert got["name"] == "renamed"
    r = net.req("DELETE", f"/networks/{n['id']}", net.member)
    assert r.status_code == 204 and r.content == b""
    r = net.req("GET", f"/networks/{n['id']}", net.member)
    assert r.status_code == 404
    e = _err(r)
    assert e["type"] == "NetworkNotFound" and n["id"] in e["message"]


def test_if_match_revision_number(net: NetFixture) -> None:
    n = net.network()
    r = net.req("PUT", f"/networks/{n['id']}", net.member, json={"network": {"name": "x"}},
                headers={"If-Match": "revision_number=5"})
    assert r.status_code == 412 and _err(r)["type"] == "RevisionNumberConstraintFailed"
    r = net.req("PUT", f"/networks/{n['id']}", net.member, json={"network": {"name": "x"}},
                headers={"If-Match": "revision_number=0"})
    assert r.status_code == 200


def test_provider_attributes_admin_only(net: NetFixture) -> None:
    r = net.req("POST", "/networks", net.member, json={"network": {"provider:network_type": "vxlan"}})
    assert r.status_code == 403 and _err(r)["type"] == "PolicyNotAuthorized"
    n = net.ok("POST", "/networks", status=201, json={"network": {
        "name": "prov", "provider:network_type": "vxlan", "provider:segmentation_id": 4242}})["network"]
    assert n["provider:segmentation_id"] == 4242 and n["provider:network_type"] == "vxlan"
    r = net.req("POST", "/networks", json={"network": {"provider:network_type": "vxlan",
                                                       "provider:segmentation_id": 4242}})
    assert r.status_code == 409
    # every network gets its own VNI
    a, b = net.network(), net.network()
    va = net.ok("GET", f"/networks/{a['id']}")["network"]["provider:segmentation_id"]
    vb = net.ok("GET", f"/networks/{b['id']}")["network"]["provider:segmentation_id"]
    assert va != vb and 0 < va < 2**24


def test_shared_and_external_need_admin(net: NetFixture) -> None:
    for attr in ("shared", "router:external"):
        r = net.req("POST", "/networks", net.member, json={"network": {attr: True}})
        assert r.status_code == 403, r.text
    shared = net.network(net.fx.admin_token, shared=True)
    got = net.ok("GET", f"/networks/{shared['id']}", net.other)["network"]
    assert got["shared"] is True
    # a shared network shows up for everyone
    ids = {x["id"] for x in net.ok("GET", "/networks", net.other)["networks"]}
    assert shared["id"] in ids


def test_other_project_cannot_see_or_touch(net: NetFixture) -> None:
    n = net.network()
    for method, body in (("GET", None), ("PUT", {"network": {"name": "x"}}), ("DELETE", None)):
        r = net.req(method, f"/networks/{n['id']}", net.other, json=body)
        assert r.status_code == 404, (method, r.text)
    ids = {x["id"] for x in net.ok("GET", "/networks", net.other)["networks"]}
    assert n["id"] not in ids


def test_bad_input_is_400(net: NetFixture) -> None:
    cases = [
        {"network": {"admin_state_up": "maybe"}},
        {"network": {"name": 5}},
        {"network": {"mtu": "big"}},
        {"network": {"unknown_attr": 1}},
        {"network": "x"},
        {"netwrk": {}},
        {"network": {"mtu": 9000}},
        {"network": {"availability_zone_hints": ["nowhere"]}},
    ]
    for body in cases:
        r = net.req("POST", "/networks", net.member, json=body)
        assert r.status_code == 400, (body, r.text)
        _err(r)
    r = net.req("POST", "/networks", net.member, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    n = net.network()
    r = net.req("PUT", f"/networks/{n['id']}", net.member, json={"network": {"id": str(uuid.uuid4())}})
    assert r.status_code == 400


def test_list_filters_fields_sort_and_pages(net: NetFixture) -> None:
    tag = "t" + uuid.uuid4().hex[:6]
    made = []
    for i in range(5):
        n = net.network(name=f"{tag}-{i}")
        net.ok("PUT", f"/networks/{n['id']}/tags/{tag}", net.member, 201)
        made.append(n["id"])
    got = net.ok("GET", f"/networks?tags={tag}&fields=id&fields=name&sort_key=name&sort_dir=desc",
                 net.member)["networks"]
    assert [g["name"] for g in got] == [f"{tag}-{i}" for i in range(4, -1, -1)]
    assert set(got[0]) == {"id", "name"}
    # filters: repeated keys mean any of
    got = net.ok("GET", f"/networks?name={tag}-1&name={tag}-3", net.member)["networks"]
    assert {g["name"] for g in got} == {f"{tag}-1", f"{tag}-3"}
    # pagination with links
    page1 = net.ok("GET", f"/networks?tags={tag}&limit=2&sort_key=name", net.member)
    assert [g["name"] for g in page1["networks"]] == [f"{tag}-0", f"{tag}-1"]
    nxt = [link for link in page1["networks_links"] if link["rel"] == "next"][0]["href"]
    assert "marker=" in nxt
    page2 = net.fx.client.get(nxt.replace("http://testserver", ""), headers={"X-Auth-Token": net.member}).json()
    assert [g["name"] for g in page2["networks"]] == [f"{tag}-2", f"{tag}-3"]
    # tags-any / not-tags
    got = net.ok("GET", f"/networks?not-tags={tag}&name={tag}-0", net.member)["networks"]
    assert got == []
    r = net.req("GET", "/networks?sort_key=bogus", net.member)
    assert r.status_code == 400
    r = net.req("GET", "/networks?bogus_filter=1", net.member)
    assert r.status_code == 400
    r = net.req("GET", "/networks?limit=-1", net.member)
    assert r.status_code == 400
    r = net.req("GET", f"/networks?marker={uuid.uuid4()}", net.member)
    assert r.status_code == 404


def test_tags_api(net: NetFixture) -> None:
    n = net.network()
    base = f"/networks/{n['id']}/tags"
    assert net.ok("PUT", base, net.member, json={"tags": ["b", "a"]})["tags"] == ["a", "b"]
    assert net.req("GET", base + "/a", net.member).status_code == 204
    assert net.req("GET", base + "/zz", net.member).status_code == 404
    assert net.req("PUT", base + "/c", net.member).status_code == 201
    assert net.ok("GET", base, net.member)["tags"] == ["a", "b", "c"]
    assert net.req("DELETE", base + "/a", net.member).status_code == 204
    assert net.ok("GET", f"/networks/{n['id']}", net.member)["network"]["tags"] == ["b", "c"]
    assert net.req("DELETE", base, net.member).status_code == 204
    assert net.ok("GET", base, net.member)["tags"] == []
    assert net.req("PUT", base + "/x", net.reader).status_code == 403
    assert net.req("PUT", base + "/x", net.other).status_code == 404
    assert net.req("PUT", base, net.member, json={"tags": "nolist"}).status_code == 400


def test_delete_network_in_use_is_409(net: NetFixture) -> None:
    n = net.network()
    net.subnet(n["id"], "10.9.0.0/24")
    p = net.port(n["id"])
    r = net.req("DELETE", f"/networks/{n['id']}", net.member)
    assert r.status_code == 409 and _err(r)["type"] == "NetworkInUse"
    net.ok("DELETE", f"/ports/{p['id']}", net.member, 204)
    # only the DHCP port is left: it goes with the network
    assert net.req("DELETE", f"/networks/{n['id']}", net.member).status_code == 204
    assert net.ok("GET", f"/ports?network_id={n['id']}")["ports"] == []


def test_bulk_create_networks(net: NetFixture) -> None:
    r = net.ok("POST", "/networks", net.member, 201, json={"networks": [{"name": "b1"}, {"name": "b2"}]})
    assert [n["name"] for n in r["networks"]] == ["b1", "b2"]
    # all or nothing
    before = len(net.ok("GET", "/networks", net.member)["networks"])
    r = net.req("POST", "/networks", net.member, json={"networks": [{"name": "ok"}, {"mtu": "x"}]})
    assert r.status_code == 400
    assert len(net.ok("GET", "/networks", net.member)["networks"]) == before


def test_availability_zones(net: NetFixture) -> None:
    zones = net.ok("GET", "/availability_zones", net.member)["availability_zones"]
    assert {"name": "nova", "resource": "network", "state": "available"} in zones
    assert net.ok("GET", "/availability_zones?resource=router", net.member)["availability_zones"] == [
        {"name": "nova", "resource": "router", "state": "available"}]


def test_tags_on_create(net: NetFixture) -> None:
    n = net.ok("POST", "/networks", net.member, 201, json={"network": {"name": "tagged", "tags": ["y", "x"]}})
    assert n["network"]["tags"] == ["x", "y"]
    assert net.ok("GET", f"/networks/{n['network']['id']}/tags", net.member)["tags"] == ["x", "y"]
    r = net.req("POST", "/networks", net.member, json={"network": {"name": "bad", "tags": ["a,b"]}})
    assert r.status_code == 400
    assert not net.ok("GET", "/networks?name=bad", net.member)["networks"]
