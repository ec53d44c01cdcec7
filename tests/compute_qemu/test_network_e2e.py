"""Networking end to end, through the API: a real ``onestack serve`` with the QEMU
compute driver and the ``linux`` network driver boots three test guests (TCG,
128 MiB) whose init runs DHCP, reads the metadata service and pings what its
user data names, printing the results on the serial console:

* two guests on one network get their (fixed) addresses by DHCP and ping each other;
* a guest on a second network reaches the first through a router;
* removing the security group's ICMP rule stops the ping, adding it back restores it;
* a floating IP answers ping from a namespace on the public network;
* the metadata service returns each guest's user data;
* os-interface hot-plugs a NIC into the running QEMU and out again;
* a restart of onestack leaves the guests running and reaching each other;
* deleting the servers deletes their ports.

Needs root, QEMU, dnsmasq and nft (skipped with the reason printed otherwise,
unless CI=true)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compute_qemu.guest import GuestFiles, require_host, skip_or_fail, test_guest
from tests.compute_qemu.realserve import Api, Proc, kill_qemus

PUBLIC_CIDR = "172.31.251.0/24"
OUTSIDE_IP = "172.31.251.250"
ENV = {"ONESTACK_COMPUTE__DRIVER": "qemu", "ONESTACK_NETWORK__DRIVER": "linux",
       "ONESTACK_SERVICES__ENABLED": "identity,image,compute,network",
       "ONESTACK_NETWORK__PUBLIC_CIDR": PUBLIC_CIDR, "ONESTACK_SERVER__LOG_LEVEL": "warning"}
NET = "/network/v2.0"


def require_network_host() -> None:
    require_host()
    why = [f"{t} missing" for t in ("dnsmasq", "nft", "ip") if shutil.which(t) is None]
    if importlib.util.find_spec("pyroute2") is None:
        why.append("python package pyroute2 missing")
    if importlib.util.find_spec("onestack.network.drivers.linux") is None:
        why.append("the linux network driver is missing")
    if not why:
        return
    skip_or_fail("network e2e tests need dnsmasq, nft and pyroute2: " + ", ".join(why))


@pytest.fixture(scope="module")
def g() -> GuestFiles:
    require_network_host()
    return test_guest()


@pytest.fixture
def serve(data_dir: Path, g: GuestFiles) -> Iterator[Proc]:
    p = Proc(data_dir, env=ENV).start(timeout=120)
    try:
        yield p
    finally:
        p.stop()
        kill_qemus(str(data_dir))
        clean_dataplane(data_dir / "network")


def clean_dataplane(state_path: Path) -> None:
    """A stopped onestack leaves its dataplane running (guests keep their network);
    a test removes it: a resync to nothing removes all the driver made."""
    from onestack.network.drivers import load

    if state_path.exists():
        load("linux", str(state_path)).resync([], [])


class Neutron:
    def __init__(self, api: Api) -> None:
        self.api = api

    def call(self, method: str, path: str, status: int, **kw: Any) -> Any:
        r = self.api.http.request(method, NET + path, **kw)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def network(self, name: str, cidr: str) -> tuple[str, str]:
        nid = self.call("POST", "/networks", 201, json={"network": {"name": name}})["network"]["id"]
        sub = self.call("POST", "/subnets", 201, json={"subnet": {
            "network_id": nid, "cidr": cidr, "ip_version": 4, "name": name + "-subnet"}})["subnet"]
        return nid, sub["id"]

    def public(self) -> str:
        nets = self.call("GET", "/networks?router:external=true", 200)["networks"]
        assert nets, "the cloud has no public network"
        return str(nets[0]["id"])


def guest_images(api: Api, g: GuestFiles) -> str:
    tag = uuid.uuid4().hex[:6]
    aki = api.upload_image(f"guest-kernel-{tag}", g.kernel, "aki", "aki")
    ari = api.upload_image(f"guest-ramdisk-{tag}", g.initramfs, "ari", "ari")
    return api.upload_image(f"guest-{tag}", g.disk, "qcow2", "bare", kernel_id=aki, ramdisk_id=ari,
                            os_command_line="quiet")


def boot(api: Api, name: str, image: str, flavor: str, net_id: str, ip: str, sg: str, user_data: bytes) -> str:
    import base64

    r = api.nova("POST", "/servers", json={"server": {
        "name": name, "imageRef": image, "flavorRef": flavor,
        "networks": [{"uuid": net_id, "fixed_ip": ip}], "security_groups": [{"name": sg}],
        "user_data": base64.b64encode(user_data).decode()}})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def last_ping(console: str, target: str) -> str | None:
    found = re.findall(rf"PING-(OK|FAIL) {re.escape(target)}\b", console)
    return found[-1] if found else None


def wait_ping(api: Api, sid: str, target: str, want: str, timeout: float = 90.0, after: int = 0) -> float:
    """Wait until the guest's last two results for ``target`` (after the first
    ``after`` of them) are ``want`` ("OK"/"FAIL"); seconds taken."""
    t0 = time.monotonic()
    while True:
        console = api.console(sid)
        found = re.findall(rf"PING-(OK|FAIL) {re.escape(target)}\b", console)[after:]
        if len(found) >= 2 and found[-1] == found[-2] == want:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{sid}: ping {target} not {want} after {timeout:.0f}s; last results "
                                 f"{found[-6:]}\n{console[-3000:]}")
        time.sleep(1.0)


def ping_count(api: Api, sid: str, target: str) -> int:
    return len(re.findall(rf"PING-(?:OK|FAIL) {re.escape(target)}\b", api.console(sid)))


def qemu_nics(data_dir: Path, sid: str) -> int:
    """virtio-net devices the guest's QEMU has (QMP ``qom-list`` of its devices)."""
    from onestack.compute.drivers import qemu_process as proc

    (d,) = data_dir.glob(f"compute/*/instances/{sid}")
    count = 0
    for base in ("/machine/peripheral", "/machine/peripheral-anon"):
        count += sum("virtio-net" in str(c.get("type")) for c in proc.qmp(proc.socket_path(d), "qom-list", path=base))
    return count


