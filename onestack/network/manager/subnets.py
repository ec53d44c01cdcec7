"""Subnets: IPv4 and IPv6 (SLAAC, DHCPv6 stateful and stateless), allocation pools,
gateway, host routes, DNS name servers, DHCP (the network's ``network:dhcp`` port
holds one address on every DHCP-enabled subnet), allocation from subnet pools."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.network.manager import attrs
from onestack.network.manager.attrs import Attr
from onestack.network.manager.common import (
    DHCP_OWNER,
    ROUTER_OWNERS,
    bad_request,
    check_if_match,
    conflict,
    enforce_on_network,
    new_id,
    not_found,
    retrying,
    std_attrs,
    tf,
    touch,
)
from onestack.network.manager.ipam import default_pools, is_auto_address
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.models import IPAllocation, Network, Port, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")
MAX_DNS = 5
MAX_ROUTES = 20


def _mode(name: str, v: Any) -> Any:
    if v is None:
        return None
    if v not in IPV6_MODES:
        raise attrs.fail(name, f"'{v}' is not in {list(IPV6_MODES)}")
    return v


def _ip_version(name: str, v: Any) -> int:
    n = attrs.integer()(name, v)
    if n not in (4, 6):
        raise attrs.fail(name, f"{n} is not in [4, 6]")
    return int(n)


def _pools(name: str, v: Any) -> list[dict[str, str]]:
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    out = []
    for p in v:
        if not isinstance(p, dict) or set(p) != {"start", "end"}:
            raise attrs.fail(name, f"'{p}' is not a valid allocation pool (start and end)")
        out.append({"start": attrs.ip_address(name, p["start"]), "end": attrs.ip_address(name, p["end"])})
    return out


def _dns(name: str, v: Any) -> list[str]:
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    out = [attrs.ip_address(name, x) for x in v]
    if len(set(out)) != len(out):
        raise attrs.fail(name, f"Duplicate nameserver '{next(x for x in out if out.count(x) > 1)}'")
    if len(out) > MAX_DNS:
        raise bad_request(f"Number of DNS nameservers exceeds the limit {MAX_DNS} for subnet.",
                          "DNSNameServersExhausted")
    return out


def _routes(name: str, v: Any) -> list[dict[str, str]]:
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    out = []
    for r in v:
        if not isinstance(r, dict) or set(r) != {"destination", "nexthop"}:
            raise attrs.fail(name, f"Validation of dictionary's keys failed. Expected keys: "
                                   f"{{'destination', 'nexthop'}} Provided keys: {set(r) if isinstance(r, dict) else r}")
        route = {"destination": attrs.cidr(name, r["destination"]), "nexthop": attrs.ip_address(name, r["nexthop"])}
        if route in out:
            raise attrs.fail(name, f"Duplicate hostroute '{r}'")
        out.append(route)
    if len(out) > MAX_ROUTES:
        raise bad_request(f"Unable to complete operation for subnet. The number of host routes "
                          f"exceeds the limit {MAX_ROUTES}.", "HostRoutesExhausted")
    return out


SPEC: dict[str, Attr] = {
    "name": Attr(attrs.string(255)),
    "description": Attr(attrs.string(255)),
    "network_id": Attr(attrs.uuid_str(), put=False),
    "ip_version": Attr(_ip_version, put=False),
    "cidr": Attr(attrs.cidr, put=False),
    "prefixlen": Attr(attrs.integer(0, 128), put=False),
    "subnetpool_id": Attr(attrs.uuid_str(nullable=True), put=False),
    "use_default_subnetpool": Attr(attrs.boolean, put=False),
    "gateway_ip": Attr(attrs.nullable_ip),
    "allocation_pools": Attr(_pools),
    "dns_nameservers": Attr(_dns),
    "host_routes": Attr(_routes),
    "enable_dhcp": Attr(attrs.boolean),
    "ipv6_ra_mode": Attr(_mode, put=False),
    "ipv6_address_mode": Attr(_mode, put=False),
    "service_types": Attr(attrs.string_list(255)),
    "segment_id": Attr(attrs.uuid_str(nullable=True)),
    "dns_publish_fixed_ip": Attr(attrs.boolean),
    "id": Attr(attrs.uuid_str(), put=False),
}

LIST = ListSpec(
    Subnet, "subnets",
    filters={
        "id": (Subnet.id, "str"), "name": (Subnet.name, "str"), "network_id": (Subnet.network_id, "str"),
        "project_id": (Subnet.project_id, "str"), "tenant_id": (Subnet.project_id, "str"),
        "ip_version": (Subnet.ip_version, "int"), "cidr": (Subnet.cidr, "str"),
        "gateway_ip": (Subnet.gateway_ip, "str"), "enable_dhcp": (Subnet.enable_dhcp, "bool"),
        "ipv6_ra_mode": (Subnet.ipv6_ra_mode, "str"), "ipv6_address_mode": (Subnet.ipv6_address_mode, "str"),
        "subnetpool_id": (Subnet.subnetpool_id, "str"), "description": (Subnet.description, "str"),
        "revision_number": (Subnet.revision_number, "int"), "segment_id": (Subnet.segment_id, "str"),
    },
    sorts={"id": Subnet.id, "name": Subnet.name, "network_id": Subnet.network_id,
           "project_id": Subnet.project_id, "tenant_id": Subnet.project_id, "cidr": Subnet.cidr,
           "ip_version": Subnet.ip_version, "gateway_ip": Subnet.gateway_ip,
           "enable_dhcp": Subnet.enable_dhcp, "created_at": Subnet.created_at,
           "updated_at": Subnet.updated_at, "revision_number": Subnet.revision_number},
    tag_type="subnets",
    ignored=frozenset({"allocation_pools", "dns_nameservers", "host_routes", "service_types",
                       "shared", "created_at", "updated_at", "dns_publish_fixed_ip", "router:external"}),
)


def target(sub: Subnet, net: Network) -> dict[str, Any]:
    return {"project_id": sub.project_id, "tenant_id": sub.project_id, "network:project_id": net.project_id,
            "network:tenant_id": net.project_id, "shared": tf(net.shared), "id": sub.id}


class Subnets:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    def visible(self, ctx: RequestContext) -> Any:
        if ctx.is_admin:
            return sa.true()
        shared = sa.select(Network.id).where(sa.or_(Network.shared.is_(True), Network.external.is_(True)))
        return sa.or_(Subnet.project_id == ctx.project_id, Subnet.network_id.in_(shared))

    def get_row(self, s: Session, ctx: RequestContext | None, subnet_id: str) -> Subnet:
        sub = s.get(Subnet, subnet_id)
        if sub is None:
            raise not_found("Subnet", subnet_id)
        if ctx is not None and not ctx.is_admin and sub.project_id != ctx.project_id:
            net = s.get(Network, sub.network_id)
            if net is None or not (net.shared or net.external):
                raise not_found("Subnet", subnet_id)
        return sub

    def view(self, sub: Subnet, tags: list[str], external: bool = False) -> dict[str, Any]:
        return {
            "router:external": external,
            "id": sub.id, "name": sub.name, "tenant_id": sub.project_id, "project_id": sub.project_id,
            "network_id": sub.network_id, "ip_version": sub.ip_version, "cidr": sub.cidr,
            "gateway_ip": sub.gateway_ip, "enable_dhcp": sub.enable_dhcp,
            "ipv6_ra_mode": sub.ipv6_ra_mode, "ipv6_address_mode": sub.ipv6_address_mode,
            "subnetpool_id": sub.subnetpool_id,
            "allocation_pools": list(sub.allocation_pools or []),
            "dns_nameservers": list(sub.dns_nameservers or []),
            "host_routes": list(sub.host_routes or []), "service_types": list(sub.service_types or []),
            "segment_id": sub.segment_id, "dns_publish_fixed_ip": sub.dns_publish_fixed_ip,
            "tags": tags, **std_attrs(sub),
        }

    # ---- API operations ----------------------------------------------------------------
    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            rows, links = page(s, LIST, query, base=sa.select(Subnet).where(self.visible(ctx)), url=url)
            tags = self.mgr.tags.of_many(s, [r.id for r in rows])
            ext = set(s.scalars(sa.select(Network.id).where(
                Network.id.in_({r.network_id for r in rows}), Network.external.is_(True))))
            return collection(LIST, query, [self.view(r, tags.get(r.id, []), r.network_id in ext)
                                            for r in rows], links)

    def show(self, ctx: RequestContext, subnet_id: str, fields: list[str]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            sub = self.get_row(s, ctx, subnet_id)
            net, _ = enforce_on_network(self.mgr, s, ctx, sub, "get_subnet", target)
            return select_fields(self.view(sub, self.mgr.tags.of(s, sub.id), net.external), fields)

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=True)
        if "network_id" not in values:
            raise bad_request("Failed to parse request. Required attribute 'network_id' not specified")
        if "ip_version" not in values:
            raise bad_request("Failed to parse request. Required attribute 'ip_version' not specified")
        project_id = attrs.owner(ctx, values, ctx.is_admin)
        return self._create(ctx, project_id, values)

    @retrying
    def _create(self, ctx: RequestContext, project_id: str, values: dict[str, Any]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            net = self.mgr.networks.get_row(s, ctx, values["network_id"])
            tgt = {"project_id": project_id, "tenant_id": project_id,
                   "network:project_id": net.project_id, "network:tenant_id": net.project_id,
                   "shared": tf(net.shared)}
            self.mgr.enforce(ctx, "create_subnet", tgt)
            for key in ("segment_id", "service_types"):
                if key in values:
                    self.mgr.enforce(ctx, f"create_subnet:{key}", tgt)
            if net.project_id != project_id and not ctx.is_admin and not net.shared:
                raise not_found("Network", net.id)
            self.mgr.quotas.check(s, project_id, "subnet")
            sub = self.new_row(s, ctx, project_id, net, values)
            s.flush()
            self.ensure_dhcp_port(s, net)
            view = self.view(sub, [], net.external)
            nid = net.id
        self.mgr.sync_network(nid)
        return view

    def new_row(self, s: Session, ctx: RequestContext | None, project_id: str, net: Network,
                values: dict[str, Any]) -> Subnet:
        version = values["ip_version"]
        ra, am = values.get("ipv6_ra_mode"), values.get("ipv6_address_mode")
        cidr = values.get("cidr")
        pool_id = values.get("subnetpool_id")
        if pool_id is None and values.get("use_default_subnetpool"):
            pool_id = self.mgr.subnetpools.default_id(s, version)
            if pool_id is None:
                raise bad_request(f"No default subnetpool found for IPv{version}",
                                  "HTTPBadRequest")
        if pool_id is not None:
            cidr = self.mgr.subnetpools.allocate_cidr(s, ctx, pool_id, version, cidr, values.get("prefixlen"))
        elif cidr is None:
            raise bad_request("Bad subnets request: a cidr must be specified in the absence of a subnet pool")
        assert cidr is not None
        if "/" not in cidr:
            raise bad_request(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP subnet.")
        net_cidr = ipaddress.ip_network(cidr, strict=False)
        if net_cidr.version != version:
            raise bad_request(f"Invalid input for operation: Cannot use IPv{net_cidr.version} cidr with "
                              f"IPv{version} subnet.", "InvalidInput")
        given = values.get("cidr")
        if given is not None:
            iface = ipaddress.ip_interface(given)
            if iface.ip != iface.network.network_address:
                raise bad_request(f"Invalid input for operation: '{given}' isn't a recommended CIDR, "
                                  f"'{net_cidr}' is recommended.", "InvalidInput")
        if version == 4 and net_cidr.prefixlen == 0 or version == 6 and net_cidr.prefixlen == 0:
            raise bad_request(f"Invalid input for operation: cidr '{net_cidr}' is not a valid prefix.",
                              "InvalidInput")
        self._check_ipv6_modes(version, ra, am, net_cidr)
        self._check_overlap(s, net, str(net_cidr))
        if "gateway_ip" in values:
            gateway = values["gateway_ip"]
        else:
            first = next(net_cidr.hosts(), None) if net_cidr.num_addresses > 1 else None
            if version == 6 and net_cidr.prefixlen < 127:
                first = net_cidr.network_address + 1
            gateway = str(first) if first is not None else None
        if gateway is not None:
            self._check_gateway(net_cidr, gateway)
        pools = values.get("allocation_pools")
        if pools is None:
            pools = default_pools(str(net_cidr), gateway)
        else:
            self._check_pools(net_cidr, pools, gateway)
        self._check_dns_routes(version, values)
        sub = Subnet(
            id=values.get("id") or new_id(), project_id=project_id, network_id=net.id,
            name=values.get("name", ""), description=values.get("description", ""), ip_version=version,
            cidr=str(net_cidr), gateway_ip=gateway, enable_dhcp=values.get("enable_dhcp", True),
            ipv6_ra_mode=ra, ipv6_address_mode=am, subnetpool_id=pool_id, allocation_pools=pools,
            dns_nameservers=values.get("dns_nameservers", []), host_routes=values.get("host_routes", []),
            service_types=values.get("service_types", []), segment_id=values.get("segment_id"),
            dns_publish_fixed_ip=values.get("dns_publish_fixed_ip", False), revision_number=0,
        )
        s.add(sub)
        # every port already on the network gets its EUI-64 address on a SLAAC subnet
        if is_auto_address(sub):
            s.flush()
            for p in s.scalars(sa.select(Port).where(Port.network_id == net.id)):
                if p.device_owner in ROUTER_OWNERS:
                    continue
                self.mgr.ipam.allocate(s, sub, p.id, mac=p.mac_address)
        return sub

    @staticmethod
    def _check_ipv6_modes(version: int, ra: str | None, am: str | None,
                          cidr: ipaddress.IPv4Network | ipaddress.IPv6Network) -> None:
        if version == 4 and (ra or am):
            raise bad_request("Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot "
                              "be set when enable_dhcp is set to False or the subnet is IPv4.",
                              "InvalidInput")
        if ra and am and ra != am:
            raise bad_request(f"Invalid input for operation: ipv6_ra_mode set to '{ra}' with "
                              f"ipv6_address_mode set to '{am}' is not valid. If both attributes "
                              "are set, they must be the same value.", "InvalidInput")
        if (am in ("slaac", "dhcpv6-stateless") or (ra in ("slaac", "dhcpv6-stateless") and not am)) \
                and cidr.prefixlen != 64:
            raise bad_request(f"Invalid input for operation: Invalid CIDR {cidr} for IPv6 address mode. "
                              "OpenStack uses the EUI-64 address format, which requires the prefix "
                              "to be /64.", "InvalidInput")

    def _check_overlap(self, s: Session, net: Network, cidr: str, exclude: str | None = None) -> None:
        new = ipaddress.ip_network(cidr)
        for other in s.scalars(sa.select(Subnet).where(Subnet.network_id == net.id)):
            if other.id == exclude:
                continue
            if new.overlaps(ipaddress.ip_network(other.cidr)):  # type: ignore[arg-type]
                raise bad_request(f"Invalid input for operation: Requested subnet with cidr: {cidr} "
                                  f"for network: {net.id} overlaps with another subnet.", "InvalidInput")

    @staticmethod
    def _check_gateway(cidr: Any, gateway: str) -> None:
        gw = ipaddress.ip_address(gateway)
        if gw.version != cidr.version:
            raise bad_request("Invalid input for operation: Gateway IP version inconsistent with "
                              "allocation pool version.", "InvalidInput")
        if gw in cidr and cidr.version == 4 and cidr.prefixlen < 31 and gw in (
                cidr.network_address, cidr.broadcast_address):
            raise bad_request("Invalid input for operation: Gateway is not valid on subnet.",
                              "InvalidInput")

    @staticmethod
    def _check_pools(cidr: Any, pools: list[dict[str, str]], gateway: str | None) -> None:
        ranges = []
        for p in pools:
            a, b = ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"])
            if a.version != cidr.version or b.version != cidr.version:
                raise bad_request("Invalid input for operation: Gateway IP version inconsistent with "
                                  "allocation pool version.", "InvalidInput")
            if a > b:
                raise bad_request(f"The allocation pool {p['start']}-{p['end']} is not valid.",
                                  "InvalidAllocationPool")
            if a not in cidr or b not in cidr or (cidr.version == 4 and cidr.prefixlen < 31 and (
                    a == cidr.network_address or b == cidr.broadcast_address)):
                raise bad_request(f"The allocation pool {p['start']}-{p['end']} spans beyond the subnet "
                                  f"cidr {cidr}.", "OutOfBoundsAllocationPool")
            ranges.append((int(a), int(b), p))
        ranges.sort(key=lambda r: r[0])
        for (_a1, b1, p1), (a2, _b2, p2) in zip(ranges, ranges[1:], strict=False):
            if a2 <= b1:
                raise bad_request(f"Found overlapping allocation pools: {p1['start']}-{p1['end']} and "
                                  f"{p2['start']}-{p2['end']}", "OverlappingAllocationPools")
        if gateway is not None:
            g = int(ipaddress.ip_address(gateway))
            for a, b, p in ranges:
                if a <= g <= b:
                    raise conflict(f"Gateway ip {gateway} conflicts with allocation pool "
                                   f"{p['start']}-{p['end']}.", "GatewayConflictWithAllocationPools")

    @staticmethod
    def _check_dns_routes(version: int, values: dict[str, Any]) -> None:
        for ns in values.get("dns_nameservers") or []:
            if ipaddress.ip_address(ns).version != version:
                raise bad_request(f"Invalid input for operation: dns_nameserver {ns} does not match "
                                  f"the IP version of the subnet.", "InvalidInput")
        for r in values.get("host_routes") or []:
            if ipaddress.ip_network(r["destination"]).version != version or \
                    ipaddress.ip_address(r["nexthop"]).version != version:
                raise bad_request(f"Invalid input for operation: host_route {r} does not match the "
                                  "IP version of the subnet.", "InvalidInput")

    def update(self, ctx: RequestContext, subnet_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=False)
        with self.mgr.db.session() as s:
            sub = self.get_row(s, ctx, subnet_id)
            net, tgt = enforce_on_network(self.mgr, s, ctx, sub, "update_subnet", target)
            for key in ("segment_id", "service_types"):
                if key in values:
                    self.mgr.enforce(ctx, f"update_subnet:{key}", tgt)
            check_if_match(sub, if_match)
            cidr = ipaddress.ip_network(sub.cidr)
            gateway = values.get("gateway_ip", sub.gateway_ip)
            if "gateway_ip" in values and gateway is not None:
                self._check_gateway(cidr, gateway)
                in_use = s.scalar(sa.select(IPAllocation.port_id).where(
                    IPAllocation.subnet_id == sub.id, IPAllocation.ip_address == gateway))
                if in_use and gateway != sub.gateway_ip:
                    port = s.get(Port, in_use)
                    if port is not None and port.device_owner not in ROUTER_OWNERS:
                        raise conflict(f"Gateway ip {gateway} conflicts with allocation pool.",
                                       "GatewayIpInUse")
            if "allocation_pools" in values:
                self._check_pools(cidr, values["allocation_pools"], gateway)
            elif "gateway_ip" in values and gateway is not None:
                self._check_pools(cidr, list(sub.allocation_pools or []), gateway)
            self._check_dns_routes(sub.ip_version, values)
            for key, value in values.items():
                if getattr(sub, key) != value:
                    setattr(sub, key, value)
            touch(sub)
            s.flush()
            self.ensure_dhcp_port(s, net)
            view = self.view(sub, self.mgr.tags.of(s, sub.id), net.external)
        self.mgr.sync_network(net.id)
        return view

    def delete(self, ctx: RequestContext, subnet_id: str) -> None:
        with self.mgr.db.session() as s:
            sub = self.get_row(s, ctx, subnet_id)
            net, _ = enforce_on_network(self.mgr, s, ctx, sub, "delete_subnet", target)
            rows = s.execute(sa.select(IPAllocation, Port.device_owner).join(
                Port, Port.id == IPAllocation.port_id).where(IPAllocation.subnet_id == sub.id)).all()
            for _alloc, owner in rows:
                if owner == DHCP_OWNER:
                    continue
                if is_auto_address(sub) and owner not in ROUTER_OWNERS:
                    continue
                raise conflict(f"Unable to complete operation on subnet {subnet_id}: One or more ports "
                               "have an IP allocation from this subnet.", "SubnetInUse")
            s.execute(sa.delete(IPAllocation).where(IPAllocation.subnet_id == sub.id))
            self.mgr.tags.drop(s, [sub.id])
            s.delete(sub)
            s.flush()
            self.ensure_dhcp_port(s, net)
        self.mgr.sync_network(net.id)

    # ---- DHCP --------------------------------------------------------------------------
    def ensure_dhcp_port(self, s: Session, net: Network) -> None:
        """The network's ``network:dhcp`` port: present with one address on every
        DHCP-enabled subnet while there is one, gone when there is none."""
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == net.id,
                                                         Subnet.enable_dhcp.is_(True))))
        port = s.scalar(sa.select(Port).where(Port.network_id == net.id, Port.device_owner == DHCP_OWNER))
        if not subnets:
            if port is not None:
                s.delete(port)
            return
        if port is None:
            port = self.mgr.ports.new_internal(
                s, project_id=net.project_id, network=net, device_owner=DHCP_OWNER,
                device_id=f"dhcp{self.mgr.conf.compute.host}-{net.id}"[:255], fixed_ips=[],
                status="ACTIVE",
            )
        have = set(s.scalars(sa.select(IPAllocation.subnet_id).where(IPAllocation.port_id == port.id)))
        wanted = {x.id for x in subnets}
        for sid in have - wanted:
            sub = s.get(Subnet, sid)
            if sub is not None and not is_auto_address(sub):
                self.mgr.ipam.release(s, port.id, sid)
        for sub in subnets:
            if sub.id not in have:
                try:
                    self.mgr.ipam.allocate(s, sub, port.id, mac=port.mac_address, lowest=True)
                except Exception as e:  # an exhausted subnet: DHCP has no address there
                    if getattr(e, "type", None) != "IpAddressGenerationFailure":
                        raise
