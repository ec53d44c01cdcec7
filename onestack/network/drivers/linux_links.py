"""Links, addresses, routes and namespaces for the ``linux`` driver (pyroute2).

Every link the driver makes carries an ``ifalias`` marker (``onestack:<instance>``,
the instance derived from the driver's state path) so that resync and cleanup only
ever remove what this cloud made.  Names come from resource ids (IFNAMSIZ is 15):

========================  =====================================================
``brq<net[:11]>``         the network's bridge
``vxlan-<vni>``           the VXLAN device on that bridge (multi-host)
``tap<port[:11]>``        a guest NIC (a tap), or the bridge side of a veth leg
``ns-<port[:11]>``        the DHCP port's leg inside ``qdhcp-<net id>``
``qr-<port[:11]>``        a router interface inside ``qrouter-<router id>``
``qg-<port[:11]>``        a router gateway inside ``qrouter-<router id>``
========================  =====================================================
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import subprocess
from collections.abc import Iterator
from typing import Any

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

NETNS_DIR = "/run/netns"
DHCP_NS_PREFIX = "qdhcp-"
ROUTER_NS_PREFIX = "qrouter-"
OUR_LINK_PREFIXES = ("brq", "vxlan-", "tap")


def bridge_name(network_id: str) -> str:
    return "brq" + network_id[:11]


def tap_name(port_id: str) -> str:
    return "tap" + port_id[:11]


def ns_dev_name(prefix: str, port_id: str) -> str:
    return prefix + port_id[:11]


def vxlan_name(vni: int) -> str:
    return f"vxlan-{vni}"


def dhcp_ns(network_id: str) -> str:
    return DHCP_NS_PREFIX + network_id


def router_ns(router_id: str) -> str:
    return ROUTER_NS_PREFIX + router_id


def tap_mac(port_mac: str) -> str:
    """The host side of a guest NIC: neutron's ``fe:`` + the port MAC's tail, so the
    host never answers with the guest's own address."""
    return "fe" + port_mac[2:]


def nsenter(ns: str) -> list[str]:
    """The argv prefix that runs a command inside namespace ``ns``."""
    return ["nsenter", f"--net={NETNS_DIR}/{ns}", "--"]


def run(argv: list[str], *, input: str | None = None) -> str:
    proc = subprocess.run(argv, input=input, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


@contextlib.contextmanager
def ipr(ns: str | None = None) -> Iterator[IPRoute]:
    handle = IPRoute(netns=ns) if ns else IPRoute()
    try:
        yield handle
    finally:
        handle.close()


def alias(link: Any) -> str:
    return link.get_attr("IFLA_IFALIAS") or ""


def _index(h: IPRoute, name: str) -> int | None:
    found = h.link_lookup(ifname=name)
    return found[0] if found else None


def link_exists(name: str, ns: str | None = None) -> bool:
    with ipr(ns) as h:
        return _index(h, name) is not None


def our_links(marker: str, ns: str | None = None) -> dict[str, int]:
    """name → index of every link in ``ns`` (host when None) carrying ``marker``."""
    with ipr(ns) as h:
        return {link.get_attr("IFLA_IFNAME"): link["index"] for link in h.get_links() if alias(link) == marker}


def delete_link(name: str, marker: str, ns: str | None = None) -> None:
    """Delete ``name`` if it exists and is ours (idempotent)."""
    with ipr(ns) as h:
        idx = _index(h, name)
        if idx is None:
            return
        if alias(h.link("get", index=idx)[0]) != marker:
            return
        with contextlib.suppress(NetlinkError):
            h.link("del", index=idx)


# ---- namespaces ---------------------------------------------------------------


def namespaces() -> list[str]:
    return list(netns.listnetns())


def ensure_namespace(name: str, *, forwarding: bool = False) -> None:
    if name not in netns.listnetns():
        netns.create(name)
    with ipr(name) as h:
        lo = _index(h, "lo")
        if lo is not None:
            h.link("set", index=lo, state="up")
    if forwarding:
        run([*nsenter(name), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])


def pids_in_namespace(name: str) -> list[int]:
    """Every process whose network namespace is ``name``."""
    try:
        st = os.stat(f"{NETNS_DIR}/{name}")
    except FileNotFoundError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ns = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if (ns.st_dev, ns.st_ino) == (st.st_dev, st.st_ino):
            pids.append(int(entry))
    return pids


def delete_namespace(name: str) -> None:
    """Kill what runs inside, then remove the namespace (its links go with it)."""
    import signal
    import time

    pids = pids_in_namespace(name)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if alive(p)]
        time.sleep(0.02)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if name in netns.listnetns():
        # veth legs inside die with the namespace; delete them first so their host
        # peers disappear now rather than when the kernel gets round to it
        with ipr(name) as h:
            for link in h.get_links():
                if link.get_attr("IFLA_IFNAME") != "lo":
                    with contextlib.suppress(NetlinkError):
                        h.link("del", index=link["index"])
        netns.remove(name)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False


# ---- host links ---------------------------------------------------------------


def ensure_bridge(name: str, marker: str, mtu: int) -> int:
    with ipr() as h:
        idx = _index(h, name)
        if idx is None:
            h.link(
                "add",
                ifname=name,
                kind="bridge",
                br_stp_state=0,
                br_forward_delay=0,
                # security groups: bridged IP through the inet hooks (conntrack) on
                # this bridge only, whatever the host-wide sysctl says
                br_nf_call_iptables=1,
                br_nf_call_ip6tables=1,
            )
            idx = _index(h, name)
            assert idx is not None
        else:
            h.link("set", index=idx, kind="bridge", br_nf_call_iptables=1, br_nf_call_ip6tables=1)
        h.link("set", index=idx, ifalias=marker, mtu=mtu, state="up")
        return idx


