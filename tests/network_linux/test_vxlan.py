"""Two hosts (this one and a network namespace standing for another) carry one
network over VXLAN: guests on either side reach each other."""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from onestack.network.drivers import linux_links as links
from onestack.network.drivers.linux import LinuxDriver
from tests.network_linux.conftest import (
    ICMP_IN,
    default_rules,
    in_ns,
    network,
    pings_eventually,
    port,
    subnet,
)

_HOST2 = """
import pickle, sys
from onestack.network.drivers.linux import LinuxDriver
args = pickle.load(sys.stdin.buffer)
d = LinuxDriver(args["state"], vxlan_local_ip=args["local"])
if args["op"] == "plug":
    d.sync_network(args["net"])
    d.plug_veth(args["net"], args["port"], args["guest"])
else:
    d.teardown()
"""


def _host2(ns: str, **args: Any) -> None:
    proc = subprocess.run(
        [*links.nsenter(ns), sys.executable, "-c", _HOST2], input=pickle.dumps(args), capture_output=True, timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()


def test_vxlan_between_two_hosts(tmp_path: Path, guests: Any) -> None:
    n = random.randint(1, 250)
    local, remote = f"10.251.{n}.1", f"10.251.{n}.2"
    vni = random.randint(100000, 16000000)
    host2 = guests.new()
    underlay = "osu" + uuid.uuid4().hex[:8]
    with links.ipr() as h:
        h.link("add", ifname=underlay, kind="veth", peer={"ifname": "u0", "net_ns_fd": host2})
        idx = h.link_lookup(ifname=underlay)[0]
        h.addr("add", index=idx, address=local, prefixlen=30)
        h.link("set", index=idx, state="up")
    in_ns(host2, "ip", "addr", "add", f"{remote}/30", "dev", "u0")
    in_ns(host2, "ip", "link", "set", "u0", "up")

    driver = LinuxDriver(str(tmp_path / "host1"), vxlan_local_ip=local)
    s = subnet("10.100.0.0/24", gateway=None, dhcp=False)
    rules = default_rules() + [ICMP_IN]
    a = port(s, "10.100.0.11", security_group_rules=rules, host="host1")
    b = port(s, "10.100.0.12", security_group_rules=rules, host="host2")
    net1 = network([s], [a, b], vni=vni, remote_hosts=[remote])
    net2 = network([s], [a, b], vni=vni, remote_hosts=[local])
    net2.id = net1.id
    try:
        driver.sync_network(net1)
        ga = guests.new()
        driver.plug_veth(net1, a.id, ga)
        gb = guests.new()
        _host2(host2, op="plug", state=str(tmp_path / "host2"), local=remote, net=net2, port=b.id, guest=gb)
        for g, ip in ((ga, "10.100.0.11/24"), (gb, "10.100.0.12/24")):
            in_ns(g, "ip", "addr", "add", ip, "dev", "eth0")
            in_ns(g, "ip", "link", "set", "eth0", "up")
        assert f"vxlan id {vni}" in subprocess.run(
            ["ip", "-d", "link", "show", f"vxlan-{vni}"], capture_output=True, text=True, check=True
        ).stdout
        fdb = subprocess.run(["bridge", "fdb", "show", "dev", f"vxlan-{vni}"], capture_output=True, text=True).stdout
        assert f"00:00:00:00:00:00 dst {remote}" in fdb
        assert pings_eventually(ga, "10.100.0.12")
        assert pings_eventually(gb, "10.100.0.11")

        # the remote host leaves: its FDB entry goes
        net1.remote_hosts = []
        driver.sync_network(net1)
        fdb = subprocess.run(["bridge", "fdb", "show", "dev", f"vxlan-{vni}"], capture_output=True, text=True).stdout
        assert f"00:00:00:00:00:00 dst {remote}" not in fdb
    finally:
        _host2(host2, op="teardown", state=str(tmp_path / "host2"), local=remote)
        driver.teardown()
        links.delete_link(underlay, "")
        with links.ipr() as h:
            for idx in h.link_lookup(ifname=underlay):
                h.link("del", index=idx)
