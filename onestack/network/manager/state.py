"""Snapshots for the dataplane driver (``drivers/base.py``): one network as a
``NetworkState`` with its subnets and every port.

Security group rules per port come from the L3 side's hook
``mgr.secgroups.port_rules(s, port_ids) -> {port_id: [SecurityGroupRuleState]}``
when it exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.network.drivers.base import FixedIP, NetworkState, PortState, SubnetState
from onestack.network.models import IPAllocation, Network, Port, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager


class StateBuilder:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    def network(self, network_id: str) -> NetworkState | None:
        with self.mgr.db.session() as s:
            n = s.get(Network, network_id)
            return None if n is None else self.build(s, n)

    def all_networks(self) -> list[NetworkState]:
        with self.mgr.db.session() as s:
            return [self.build(s, n) for n in s.scalars(sa.select(Network).order_by(Network.id))]

    def build(self, s: Session, n: Network) -> NetworkState:
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == n.id)
                                 .order_by(Subnet.created_at, Subnet.id)))
        ports = list(s.scalars(sa.select(Port).where(Port.network_id == n.id).order_by(Port.id)))
        ips: dict[str, list[FixedIP]] = {p.id: [] for p in ports}
        for a in s.scalars(sa.select(IPAllocation).where(IPAllocation.network_id == n.id)):
            if a.port_id in ips:
                ips[a.port_id].append(FixedIP(subnet_id=a.subnet_id, ip_address=a.ip_address))
        rules: dict[str, list] = {}  # type: ignore[type-arg]
        sg = self.mgr.secgroups
        if sg is not None and hasattr(sg, "port_rules") and ports:
            rules = sg.port_rules(s, [p.id for p in ports])
        return NetworkState(
            id=n.id, project_id=n.project_id, segmentation_id=n.segmentation_id or 0, mtu=n.mtu,
            external=n.external, admin_state_up=n.admin_state_up,
            subnets=[SubnetState(
                id=x.id, cidr=x.cidr, ip_version=x.ip_version, gateway_ip=x.gateway_ip,
                enable_dhcp=x.enable_dhcp, dns_nameservers=list(x.dns_nameservers or []),
                host_routes=[(r["destination"], r["nexthop"]) for r in x.host_routes or []],
                allocation_pools=[(p["start"], p["end"]) for p in x.allocation_pools or []],
                ipv6_ra_mode=x.ipv6_ra_mode, ipv6_address_mode=x.ipv6_address_mode,
            ) for x in subnets],
            ports=[PortState(
                id=p.id, mac_address=p.mac_address, fixed_ips=ips[p.id], device_owner=p.device_owner,
                device_id=p.device_id, admin_state_up=p.admin_state_up,
                port_security_enabled=p.port_security_enabled,
                allowed_address_pairs=[(a["ip_address"], a.get("mac_address"))
                                       for a in p.allowed_address_pairs or []],
                security_group_rules=list(rules.get(p.id, [])), host=p.binding_host_id,
                dns_name=p.dns_name,
            ) for p in ports],
        )
