"""Level-triggered sync, restart (resync) and cleanup: nothing stale is left."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from onestack.network.drivers import linux_links as links
from onestack.network.drivers.base import RouterInterfaceState, RouterState
from onestack.network.drivers.linux import LinuxDriver
from tests.network_linux.conftest import default_rules, mac, network, pings, port, subnet, uid


def _pid(driver: Any, net_id: str, name: str = "pid") -> int:
    return int((Path(driver.state_path) / "networks" / net_id / name).read_text())


def _ruleset() -> str:
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=True).stdout


def _alive(pid: int) -> bool:
    return links.alive(pid)


def _dhcp_net(cidr: str, *guest_ips: str) -> Any:
    s = subnet(cidr, gateway=None)
    base = cidr.rsplit(".", 1)[0]
    ports = [port(s, f"{base}.2", owner="network:dhcp")]
    ports += [port(s, ip, security_group_rules=default_rules()) for ip in guest_ips]
    return network([s], ports)


def test_port_changes_reload_dnsmasq_without_restart(driver: Any, guests: Any) -> None:
    net = _dhcp_net("10.97.0.0/24", "10.97.0.11")
    driver.sync_network(net)
    pid = _pid(driver, net.id)
    driver.sync_network(net)  # nothing changed: nothing happens
    assert _pid(driver, net.id) == pid

    s = net.subnets[0]
    newcomer = port(s, "10.97.0.12", security_group_rules=default_rules())
    net.ports.append(newcomer)
    driver.sync_network(net)
    assert _pid(driver, net.id) == pid and _alive(pid)
    hosts = (Path(driver.state_path) / "networks" / net.id / "host").read_text()
    assert f"{newcomer.mac_address},set:port-{newcomer.id},host-10-97-0-12.openstacklocal,10.97.0.12" in hosts
    g = guests.new()
    driver.plug_veth(net, newcomer.id, g)
    assert guests.dhcp(g)["ip"] == "10.97.0.12"


def test_delete_network_removes_everything(driver: Any) -> None:
    net = _dhcp_net("10.98.0.0/24", "10.98.0.11")
    net.remote_hosts = ["192.0.2.7"]
    net.segmentation_id = 777001
    driver.sync_network(net)
    tap = driver.plug_port(net, net.ports[1].id)
    dnsmasq, proxy = _pid(driver, net.id), _pid(driver, net.id, "metadata.pid")
    ours = links.our_links(driver.marker)
    assert {links.bridge_name(net.id), "vxlan-777001", tap} <= set(ours)

    driver.delete_network(net.id)
    driver.delete_network(net.id)  # idempotent
    assert not links.our_links(driver.marker)
    assert links.dhcp_ns(net.id) not in links.namespaces()
    assert not _alive(dnsmasq) and not _alive(proxy)
    assert not (Path(driver.state_path) / "networks" / net.id).exists()
    assert tap not in _ruleset()


def test_restart_resync_removes_stale_and_keeps_the_rest(tmp_path: Path, driver: Any) -> None:
    keep = _dhcp_net("10.99.1.0/24", "10.99.1.11")
    gone = _dhcp_net("10.99.2.0/24", "10.99.2.11")
    for n in (keep, gone):
        driver.sync_network(n)
    keep_tap = driver.plug_port(keep, keep.ports[1].id)
    gone_tap = driver.plug_port(gone, gone.ports[1].id)
    router = RouterState(
        id=uid(), project_id="p1", admin_state_up=True, gateway=None, gateway_nexthop=None, enable_snat=True,
        interfaces=[RouterInterfaceState(uid(), gone.id, mac(), ["10.99.2.1/24"], ["10.99.2.0/24"])],
    )
    driver.sync_router(router)
    keep_pid = _pid(driver, keep.id)
    gone_pid = _pid(driver, gone.id)
    # something that is not ours, named like ours: never touched
    foreign = "brq" + uid()[:11]
    with links.ipr() as h:
        h.link("add", ifname=foreign, kind="bridge")
    try:
        restarted = LinuxDriver(driver.state_path, metadata_socket=driver.metadata_socket)
        restarted.resync([keep], [])
        ours = links.our_links(driver.marker)
        assert links.bridge_name(keep.id) in ours and keep_tap in ours
        assert links.bridge_name(gone.id) not in ours and gone_tap not in ours
        assert links.dhcp_ns(gone.id) not in links.namespaces()
        assert links.router_ns(router.id) not in links.namespaces()
        assert not _alive(gone_pid)
        assert _pid(driver, keep.id) == keep_pid and _alive(keep_pid)  # untouched
        assert links.link_exists(foreign)
        ruleset = _ruleset()
        assert keep_tap in ruleset and gone_tap not in ruleset
    finally:
        with links.ipr() as h:
            h.link("del", ifname=foreign)


def test_unplug_port_removes_tap_and_filter(driver: Any) -> None:
    net = _dhcp_net("10.99.3.0/24", "10.99.3.11")
    driver.sync_network(net)
    tap = driver.plug_port(net, net.ports[1].id)
    assert tap == links.tap_name(net.ports[1].id)
    assert driver.plug_port(net, net.ports[1].id) == tap  # found again
    assert tap in _ruleset()
    driver.unplug_port(net.ports[1].id)
    driver.unplug_port(net.ports[1].id)
    assert not links.link_exists(tap)
    assert tap not in _ruleset()


def test_two_clouds_on_one_host_do_not_touch_each_other(tmp_path: Path, driver: Any, guests: Any) -> None:
    other = LinuxDriver(str(tmp_path / "other"))
    try:
        net = _dhcp_net("10.99.4.0/24", "10.99.4.11", "10.99.4.12")
        other.sync_network(net)
        ga, gb = guests.new(), guests.new()
        other.plug_veth(net, net.ports[1].id, ga)
        other.plug_veth(net, net.ports[2].id, gb)
        driver.resync([], [])
        assert links.bridge_name(net.id) in links.our_links(other.marker)
        assert links.dhcp_ns(net.id) in links.namespaces()
        assert guests.dhcp(ga)["ip"] == "10.99.4.11"
        assert not pings(ga, "10.99.4.12")  # the other cloud's filters still apply
    finally:
        other.teardown()