class Outside:
    """A network namespace plugged into the public network's bridge (what a host
    on the external network would be)."""

    def __init__(self, bridge: str, cidr: str, ip: str) -> None:
        self.ns = "e2e-out-" + uuid.uuid4().hex[:6]
        self.veth = "veo" + uuid.uuid4().hex[:8]
        prefix = cidr.split("/")[1]
        for cmd in (["ip", "netns", "add", self.ns],
                    ["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.ns],
                    ["ip", "link", "set", self.veth, "master", bridge, "up"],
                    ["ip", "-n", self.ns, "addr", "add", f"{ip}/{prefix}", "dev", "eth0"],
                    ["ip", "-n", self.ns, "link", "set", "eth0", "up"],
                    ["ip", "-n", self.ns, "link", "set", "lo", "up"]):
            subprocess.run(cmd, check=True, capture_output=True)

    def ping(self, ip: str, timeout: float = 60.0) -> float:
        t0 = time.monotonic()
        while subprocess.run(["ip", "netns", "exec", self.ns, "ping", "-c", "1", "-W", "1", ip],
                             capture_output=True).returncode != 0:
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{ip} does not answer ping from the public network")
            time.sleep(0.5)
        return time.monotonic() - t0

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", self.veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def test_guests_dhcp_router_security_groups_floating_ip_metadata(serve: Proc, data_dir: Path,
                                                                  g: GuestFiles) -> None:
    api = Api(serve.url)
    try:
        _scenario(api, g, data_dir, serve)
    finally:
        api.close()