def ensure_vxlan(
    name: str, marker: str, *, vni: int, bridge: str, mtu: int, local_ip: str | None, port: int, remotes: list[str]
) -> None:
    with ipr() as h:
        idx = _index(h, name)
        if idx is None:
            kw: dict[str, Any] = {"vxlan_id": vni, "vxlan_port": port, "vxlan_learning": 1}
            if local_ip:
                kw["vxlan_local6" if ":" in local_ip else "vxlan_local"] = local_ip
            h.link("add", ifname=name, kind="vxlan", **kw)
            idx = _index(h, name)
            assert idx is not None
        br = _index(h, bridge)
        h.link("set", index=idx, ifalias=marker, mtu=mtu, master=br, state="up")
        # head-end replication: one all-zero FDB entry per remote host
        have = set()
        for entry in h.fdb("dump", ifindex=idx):
            if entry["ifindex"] != idx:
                continue
            if entry.get_attr("NDA_LLADDR") == "00:00:00:00:00:00" and entry.get_attr("NDA_DST"):
                have.add(entry.get_attr("NDA_DST"))
        for ip in set(remotes) - have:
            h.fdb("append", ifindex=idx, lladdr="00:00:00:00:00:00", dst=ip)
        for ip in have - set(remotes):
            with contextlib.suppress(NetlinkError):
                h.fdb("del", ifindex=idx, lladdr="00:00:00:00:00:00", dst=ip)


def ensure_tap(name: str, marker: str, *, bridge: str, mtu: int, mac: str) -> None:
    with ipr() as h:
        idx = _index(h, name)
        if idx is None:
            h.link("add", ifname=name, kind="tuntap", mode="tap")
            idx = _index(h, name)
            assert idx is not None
            h.link("set", index=idx, address=mac)
        h.link("set", index=idx, ifalias=marker, mtu=mtu, master=_index(h, bridge), state="up")


def ensure_veth(
    host_name: str, marker: str, *, bridge: str, ns: str, ns_name: str, mac: str, mtu: int, host_mac: str | None = None
) -> int:
    """A veth pair: ``host_name`` on ``bridge`` and ``ns_name`` (with ``mac``) inside
    namespace ``ns``.  Returns the index of the namespace side."""
    with ipr(ns) as nh:
        inner = _index(nh, ns_name)
    with ipr() as h:
        outer = _index(h, host_name)
        if inner is None or outer is None:
            if outer is not None:
                h.link("del", index=outer)
            h.link("add", ifname=host_name, kind="veth", peer={"ifname": ns_name, "net_ns_fd": ns})
            outer = _index(h, host_name)
            assert outer is not None
        if host_mac:
            h.link("set", index=outer, address=host_mac)
        h.link("set", index=outer, ifalias=marker, mtu=mtu, master=_index(h, bridge), state="up")
    with ipr(ns) as nh:
        inner = _index(nh, ns_name)
        assert inner is not None
        link = nh.link("get", index=inner)[0]
        if (link.get_attr("IFLA_ADDRESS") or "").lower() != mac.lower():
            nh.link("set", index=inner, state="down")
            nh.link("set", index=inner, address=mac)
        nh.link("set", index=inner, ifalias=marker, mtu=mtu, state="up")
        return inner


# ---- addresses and routes -----------------------------------------------------


def set_addresses(ns: str | None, ifname: str, cidrs: list[str]) -> None:
    """Make ``ifname``'s global addresses exactly ``cidrs`` (link-local ones stay)."""
    want = {str(ipaddress.ip_interface(c)) for c in cidrs}
    with ipr(ns) as h:
        idx = _index(h, ifname)
        if idx is None:
            raise RuntimeError(f"no link {ifname} in {ns or 'the host'}")
        have = {}
        for a in h.get_addr(index=idx):
            iface = ipaddress.ip_interface(f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}")
            if iface.ip.is_link_local and iface.version == 6:
                continue
            have[str(iface)] = a
        for c in want - set(have):
            iface = ipaddress.ip_interface(c)
            kw: dict[str, Any] = {}
            if iface.version == 6:
                kw["IFA_FLAGS"] = 0x02  # IFA_F_NODAD: usable at once
            with contextlib.suppress(NetlinkError):
                h.addr("add", index=idx, address=str(iface.ip), prefixlen=iface.network.prefixlen, **kw)
        for c in set(have) - want:
            iface = ipaddress.ip_interface(c)
            with contextlib.suppress(NetlinkError):
                h.addr("del", index=idx, address=str(iface.ip), prefixlen=iface.network.prefixlen)


def set_routes(ns: str, routes: list[tuple[str, str]]) -> None:
    """Make the gateway routes (``via`` a nexthop) in ``ns`` exactly ``routes``
    ((destination cidr, nexthop) pairs, "0.0.0.0/0" for the default)."""
    want = {}
    for dst, via in routes:
        net = ipaddress.ip_network(dst, strict=False)
        want[(str(net), via)] = net
    with ipr(ns) as h:
        have = {}
        for family in (2, 10):
            for r in h.get_routes(family=family, table=254):
                gw = r.get_attr("RTA_GATEWAY")
                if not gw:
                    continue
                dst = r.get_attr("RTA_DST")
                net = ipaddress.ip_network(f"{dst}/{r['dst_len']}" if dst else ("::/0" if family == 10 else "0.0.0.0/0"))
                have[(str(net), gw)] = net
        for key in set(have) - set(want):
            net = have[key]
            with contextlib.suppress(NetlinkError):
                h.route("del", dst=str(net), gateway=key[1])
        for key in set(want) - set(have):
            net = want[key]
            with contextlib.suppress(NetlinkError):
                h.route("replace", dst=str(net), gateway=key[1])
