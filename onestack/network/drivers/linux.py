"""The ``linux`` dataplane: a Linux bridge per network (VXLAN between hosts),
dnsmasq and the metadata proxy in ``qdhcp-<net>``, routers as ``qrouter-<id>``
namespaces with nftables NAT, security groups with nftables on the host.

See docs/adr/0007-network-dataplane.md.  Modules: ``linux_links`` (pyroute2:
links, addresses, routes, namespaces), ``linux_dhcp`` (dnsmasq), ``linux_nft``
(nftables rulesets), ``metadata_proxy`` (the process in each qdhcp namespace).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import logging
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from onestack.network.drivers import linux_dhcp as dhcp
from onestack.network.drivers import linux_links as links
from onestack.network.drivers import linux_nft as nft
from onestack.network.drivers.base import NetworkDriver, NetworkState, PortState, RouterState

LOG = logging.getLogger(__name__)
METADATA_CIDR = "169.254.169.254/32"


def _guest_port(port: PortState) -> bool:
    """Ports a guest NIC (a tap on this host) stands for; DHCP and router ports are
    veth legs the driver makes itself."""
    return not port.device_owner.startswith("network:")


class LinuxDriver(NetworkDriver):
    name = "linux"

    def __init__(
        self,
        state_path: str,
        *,
        metadata_socket: str | None = None,
        vxlan_local_ip: str | None = None,
        vxlan_port: int = 4789,
        dns_domain: str = "openstacklocal.",
        host: str | None = None,
        hostname: str | None = None,
        **_: Any,
    ) -> None:
        super().__init__(state_path, metadata_socket=metadata_socket)
        self.vxlan_local_ip = vxlan_local_ip
        self.vxlan_port = vxlan_port
        self.dns_domain = dns_domain
        # this compute/network host's name: a DHCP port bound to another host is
        # served there, not here
        self.host = host or hostname or ""
        root = Path(state_path).resolve()
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        # several clouds may share a host (tests do): each marks and finds only its own
        self.instance = hashlib.sha1(str(root).encode()).hexdigest()[:8]
        self.marker = f"onestack:{self.instance}"
        self._lock = threading.RLock()

    # ---- paths ----------------------------------------------------------------

    def _net_dir(self, network_id: str) -> Path:
        return self.root / "networks" / network_id

    def _router_dir(self, router_id: str) -> Path:
        return self.root / "routers" / router_id

    @contextlib.contextmanager
    def _host_lock(self) -> Iterator[None]:
        with self._lock, open(self.root / "nft.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # ---- networks -------------------------------------------------------------

    def sync_network(self, network: NetworkState) -> None:
        d = self._net_dir(network.id)
        d.mkdir(parents=True, exist_ok=True)
        bridge = links.bridge_name(network.id)
        links.ensure_bridge(bridge, self.marker, network.mtu)
        (d / "bridge").write_text(f"{bridge} {self._zone(network)}\n")
        # routers advertise IPv6 prefixes by the subnet's ipv6_ra_mode (read in sync_router)
        ra = {s.cidr: s.ipv6_ra_mode for s in network.subnets if s.ip_version == 6 and s.ipv6_ra_mode}
        (d / "ra_modes.json").write_text(json.dumps(ra, sort_keys=True))
        vx = links.vxlan_name(network.segmentation_id)
        if network.remote_hosts or self.vxlan_local_ip:
            links.ensure_vxlan(
                vx,
                self.marker,
                vni=network.segmentation_id,
                bridge=bridge,
                mtu=network.mtu,
                local_ip=self.vxlan_local_ip,
                port=self.vxlan_port,
                remotes=network.remote_hosts,
            )
        else:
            links.delete_link(vx, self.marker)
        self._sync_dhcp(network)
        self._sync_guest_ports(network)

    def _zone(self, network: NetworkState) -> int:
        return network.segmentation_id % 0xFFFF + 1

    def _sync_dhcp(self, network: NetworkState) -> None:
        d = self._net_dir(network.id)
        ns = links.dhcp_ns(network.id)
        port = dhcp.dhcp_port(network)
        elsewhere = port is not None and bool(port.host and self.host and port.host != self.host)
        if port is None or elsewhere or not dhcp.dhcp_subnets(network) or not network.admin_state_up:
            self._stop_dhcp(network.id)
            return
        links.ensure_namespace(ns)
        dev = links.ns_dev_name("ns-", port.id)
        links.ensure_veth(
            links.tap_name(port.id),
            self.marker,
            bridge=links.bridge_name(network.id),
            ns=ns,
            ns_name=dev,
            mac=port.mac_address,
            mtu=network.mtu,
        )
        for other in links.our_links(self.marker, ns):
            if other.startswith("ns-") and other != dev:
                links.delete_link(other, self.marker, ns)
        subnets = {s.id: s for s in network.subnets}
        cidrs = []
        for f in port.fixed_ips:
            s = subnets.get(f.subnet_id)
            if s is not None:
                cidrs.append(f"{f.ip_address}/{ipaddress.ip_network(s.cidr, strict=False).prefixlen}")
        cidrs.append(METADATA_CIDR)
        links.set_addresses(ns, dev, cidrs)
        dhcp.sync(network, d, ns, dev, self.dns_domain)
        self._sync_metadata_proxy(network.id, ns)

    def _sync_metadata_proxy(self, network_id: str, ns: str) -> None:
        d = self._net_dir(network_id)
        pidfile = d / "metadata.pid"
        argv = [sys.executable, "-m", "onestack.network.drivers.metadata_proxy", "--network-id", network_id]
        argv += ["--pid-file", str(pidfile)]
        if self.metadata_socket:
            argv += ["--socket", self.metadata_socket]
        pid = dhcp.read_pid(pidfile, network_id)
        if pid is not None:
            try:
                running = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
            except OSError:
                running = []
            if [a.decode() for a in running[1:]] == argv[1:]:
                return
            dhcp.stop_pid(pid)
        with contextlib.suppress(FileNotFoundError):
            pidfile.unlink()
        dhcp.spawn(argv, ns, d / "metadata.log")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if dhcp.read_pid(pidfile, network_id) is not None:
                return
            time.sleep(0.02)
        log = (d / "metadata.log").read_text(errors="replace")[-2000:] if (d / "metadata.log").exists() else ""
        raise RuntimeError(f"metadata proxy for network {network_id} did not start: {log}")

    def _stop_dhcp(self, network_id: str) -> None:
        d = self._net_dir(network_id)
        dhcp.stop(network_id, d)
        dhcp.stop_pid(dhcp.read_pid(d / "metadata.pid", network_id))
        ns = links.dhcp_ns(network_id)
        if ns in links.namespaces():
            links.delete_namespace(ns)

    def _sync_guest_ports(self, network: NetworkState) -> None:
        bridge = links.bridge_name(network.id)
        ours = links.our_links(self.marker)
        filters = []
        wanted = set()
        for port in network.ports:
            if not _guest_port(port):
                continue
            tap = links.tap_name(port.id)
            wanted.add(tap)
            if tap not in ours:
                continue  # not plugged on this host
            with links.ipr() as h:
                h.link("set", index=ours[tap], master=ours[bridge], state="up" if port.admin_state_up else "down")
            if port.port_security_enabled:
                filters.append(nft.PortFilter.from_port(tap, port))
        self._write_filters(network.id, filters)
        # a guest tap still on the bridge whose port is gone: take it off the network
        with links.ipr() as h:
            for link in h.get_links():
                name = link.get_attr("IFLA_IFNAME")
                if name in ours and name.startswith("tap") and name not in wanted and link.get_attr("IFLA_MASTER") == ours[bridge]:
                    if link.get_attr("IFLA_LINKINFO") and link.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_KIND") == "veth":
                        continue  # a DHCP or router leg
                    h.link("set", index=link["index"], master=0, state="down")

    def _write_filters(self, network_id: str, filters: list[nft.PortFilter]) -> None:
        with self._host_lock():
            path = self._net_dir(network_id) / "filters.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            text = nft.dumps(filters)
            try:
                if path.read_text() == text and (self.root / "nft.applied").exists():
                    return
            except FileNotFoundError:
                pass
            path.write_text(text)
            self._apply_host_rules()

    def _apply_host_rules(self) -> None:
        bridges: dict[str, int] = {}
        filters: list[nft.PortFilter] = []
        base = self.root / "networks"
        if base.is_dir():
            for d in sorted(base.iterdir()):
                with contextlib.suppress(FileNotFoundError, ValueError):
                    name, zone = (d / "bridge").read_text().split()
                    bridges[name] = int(zone)
                with contextlib.suppress(FileNotFoundError):
                    filters += nft.loads((d / "filters.json").read_text())
        nft.apply(nft.host_ruleset(self.instance, bridges, filters))
        (self.root / "nft.applied").touch()

    def delete_network(self, network_id: str) -> None:
        self._stop_dhcp(network_id)
        bridge = links.bridge_name(network_id)
        d = self._net_dir(network_id)
        with links.ipr() as h:
            idx = h.link_lookup(ifname=bridge)
            if idx:
                for link in h.get_links():
                    if link.get_attr("IFLA_MASTER") == idx[0] and links.alias(link) == self.marker:
                        with contextlib.suppress(Exception):
                            h.link("del", index=link["index"])
        links.delete_link(bridge, self.marker)
        with self._host_lock():
            shutil.rmtree(d, ignore_errors=True)
            self._apply_host_rules()

    # ---- ports ----------------------------------------------------------------

    def plug_port(self, network: NetworkState, port_id: str) -> str:
        port = self._port(network, port_id)
        tap = links.tap_name(port_id)
        bridge = links.bridge_name(network.id)
        if not links.link_exists(bridge):
            self.sync_network(network)
        links.ensure_tap(tap, self.marker, bridge=bridge, mtu=network.mtu, mac=links.tap_mac(port.mac_address))
        self._sync_guest_ports(network)
        return tap

    def plug_veth(self, network: NetworkState, port_id: str, netns: str, ifname: str = "eth0") -> str:
        """For tests (and containers): like ``plug_port`` but a veth pair whose other
        end, with the port's MAC, is ``ifname`` in namespace ``netns``."""
        port = self._port(network, port_id)
        tap = links.tap_name(port_id)
        bridge = links.bridge_name(network.id)
        if not links.link_exists(bridge):
            self.sync_network(network)
        links.ensure_veth(
            tap,
            self.marker,
            bridge=bridge,
            ns=netns,
            ns_name=ifname,
            mac=port.mac_address,
            mtu=network.mtu,
            host_mac=links.tap_mac(port.mac_address),
        )
        self._sync_guest_ports(network)
        return tap

    @staticmethod
    def _port(network: NetworkState, port_id: str) -> PortState:
        for p in network.ports:
            if p.id == port_id:
                return p
        raise ValueError(f"port {port_id} is not on network {network.id}")

    def unplug_port(self, port_id: str) -> None:
        tap = links.tap_name(port_id)
        links.delete_link(tap, self.marker)
        with self._host_lock():
            base = self.root / "networks"
            if not base.is_dir():
                return
            for d in base.iterdir():
                path = d / "filters.json"
                try:
                    filters = nft.loads(path.read_text())
                except FileNotFoundError:
                    continue
                kept = [f for f in filters if f.tap != tap]
                if len(kept) != len(filters):
                    path.write_text(nft.dumps(kept))
                    self._apply_host_rules()

    # ---- routers --------------------------------------------------------------

    def sync_router(self, router: RouterState) -> None:
        if not router.admin_state_up:
            self.delete_router(router.id)
            return
        ns = links.router_ns(router.id)
        self._router_dir(router.id).mkdir(parents=True, exist_ok=True)
        links.ensure_namespace(ns, forwarding=True)
        keep = set()
        for itf in router.interfaces:
            dev = links.ns_dev_name("qr-", itf.port_id)
            keep.add(dev)
            self._router_leg(ns, dev, itf.port_id, itf.network_id, itf.mac_address, itf.ip_cidrs)
        gw_dev = None
        routes: list[tuple[str, str]] = []
        if router.gateway is not None:
            gw = router.gateway
            gw_dev = links.ns_dev_name("qg-", gw.port_id)
            keep.add(gw_dev)
            fips = [f"{f.floating_ip_address}/32" for f in router.floating_ips]
            self._router_leg(ns, gw_dev, gw.port_id, gw.network_id, gw.mac_address, gw.ip_cidrs + fips)
            if router.gateway_nexthop:
                default = "::/0" if ":" in router.gateway_nexthop else "0.0.0.0/0"
                routes.append((default, router.gateway_nexthop))
        for name in links.our_links(self.marker, ns):
            if name.startswith(("qr-", "qg-")) and name not in keep:
                links.delete_link(name, self.marker, ns)
        routes += list(router.routes)
        links.set_routes(ns, routes)
        nft.apply(nft.router_ruleset(router, gw_dev), ns)
        ra = []
        for itf in router.interfaces:
            try:
                modes = json.loads((self._net_dir(itf.network_id) / "ra_modes.json").read_text())
            except (FileNotFoundError, ValueError):
                modes = {}
            for cidr in itf.subnet_cidrs:
                if modes.get(cidr):
                    ra.append((links.ns_dev_name("qr-", itf.port_id), cidr, modes[cidr]))
        dhcp.sync_ra(router.id, self._router_dir(router.id), ns, ra)

    def _router_leg(self, ns: str, dev: str, port_id: str, network_id: str, mac: str, cidrs: list[str]) -> None:
        bridge = links.bridge_name(network_id)
        mtu = 1500
        with links.ipr() as h:
            idx = h.link_lookup(ifname=bridge)
            if idx:
                mtu = h.link("get", index=idx[0])[0].get_attr("IFLA_MTU")
        if not idx:
            links.ensure_bridge(bridge, self.marker, mtu)
        links.ensure_veth(links.tap_name(port_id), self.marker, bridge=bridge, ns=ns, ns_name=dev, mac=mac, mtu=mtu)
        links.set_addresses(ns, dev, cidrs)

    def delete_router(self, router_id: str) -> None:
        dhcp.stop_pid(dhcp.read_pid(self._router_dir(router_id) / "ra.pid", router_id))
        ns = links.router_ns(router_id)
        if ns in links.namespaces():
            links.delete_namespace(ns)
        shutil.rmtree(self._router_dir(router_id), ignore_errors=True)

    # ---- resync ---------------------------------------------------------------

    def resync(self, networks: list[NetworkState], routers: list[RouterState]) -> None:
        net_ids = {n.id for n in networks}
        router_ids = {r.id for r in routers if r.admin_state_up}
        known_nets = self._dirs("networks")
        known_routers = self._dirs("routers")
        for ns in links.namespaces():
            if ns.startswith(links.DHCP_NS_PREFIX):
                nid = ns[len(links.DHCP_NS_PREFIX) :]
                if nid not in net_ids and (nid in known_nets or self._ns_is_ours(ns)):
                    self._stop_dhcp(nid)
            elif ns.startswith(links.ROUTER_NS_PREFIX):
                rid = ns[len(links.ROUTER_NS_PREFIX) :]
                if rid not in router_ids and (rid in known_routers or self._ns_is_ours(ns)):
                    self.delete_router(rid)
        for nid in known_nets - net_ids:
            self._stop_dhcp(nid)
            shutil.rmtree(self._net_dir(nid), ignore_errors=True)
        for rid in known_routers - router_ids:
            shutil.rmtree(self._router_dir(rid), ignore_errors=True)
        # host links: bridges, vxlan devices and guest taps nobody wants any more
        bridges = {links.bridge_name(n.id) for n in networks}
        vxlans = {links.vxlan_name(n.segmentation_id) for n in networks}
        taps = {links.tap_name(p.id) for n in networks for p in n.ports}
        for name in links.our_links(self.marker):
            stale = (
                (name.startswith("brq") and name not in bridges)
                or (name.startswith("vxlan-") and name not in vxlans)
                or (name.startswith("tap") and name not in taps)
            )
            if stale:
                links.delete_link(name, self.marker)
        with self._host_lock():
            with contextlib.suppress(FileNotFoundError):
                (self.root / "nft.applied").unlink()
            self._apply_host_rules()
        for n in networks:
            try:
                self.sync_network(n)
            except Exception:
                LOG.exception("resync: network %s", n.id)
        for r in routers:
            try:
                self.sync_router(r)
            except Exception:
                LOG.exception("resync: router %s", r.id)

    def _dirs(self, kind: str) -> set[str]:
        base = self.root / kind
        return {d.name for d in base.iterdir() if d.is_dir()} if base.is_dir() else set()

    def _ns_is_ours(self, ns: str) -> bool:
        try:
            return bool(links.our_links(self.marker, ns))
        except Exception:
            return False

    def teardown(self) -> None:
        """Remove everything this driver made on the host (tests, uninstall)."""
        self.resync([], [])
        nft.delete_tables(self.instance)
