"""The network dataplane contract.

The API side (``onestack.network.manager``) owns the truth in the database.  After
every change it hands the driver a *complete* snapshot of what one network or one
router must look like, and the driver makes the host match it (level-triggered,
idempotent: calling ``sync_network`` twice with the same state changes nothing).
On start, ``resync`` receives every network and router that exists; the driver
builds what is missing and removes anything it made earlier that is not listed
(stale bridges, namespaces, dnsmasq processes, nftables tables, taps).

Names of everything a driver makes on the host are derived from resource ids
(e.g. ``brq`` + network id[:11], ``qdhcp-<network id>``, ``qrouter-<router id>``,
``tap`` + port id[:11]) so that they can be found again after a restart.

Drivers: ``noop`` (nothing on the host; API-only use and fast tests) and
``linux`` (Linux bridges, VXLAN, namespaces, dnsmasq, nftables, metadata proxy).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SecurityGroupRuleState:
    """One rule, resolved: ``remote_ips`` holds the addresses of the members of
    ``remote_group_id`` (when the rule names a group) or the rule's own prefix."""

    direction: str  # "ingress" | "egress"
    ethertype: str  # "IPv4" | "IPv6"
    protocol: str | None  # None = any; "tcp", "udp", "icmp", "ipv6-icmp", or a number as a string
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ips: tuple[str, ...] | None = None  # None = any address; CIDRs otherwise


@dataclass(frozen=True)
class FixedIP:
    subnet_id: str
    ip_address: str


@dataclass
class PortState:
    id: str
    mac_address: str
    fixed_ips: list[FixedIP]
    device_owner: str  # "compute:<az>", "network:dhcp", "network:router_interface", ...
    device_id: str
    admin_state_up: bool = True
    port_security_enabled: bool = True
    # (ip or cidr, mac or None) pairs the port may also send from
    allowed_address_pairs: list[tuple[str, str | None]] = field(default_factory=list)
    security_group_rules: list[SecurityGroupRuleState] = field(default_factory=list)
    # the compute host the port is bound to ("" when unbound)
    host: str = ""
    dns_name: str = ""


@dataclass
class SubnetState:
    id: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    enable_dhcp: bool
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[tuple[str, str]] = field(default_factory=list)  # (destination, nexthop)
    allocation_pools: list[tuple[str, str]] = field(default_factory=list)  # (start, end)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None


@dataclass
class NetworkState:
    id: str
    project_id: str
    segmentation_id: int  # the VXLAN VNI (also used to name things when useful)
    mtu: int
    external: bool
    admin_state_up: bool
    subnets: list[SubnetState]
    # every port on the network, including the DHCP port ("network:dhcp") whose
    # fixed IPs dnsmasq serves from, and router interface/gateway ports
    ports: list[PortState]
    # other compute hosts' VXLAN underlay addresses that carry this network
    remote_hosts: list[str] = field(default_factory=list)


@dataclass
class RouterInterfaceState:
    port_id: str
    network_id: str
    mac_address: str
    ip_cidrs: list[str]  # "10.0.0.1/24"
    subnet_cidrs: list[str]


@dataclass
class FloatingIPState:
    id: str
    floating_ip_address: str
    fixed_ip_address: str


@dataclass
class RouterState:
    id: str
    project_id: str
    admin_state_up: bool
    # the gateway port on the external network (None: no gateway)
    gateway: RouterInterfaceState | None
    gateway_nexthop: str | None  # the external subnet's gateway_ip
    enable_snat: bool
    interfaces: list[RouterInterfaceState]
    routes: list[tuple[str, str]] = field(default_factory=list)  # (destination, nexthop)
    floating_ips: list[FloatingIPState] = field(default_factory=list)


class NetworkDriver(abc.ABC):
    """What a dataplane implements.  Methods are called from worker threads, never
    concurrently for the same network or router."""

    name = "base"

    def __init__(self, state_path: str, *, metadata_socket: str | None = None) -> None:
        # a directory the driver owns (dnsmasq configs, leases, pid files)
        self.state_path = state_path
        # a Unix socket where the metadata service answers (the compute side's
        # metadata app); proxies in namespaces forward 169.254.169.254:80 there
        # adding X-Forwarded-For and X-Neutron-Network-ID headers
        self.metadata_socket = metadata_socket

    @abc.abstractmethod
    def resync(self, networks: list[NetworkState], routers: list[RouterState]) -> None:
        """On start: make the host match exactly these; remove what this driver made
        before that is not listed."""

    @abc.abstractmethod
    def sync_network(self, network: NetworkState) -> None:
        """Bridge (and VXLAN), DHCP namespace and dnsmasq with hosts files regenerated,
        per-port security (nftables, anti-spoofing) for ports plugged on this host."""

    @abc.abstractmethod
    def delete_network(self, network_id: str) -> None:
        """Remove everything made for the network.  Idempotent."""

    @abc.abstractmethod
    def sync_router(self, router: RouterState) -> None:
        """The router namespace: interfaces on tenant bridges, the gateway on the
        external bridge, SNAT, floating IP DNAT/SNAT, extra routes."""

    @abc.abstractmethod
    def delete_router(self, router_id: str) -> None:
        """Remove the router namespace and its links.  Idempotent."""

    @abc.abstractmethod
    def plug_port(self, network: NetworkState, port_id: str) -> str:
        """Create (or find) the tap device for a guest NIC on this host, attach it to
        the network's bridge and apply the port's security; return the device name
        QEMU opens (``-netdev tap,ifname=NAME,script=no,downscript=no``)."""

    @abc.abstractmethod
    def unplug_port(self, port_id: str) -> None:
        """Remove the tap device and its filtering.  Idempotent."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """The process is stopping; leave the dataplane running (guests keep their
        network) unless the driver has a reason not to."""
