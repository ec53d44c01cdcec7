"""A router's full snapshot for the driver (``RouterState``): gateway and interface
ports with their addresses, the external subnet's gateway as the default route,
SNAT, extra routes and the associated floating IPs."""

from __future__ import annotations

import ipaddress
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.network.drivers.base import FloatingIPState, RouterInterfaceState, RouterState
from onestack.network.models import IPAllocation, Port, Subnet
from onestack.network.models_l3 import FloatingIP, Router, RouterRoute

INTERFACE = "network:router_interface"
GATEWAY = "network:router_gateway"


def router_state(s: Session, router_id: str) -> RouterState | None:
    r = s.get(Router, router_id)
    if r is None:
        return None
    ports = list(s.scalars(sa.select(Port).where(
        Port.device_id == r.id, Port.device_owner.in_((INTERFACE, GATEWAY))).order_by(Port.id)))
    allocs: dict[str, list[tuple[str, Subnet]]] = defaultdict(list)
    if ports:
        for a, sn in s.execute(sa.select(IPAllocation, Subnet).join(
                Subnet, Subnet.id == IPAllocation.subnet_id).where(
                IPAllocation.port_id.in_([p.id for p in ports]))):
            allocs[a.port_id].append((a.ip_address, sn))

    def iface(p: Port) -> RouterInterfaceState:
        items = sorted(allocs.get(p.id, []), key=lambda x: x[0])
        return RouterInterfaceState(
            port_id=p.id, network_id=p.network_id, mac_address=p.mac_address,
            ip_cidrs=[f"{ip}/{ipaddress.ip_network(sn.cidr, strict=False).prefixlen}"
                      for ip, sn in items],
            subnet_cidrs=list(dict.fromkeys(sn.cidr for _, sn in items)))

    gateway = None
    nexthop = None
    interfaces = []
    for p in ports:
        if p.device_owner == GATEWAY:
            if p.id == r.gw_port_id:
                gateway = iface(p)
                for _, sn in allocs.get(p.id, []):
                    if sn.gateway_ip and sn.ip_version == 4:
                        nexthop = sn.gateway_ip
                        break
        else:
            interfaces.append(iface(p))
    fips = [FloatingIPState(id=f.id, floating_ip_address=f.floating_ip_address,
                            fixed_ip_address=f.fixed_ip_address or "")
            for f in s.scalars(sa.select(FloatingIP).where(
                FloatingIP.router_id == r.id, FloatingIP.fixed_port_id.is_not(None),
                FloatingIP.fixed_ip_address.is_not(None)).order_by(FloatingIP.id))]
    routes = [(rr.destination, rr.nexthop) for rr in s.scalars(
        sa.select(RouterRoute).where(RouterRoute.router_id == r.id).order_by(
            RouterRoute.destination, RouterRoute.nexthop))]
    return RouterState(id=r.id, project_id=r.project_id, admin_state_up=r.admin_state_up,
                       gateway=gateway, gateway_nexthop=nexthop,
                       enable_snat=r.enable_snat if gateway is not None else False,
                       interfaces=interfaces, routes=routes, floating_ips=fips)
