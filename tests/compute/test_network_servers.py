"""Servers with the network service enabled (fake compute driver, noop network
driver): ports on create, addresses, security groups from the ports, /ips,
os-interface, ports released on delete, the metadata service."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compute.conftest import ComputeFixture, make_image
from tests.conftest import make_cloud

NET = "/network/v2.0"


class NetFixture(ComputeFixture):
    def neutron(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"X-Auth-Token": token or self.fx.admin_token}
        return self.fx.client.request(method, NET + path, headers=headers, **kw)

    def network(self, token: str, name: str, cidr: str) -> tuple[str, str]:
        r = self.neutron("POST", "/networks", token, json={"network": {"name": name}})
        assert r.status_code == 201, r.text
        nid = r.json()["network"]["id"]
        r = self.neutron("POST", "/subnets", token, json={"subnet": {
            "network_id": nid, "cidr": cidr, "ip_version": 4, "name": name + "-subnet"}})
        assert r.status_code == 201, r.text
        return nid, r.json()["subnet"]["id"]

    def ports_of(self, sid: str) -> list[dict[str, Any]]:
        r = self.neutron("GET", f"/ports?device_id={sid}")
        assert r.status_code == 200, r.text
        return r.json()["ports"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetFixture]:
    tmp = tmp_path_factory.mktemp("computenet")
    gen = make_cloud(tmp, extra={"services": {"enabled": ["identity", "image", "compute", "network"]},
                                 "compute": {"fake_hosts": 1}})
    fx = next(gen)
    try:
        yield NetFixture(fx=fx, image_id=make_image(fx))
    finally:
        for _ in gen:
            pass


def test_boot_on_a_network_gets_a_port_and_addresses(net: NetFixture) -> None:
    tok, pid, _ = net.member()
    nid, subid = net.network(tok, "private", "10.10.0.0/24")
    srv = net.boot(tok, networks=[{"uuid": nid}])
    ports = net.ports_of(srv["id"])
    assert len(ports) == 1
    port = ports[0]
    assert port["device_owner"].startswith("compute:") and port["project_id"] == pid
    ip = port["fixed_ips"][0]["ip_address"]
    assert srv["addresses"] == {"private": [{"version": 4, "addr": ip, "OS-EXT-IPS:type": "fixed",
                                             "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    assert srv["security_groups"] == [{"name": "default"}]
    # the driver got a tap NIC with the port's MAC, and the config drive has the address
    spec = net.cm.workers[net.cm.conf.compute.host].driver.spec_of(srv["id"])
    assert [(n.kind, n.mac_address, n.port_id) for n in spec.network_info] == [("tap", port["mac_address"],
                                                                                  port["id"])]
    assert spec.network_info[0].device == "tap" + port["id"][:11]
    nd = spec.config_drive_files["openstack/latest/network_data.json"].decode()
    assert ip in nd and port["mac_address"] in nd
    # bound to the host, ACTIVE
    port = net.neutron("GET", f"/ports/{port['id']}").json()["port"]
    assert port["status"] == "ACTIVE" and port["binding:host_id"] == net.cm.conf.compute.host
    # /ips and /ips/{label}
    r = net.req("GET", f"/servers/{srv['id']}/ips", tok)
    assert r.status_code == 200 and r.json() == {"addresses": {"private": [{"version": 4, "addr": ip}]}}
    r = net.req("GET", f"/servers/{srv['id']}/ips/private", tok)
    assert r.json() == {"private": [{"version": 4, "addr": ip}]}
    r = net.req("GET", f"/servers/{srv['id']}/ips/nope", tok)
    assert r.status_code == 404 and "itemNotFound" in r.json()
    # detail listing carries the same addresses
    r = net.req("GET", "/servers/detail", tok)
    assert r.json()["servers"][0]["addresses"] == srv["addresses"]
    # delete: the port is gone
    assert net.req("DELETE", f"/servers/{srv['id']}", tok).status_code == 204
    net.wait(srv["id"], "DELETED", tok)
    assert net.ports_of(srv["id"]) == []


def test_requested_networks_are_validated(net: NetFixture) -> None:
    tok, _, _ = net.member()
    missing = str(uuid.uuid4())
    body = {"name": "x", "imageRef": net.image_id, "flavorRef": "42"}
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {**body, "networks": [{"uuid": missing}]}})
    assert r.status_code == 400 and "badRequest" in r.json(), r.text
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {**body, "networks": [{"port": missing}]}})
    assert r.status_code == 400, r.text
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {**body, "networks": [{"uuid": "bad"}]}})
    assert r.status_code == 400, r.text
    # several usable networks: "auto" is ambiguous (409), as nova answers
    net.network(tok, "a", "10.20.0.0/24")
    net.network(tok, "b", "10.21.0.0/24")
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {**body, "networks": "auto"}})
    assert r.status_code == 409 and "conflictingRequest" in r.json(), r.text
    # a port cannot serve several servers
    nid, _ = net.network(tok, "c", "10.22.0.0/24")
    p = net.neutron("POST", "/ports", tok, json={"port": {"network_id": nid}}).json()["port"]
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {
        **body, "networks": [{"port": p["id"]}], "min_count": 2}})
    assert r.status_code == 400, r.text
    # nothing was created by the failed requests
    r = net.req("GET", "/servers", tok)
    assert r.json()["servers"] == []


def test_pre_existing_port_and_fixed_ip(net: NetFixture) -> None:
    tok, _, _ = net.member()
    nid, _ = net.network(tok, "mine", "10.30.0.0/24")
    p = net.neutron("POST", "/ports", tok, json={"port": {"network_id": nid}}).json()["port"]
    srv = net.boot(tok, networks=[{"port": p["id"]}, {"uuid": nid, "fixed_ip": "10.30.0.77"}])
    addrs = [a["addr"] for a in srv["addresses"]["mine"]]
    assert addrs == [p["fixed_ips"][0]["ip_address"], "10.30.0.77"]
    # the port in use cannot be given to another server
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {
        "name": "y", "imageRef": net.image_id, "flavorRef": "42", "networks": [{"port": p["id"]}]}})
    assert r.status_code == 409, r.text
    assert net.req("DELETE", f"/servers/{srv['id']}", tok).status_code == 204
    net.wait(srv["id"], "DELETED", tok)
    # the pre-existing port survives, unbound; the one compute made is gone
    left = net.neutron("GET", f"/ports/{p['id']}").json()["port"]
    assert left["device_id"] == "" and left["status"] == "DOWN"
    assert net.ports_of(srv["id"]) == []


def test_os_interface_attach_detach(net: NetFixture) -> None:
    tok, _, _ = net.member()
    nid, _ = net.network(tok, "one", "10.40.0.0/24")
    nid2, _ = net.network(tok, "two", "10.41.0.0/24")
    srv = net.boot(tok, networks=[{"uuid": nid}])
    sid = srv["id"]
    r = net.req("GET", f"/servers/{sid}/os-interface", tok)
    assert r.status_code == 200
    (att,) = r.json()["interfaceAttachments"]
    assert att["net_id"] == nid and att["port_state"] == "ACTIVE" and att["fixed_ips"][0]["subnet_id"]
    r = net.req("POST", f"/servers/{sid}/os-interface", tok, "2.70",
                json={"interfaceAttachment": {"net_id": nid2, "fixed_ips": [{"ip_address": "10.41.0.50"}]}})
    assert r.status_code == 200, r.text
    new = r.json()["interfaceAttachment"]
    assert new["net_id"] == nid2 and new["fixed_ips"][0]["ip_address"] == "10.41.0.50" and "tag" in new
    driver = net.cm.workers[net.cm.conf.compute.host].driver
    assert [n.port_id for n in driver.spec_of(sid).network_info] == [att["port_id"], new["port_id"]]
    r = net.req("GET", f"/servers/{sid}/os-interface/{new['port_id']}", tok)
    assert r.status_code == 200 and r.json()["interfaceAttachment"]["port_id"] == new["port_id"]
    assert set(net.req("GET", f"/servers/{sid}", tok).json()["server"]["addresses"]) == {"one", "two"}
    # bad bodies
    r = net.req("POST", f"/servers/{sid}/os-interface", tok,
                json={"interfaceAttachment": {"net_id": nid2, "port_id": new["port_id"]}})
    assert r.status_code == 400
    r = net.req("POST", f"/servers/{sid}/os-interface", tok, json={"interfaceAttachment": {"net_id": "x"}})
    assert r.status_code == 400
    # detach
    r = net.req("DELETE", f"/servers/{sid}/os-interface/{new['port_id']}", tok)
    assert r.status_code == 202, r.text
    assert [n.port_id for n in driver.spec_of(sid).network_info] == [att["port_id"]]
    assert net.neutron("GET", f"/ports/{new['port_id']}").status_code == 404
    r = net.req("DELETE", f"/servers/{sid}/os-interface/{new['port_id']}", tok)
    assert r.status_code == 404
    r = net.req("GET", f"/servers/{sid}/os-interface/{new['port_id']}", tok)
    assert r.status_code == 404
    # another project sees nothing
    other, _, _ = net.member()
    assert net.req("GET", f"/servers/{sid}/os-interface", other).status_code == 404
    net.req("DELETE", f"/servers/{sid}", tok)
    net.wait(sid, "DELETED", tok)


def test_security_groups_on_create_go_to_the_ports(net: NetFixture) -> None:
    tok, _, _ = net.member()
    nid, _ = net.network(tok, "sgnet", "10.50.0.0/24")
    r = net.neutron("POST", "/security-groups", tok, json={"security_group": {"name": "web"}})
    assert r.status_code == 201, r.text
    sg = r.json()["security_group"]
    srv = net.boot(tok, networks=[{"uuid": nid}], security_groups=[{"name": "web"}])
    (port,) = net.ports_of(srv["id"])
    assert port["security_groups"] == [sg["id"]]
    assert srv["security_groups"] == [{"name": "web"}]
    body = {"name": "x", "imageRef": net.image_id, "flavorRef": "42", "networks": [{"uuid": nid}],
            "security_groups": [{"name": "no-such-group"}]}
    r = net.req("POST", "/servers", tok, "2.37", json={"server": body})
    assert r.status_code in (400, 404), r.text


def test_metadata_service_answers_for_the_guest(net: NetFixture) -> None:
    import httpx2 as httpx

    tok, pid, _ = net.member()
    nid, _ = net.network(tok, "mdnet", "10.60.0.0/24")
    r = net.req("POST", "/os-keypairs", tok, "2.1", json={"keypair": {"name": "mdkey"}})
    assert r.status_code == 200, r.text
    pub = r.json()["keypair"]["public_key"]
    srv = net.boot(tok, networks=[{"uuid": nid}], user_data=base64.b64encode(b"ping 10.60.0.1\n").decode(),
                   key_name="mdkey")
    ip = srv["addresses"]["mdnet"][0]["addr"]
    sock = net.cm.metadata_socket
    assert sock.exists()
    h = {"X-Forwarded-For": ip, "X-Neutron-Network-ID": nid}
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://169.254.169.254") as c:
        assert c.get("/openstack/latest/user_data", headers=h).content == b"ping 10.60.0.1\n"
        md = c.get("/openstack/latest/meta_data.json", headers=h).json()
        assert md["uuid"] == srv["id"] and md["project_id"] == pid and md["hostname"]
        nd = c.get("/openstack/latest/network_data.json", headers=h).json()
        assert nd["networks"][0]["ip_address"] == ip and nd["networks"][0]["netmask"] == "255.255.255.0"
        assert c.get("/openstack/latest/vendor_data2.json", headers=h).json() == {}
        assert "latest" in c.get("/openstack", headers=h).text.splitlines()
        assert "user_data" in c.get("/openstack/latest/", headers=h).text.splitlines()
        assert c.get("/latest/meta-data/local-ipv4", headers=h).text == ip
        assert c.get("/latest/meta-data/hostname", headers=h).text == md["hostname"]
        assert c.get("/latest/meta-data/instance-id", headers=h).text.startswith("i-")
        assert "local-ipv4" in c.get("/latest/meta-data/", headers=h).text.splitlines()
        assert c.get("/latest/user-data", headers=h).content == b"ping 10.60.0.1\n"
        assert c.get("/latest/meta-data/public-keys/", headers=h).text == "0=mdkey"
        assert c.get("/latest/meta-data/public-keys/0/", headers=h).text == "openssh-key"
        assert c.get("/latest/meta-data/public-keys/0/openssh-key", headers=h).text == pub
        assert md["public_keys"] == {"mdkey": pub}
        assert c.get("/2009-04-04/meta-data/placement/availability-zone", headers=h).text == "nova"
        assert c.get("/latest/meta-data/nope", headers=h).status_code == 404
        assert c.post("/openstack/latest/meta_data.json", headers=h).status_code == 405
        # someone else's address, or no headers: nothing
        assert c.get("/openstack/latest/user_data", headers={**h, "X-Forwarded-For": "10.60.0.250"}
                     ).status_code == 404
        assert c.get("/openstack/latest/meta_data.json").status_code == 400
        assert c.get("/openstack/1999-01-01/meta_data.json", headers=h).status_code == 404


def test_security_group_proxy_acts_on_neutron_groups(net: NetFixture) -> None:
    tok, pid, _ = net.member()
    nid, _ = net.network(tok, "proxynet", "10.70.0.0/24")
    r = net.req("POST", "/os-security-groups", tok, "2.35",
                json={"security_group": {"name": "app", "description": "app servers"}})
    assert r.status_code == 200, r.text
    sg = r.json()["security_group"]
    assert sg["tenant_id"] == pid and sg["rules"] == []
    # the same group through Neutron
    r = net.neutron("GET", f"/security-groups/{sg['id']}", tok)
    assert r.status_code == 200 and r.json()["security_group"]["name"] == "app"
    r = net.req("POST", "/os-security-group-rules", tok, "2.35", json={"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert r.status_code == 200, r.text
    rule = r.json()["security_group_rule"]
    assert rule["ip_range"] == {"cidr": "10.0.0.0/8"} and rule["from_port"] == 22
    nrules = net.neutron("GET", f"/security-group-rules?security_group_id={sg['id']}", tok).json()
    assert [x["port_range_min"] for x in nrules["security_group_rules"] if x["direction"] == "ingress"] == [22]
    r = net.req("POST", "/os-security-group-rules", tok, "2.35", json={"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert r.status_code == 400
    names = [g["name"] for g in net.req("GET", "/os-security-groups", tok, "2.35").json()["security_groups"]]
    assert set(names) == {"default", "app"}
    # add/remove on a server act on its ports
    srv = net.boot(tok, networks=[{"uuid": nid}])
    r = net.action(srv["id"], {"addSecurityGroup": {"name": "app"}}, tok)
    assert r.status_code == 202, r.text
    (port,) = net.ports_of(srv["id"])
    assert sg["id"] in port["security_groups"]
    listed = net.req("GET", f"/servers/{srv['id']}/os-security-groups", tok).json()["security_groups"]
    assert {g["name"] for g in listed} == {"default", "app"}
    shown = net.req("GET", f"/servers/{srv['id']}", tok).json()["server"]["security_groups"]
    assert {g["name"] for g in shown} == {"default", "app"}
    # in use: cannot be deleted (nova: 400)
    assert net.req("DELETE", f"/os-security-groups/{sg['id']}", tok, "2.35").status_code == 400
    r = net.action(srv["id"], {"removeSecurityGroup": {"name": "app"}}, tok)
    assert r.status_code == 202, r.text
    (port,) = net.ports_of(srv["id"])
    assert sg["id"] not in port["security_groups"]
    assert net.action(srv["id"], {"removeSecurityGroup": {"name": "app"}}, tok).status_code == 404
    assert net.action(srv["id"], {"addSecurityGroup": {"name": "nope"}}, tok).status_code == 404
    assert net.req("DELETE", f"/os-security-group-rules/{rule['id']}", tok, "2.35").status_code == 202
    assert net.req("DELETE", f"/os-security-groups/{sg['id']}", tok, "2.35").status_code == 202
    other, _, _ = net.member()
    assert net.req("GET", f"/os-security-groups/{sg['id']}", other, "2.35").status_code == 404


def test_actions_keep_the_ports_and_a_failed_allocation_is_an_error(net: NetFixture) -> None:
    tok, _, _ = net.member()
    nid, subid = net.network(tok, "keep", "10.80.0.0/24")
    srv = net.boot(tok, networks=[{"uuid": nid}])
    sid = srv["id"]
    (before,) = net.ports_of(sid)
    driver = net.cm.workers[net.cm.conf.compute.host].driver
    for body, status in (({"reboot": {"type": "HARD"}}, "ACTIVE"),
                         ({"rebuild": {"imageRef": net.image_id}}, "ACTIVE"),
                         ({"resize": {"flavorRef": "84"}}, "VERIFY_RESIZE"),
                         ({"confirmResize": None}, "ACTIVE")):
        r = net.action(sid, body, tok)
        assert r.status_code in (202, 204), (body, r.text)
        net.wait(sid, status, tok)
        (after,) = net.ports_of(sid)
        assert after["id"] == before["id"] and after["mac_address"] == before["mac_address"]
        assert [n.mac_address for n in driver.spec_of(sid).network_info] == [before["mac_address"]]
    net.req("DELETE", f"/servers/{sid}", tok)
    net.wait(sid, "DELETED", tok)
    # a /29 has 6 addresses: gateway and DHCP port take 2, so the 5th server gets none
    r = net.neutron("POST", "/networks", tok, json={"network": {"name": "tiny"}})
    tiny = r.json()["network"]["id"]
    r = net.neutron("POST", "/subnets", tok, json={"subnet": {"network_id": tiny, "cidr": "10.81.0.0/29",
                                                              "ip_version": 4}})
    assert r.status_code == 201, r.text
    r = net.req("POST", "/servers", tok, "2.37", json={"server": {
        "name": "many", "imageRef": net.image_id, "flavorRef": "42", "networks": [{"uuid": tiny}],
        "min_count": 5}})
    assert r.status_code == 202, r.text
    net.drain()
    servers = net.req("GET", "/servers/detail", tok).json()["servers"]
    states = sorted(s["status"] for s in servers if s["name"].startswith("many"))
    assert states == ["ACTIVE"] * 4 + ["ERROR"], states
    (failed,) = [s for s in servers if s["status"] == "ERROR"]
    assert "network" in failed["fault"]["message"] and failed["addresses"] == {}
    assert net.ports_of(failed["id"]) == []
    for s in servers:
        net.req("DELETE", f"/servers/{s['id']}", tok)
    for s in servers:
        net.wait(s["id"], "DELETED", tok)
    ports = net.neutron("GET", f"/ports?network_id={tiny}", tok).json()["ports"]
    assert [p["device_owner"] for p in ports] == ["network:dhcp"]


def test_legacy_request_without_networks(net: NetFixture) -> None:
    tok, _, _ = net.member()
    # no network at all: pre-2.37 boots without a NIC
    srv = net.boot(tok, version="2.1")
    assert srv["addresses"] == {} and net.ports_of(srv["id"]) == []
    # exactly one network: it is used
    nid, _ = net.network(tok, "only", "10.82.0.0/24")
    srv = net.boot(tok, version="2.1")
    assert list(srv["addresses"]) == ["only"]
    # 2.37+: "none" means none even when networks exist
    srv = net.boot(tok, networks="none")
    assert srv["addresses"] == {} and net.ports_of(srv["id"]) == []
    # "auto" with one network uses it
    srv = net.boot(tok, networks="auto")
    assert list(srv["addresses"]) == ["only"]


def test_restart_replugs_the_ports_of_running_guests(net: NetFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    tok, _, _ = net.member()
    nid, _ = net.network(tok, "replug", "10.83.0.0/24")
    srv = net.boot(tok, networks=[{"uuid": nid}])
    (port,) = net.ports_of(srv["id"])
    worker = net.cm.workers[net.cm.conf.compute.host]
    plugged: list[str] = []
    orig = worker.network.plug
    monkeypatch.setattr(worker.network, "plug", lambda pid, host: plugged.append(pid) or orig(pid, host))
    worker.reconcile()
    assert port["id"] in plugged
    net.req("DELETE", f"/servers/{srv['id']}", tok)
    net.wait(srv["id"], "DELETED", tok)


def test_ip_filter_and_minimal_views(net: NetFixture) -> None:
    tok, _, _ = net.member()
    nid, _ = net.network(tok, "ipf", "10.84.0.0/24")
    a = net.boot(tok, networks=[{"uuid": nid, "fixed_ip": "10.84.0.5"}])
    b = net.boot(tok, networks=[{"uuid": nid, "fixed_ip": "10.84.0.50"}])
    c = net.boot(tok, networks=[{"uuid": nid, "fixed_ip": "10.84.0.7"}])

    def ids(query: str) -> set[str]:
        r = net.req("GET", f"/servers?{query}", tok, "2.5")
        assert r.status_code == 200, r.text
        return {s["id"] for s in r.json()["servers"]}

    assert ids("ip=10.84.0.7") == {c["id"]}
    assert ids("ip=10.84.0.5") == {a["id"], b["id"]}   # nova matches from the start
    assert ids("ip=%5E10%5C.84%5C.0%5C.5%24") == {a["id"]}  # ^10\\.84\\.0\\.5$
    assert ids("ip=10.85.") == set()
    assert ids("ip6=fd00::1") == set()
    # PUT (before 2.75) shows addresses without the OS-EXT-IPS* keys, as nova
    r = net.req("PUT", f"/servers/{a['id']}", tok, "2.74", json={"server": {"name": "renamed"}})
    assert r.status_code == 200
    assert r.json()["server"]["addresses"] == {"ipf": [{"version": 4, "addr": "10.84.0.5"}]}
    r = net.req("PUT", f"/servers/{a['id']}", tok, "2.75", json={"server": {"name": "renamed"}})
    assert r.json()["server"]["addresses"]["ipf"][0]["OS-EXT-IPS:type"] == "fixed"
    for s in (a, b, c):
        net.req("DELETE", f"/servers/{s['id']}", tok)
    for s in (a, b, c):
        net.wait(s["id"], "DELETED", tok)


def test_interface_protection(net: NetFixture) -> None:
    tok, pid, _ = net.member()
    reader, _, _ = net.member(project_id=pid, role="reader")
    nid, _ = net.network(tok, "prot", "10.86.0.0/24")
    srv = net.boot(tok, networks=[{"uuid": nid}])
    sid = srv["id"]
    assert net.req("GET", f"/servers/{sid}/os-interface", reader).status_code == 200
    assert net.req("GET", f"/servers/{sid}/ips", reader).status_code == 200
    r = net.req("POST", f"/servers/{sid}/os-interface", reader, json={"interfaceAttachment": {"net_id": nid}})
    assert r.status_code == 403 and "forbidden" in r.json()
    (att,) = net.req("GET", f"/servers/{sid}/os-interface", tok).json()["interfaceAttachments"]
    assert net.req("DELETE", f"/servers/{sid}/os-interface/{att['port_id']}", reader).status_code == 403
    other, _, _ = net.member()
    for method, path in (("GET", f"/servers/{sid}/ips"), ("GET", f"/servers/{sid}/ips/prot"),
                         ("DELETE", f"/servers/{sid}/os-interface/{att['port_id']}")):
        assert net.req(method, path, other).status_code == 404, (method, path)
    # a stopped server can get an interface (nova allows ACTIVE, PAUSED, STOPPED); a locked one cannot
    assert net.action(sid, {"os-stop": None}, tok).status_code == 202
    net.wait(sid, "SHUTOFF", tok)
    r = net.req("POST", f"/servers/{sid}/os-interface", tok, json={"interfaceAttachment": {"net_id": nid}})
    assert r.status_code == 200, r.text
    assert net.action(sid, {"lock": None}, tok).status_code == 202
    r = net.req("POST", f"/servers/{sid}/os-interface", tok, json={"interfaceAttachment": {"net_id": nid}})
    assert r.status_code == 409, r.text
    net.action(sid, {"unlock": None}, tok)
    net.req("DELETE", f"/servers/{sid}", tok)
    net.wait(sid, "DELETED", tok)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
_net_item = st.fixed_dictionaries({}, optional={
    "uuid": st.sampled_from(["", "x", str(uuid.uuid4())]) | _json,
    "port": st.sampled_from(["", str(uuid.uuid4())]) | _json,
    "fixed_ip": st.sampled_from(["10.0.0.5", "::1", "bad", ""]) | _json, "tag": _json})
_attach = st.fixed_dictionaries({}, optional={
    "net_id": st.sampled_from([str(uuid.uuid4()), "x"]) | _json,
    "port_id": st.sampled_from([str(uuid.uuid4()), "x"]) | _json,
    "fixed_ips": st.lists(st.fixed_dictionaries({"ip_address": st.sampled_from(["10.0.0.9", "bad"]) | _json}),
                          max_size=2) | _json, "tag": _json})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks=st.lists(_net_item, max_size=3) | _json, groups=_json,
       version=st.sampled_from(["2.1", "2.37", "2.52", "latest"]))
def test_create_with_random_networks_never_5xx(net: NetFixture, networks: Any, groups: Any, version: str) -> None:
    body = {"name": "fz", "imageRef": net.image_id, "flavorRef": "42", "networks": networks,
            "security_groups": groups}
    r = net.req("POST", "/servers", None, version, json={"server": body})
    assert r.status_code < 500, r.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(att=_attach | _json, version=st.sampled_from(["2.1", "2.49", "latest"]))
def test_attach_random_bodies_never_5xx(net: NetFixture, att: Any, version: str) -> None:
    global _FUZZ_SERVER
    if _FUZZ_SERVER is None:
        _FUZZ_SERVER = net.boot(networks="none")["id"]
    r = net.req("POST", f"/servers/{_FUZZ_SERVER}/os-interface", None, version, json={"interfaceAttachment": att})
    assert r.status_code < 500, r.text


_FUZZ_SERVER: str | None = None