def _scenario(api: Api, g: GuestFiles, data_dir: Path, serve: Proc) -> None:
    neutron = Neutron(api)
    image = guest_images(api, g)
    nano = api.flavor_id("m1.nano")
    net_a, sub_a = neutron.network("e2e-a", "10.91.0.0/24")
    net_b, sub_b = neutron.network("e2e-b", "10.92.0.0/24")
    public = neutron.public()
    router = neutron.call("POST", "/routers", 201, json={"router": {
        "name": "e2e-router", "external_gateway_info": {"network_id": public}}})["router"]
    for sub in (sub_a, sub_b):
        neutron.call("PUT", f"/routers/{router['id']}/add_router_interface", 200, json={"subnet_id": sub})
    sg = neutron.call("POST", "/security-groups", 201, json={"security_group": {"name": "e2e"}})["security_group"]

    def icmp_rule() -> str:
        return str(neutron.call("POST", "/security-group-rules", 201, json={"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4", "protocol": "icmp",
            "remote_ip_prefix": "0.0.0.0/0"}})["security_group_rule"]["id"])

    rule = icmp_rule()
    ip1, ip2, ip3 = "10.91.0.11", "10.91.0.12", "10.92.0.13"
    t0 = time.monotonic()
    vm1 = boot(api, "e2e-vm1", image, nano, net_a, ip1, "e2e", f"ping {ip2}\n".encode())
    vm2 = boot(api, "e2e-vm2", image, nano, net_a, ip2, "e2e", f"ping {ip1}\n".encode())
    vm3 = boot(api, "e2e-vm3", image, nano, net_b, ip3, "e2e", f"ping {ip1}\nhello from vm3\n".encode())
    for sid in (vm1, vm2, vm3):
        srv = api.wait_server(sid, timeout=120)
        assert srv["addresses"], srv
    assert api.server(vm1)["addresses"]["e2e-a"][0]["addr"] == ip1  # type: ignore[index]
    # DHCP: each guest holds the address its port has
    for sid, ip in ((vm1, ip1), (vm2, ip2), (vm3, ip3)):
        took = api.wait_console(sid, f"DHCP-ADDRESS={ip}", timeout=180)
    print(f"[network e2e] three guests: create to last DHCP address {time.monotonic() - t0:.1f}s "
          f"(last wait {took:.1f}s)")
    # the metadata service (no config drive needed): each guest printed its user data
    api.wait_console(vm3, "METADATA-USERDATA=hello from vm3", timeout=60)
    api.wait_console(vm1, f"METADATA-USERDATA=ping {ip2}", timeout=60)
    # same network, and through the router
    wait_ping(api, vm1, ip2, "OK")
    wait_ping(api, vm2, ip1, "OK")
    wait_ping(api, vm3, ip1, "OK")
    # the security group: without the ICMP rule the pings stop, with it they come back
    t1 = time.monotonic()
    neutron.call("DELETE", f"/security-group-rules/{rule}", 204)
    n2, n3 = ping_count(api, vm2, ip1), ping_count(api, vm3, ip1)
    wait_ping(api, vm2, ip1, "FAIL", after=n2)
    wait_ping(api, vm3, ip1, "FAIL", after=n3)
    print(f"[network e2e] ICMP rule removed: pings fail after {time.monotonic() - t1:.1f}s")
    t1 = time.monotonic()
    rule = icmp_rule()
    n2 = ping_count(api, vm2, ip1)
    wait_ping(api, vm2, ip1, "OK", after=n2)
    print(f"[network e2e] ICMP rule added back: pings answer after {time.monotonic() - t1:.1f}s")
    # a floating IP answers ping from the public network
    (port,) = neutron.call("GET", f"/ports?device_id={vm1}", 200)["ports"]
    fip = neutron.call("POST", "/floatingips", 201, json={"floatingip": {
        "floating_network_id": public, "port_id": port["id"]}})["floatingip"]
    addrs = api.server(vm1)["addresses"]["e2e-a"]  # type: ignore[index]
    assert {"floating", "fixed"} == {a["OS-EXT-IPS:type"] for a in addrs}
    outside = Outside("brq" + public[:11], PUBLIC_CIDR, OUTSIDE_IP)
    try:
        took = outside.ping(fip["floating_ip_address"])
        print(f"[network e2e] floating IP {fip['floating_ip_address']} answers from outside after {took:.1f}s")
    finally:
        outside.close()
    # os-interface: a NIC hot-plugged into the running QEMU (QMP device_add) and out again
    r = api.nova("POST", f"/servers/{vm3}/os-interface", json={"interfaceAttachment": {"net_id": net_a}})
    assert r.status_code == 200, r.text
    att = r.json()["interfaceAttachment"]
    assert att["net_id"] == net_a and att["port_state"] == "ACTIVE"
    assert qemu_nics(data_dir, vm3) == 2
    assert api.nova("DELETE", f"/servers/{vm3}/os-interface/{att['port_id']}").status_code == 202
    assert qemu_nics(data_dir, vm3) == 1
    assert neutron.call("GET", f"/ports?device_id={vm3}", 200)["ports"][0]["fixed_ips"][0]["ip_address"] == ip3
    # a restart of onestack leaves the guests running and connected (ports re-plugged)
    serve.stop()
    serve.start(timeout=120)
    api2 = Api(serve.url)
    try:
        n2 = ping_count(api2, vm2, ip1)
        wait_ping(api2, vm2, ip1, "OK", after=n2)
        wait_ping(api2, vm3, ip1, "OK", after=ping_count(api2, vm3, ip1))
        print("[network e2e] after a restart of onestack the guests still reach each other")
        _delete_all(api2, Neutron(api2), (vm1, vm2, vm3))
    finally:
        api2.close()


def _delete_all(api: Api, neutron: Neutron, sids: tuple[str, ...]) -> None:
    for sid in sids:
        assert api.nova("DELETE", f"/servers/{sid}").status_code == 204
    for sid in sids:
        api.wait_server(sid, ("DELETED",), timeout=60)
        assert neutron.call("GET", f"/ports?device_id={sid}", 200)["ports"] == []
