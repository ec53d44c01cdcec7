"""Networks: shared and external (``router:external``) networks, admin-only provider
attributes, MTU from ``[network] global_physnet_mtu`` minus the VXLAN overhead,
port security, availability zone hints, and the public network made at bootstrap."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.network.manager import attrs
from onestack.network.manager.attrs import Attr
from onestack.network.manager.common import (
    DHCP_OWNER,
    bad_request,
    check_if_match,
    conflict,
    new_id,
    not_found,
    retrying,
    std_attrs,
    tf,
    touch,
)
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.models import Network, Port, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

VXLAN_OVERHEAD = 50
MAX_VNI = 2**24 - 1
AZ = "nova"


def _az_hints(name: str, v: Any) -> list[str]:
    hints = attrs.string_list(255)(name, v)
    for h in hints:
        if h != AZ:
            raise bad_request(f"AvailabilityZone {h} could not be found.", "AvailabilityZoneNotFound")
    return hints


SPEC: dict[str, Attr] = {
    "name": Attr(attrs.string(255)),
    "description": Attr(attrs.string(255)),
    "admin_state_up": Attr(attrs.boolean),
    "shared": Attr(attrs.boolean),
    "router:external": Attr(attrs.boolean),
    "is_default": Attr(attrs.boolean),
    "mtu": Attr(attrs.integer(68, 65535)),
    "port_security_enabled": Attr(attrs.boolean),
    "availability_zone_hints": Attr(_az_hints, put=False),
    "dns_domain": Attr(attrs.string(255)),
    "provider:network_type": Attr(attrs.string(32)),
    "provider:physical_network": Attr(attrs.string(64, nullable=True)),
    "provider:segmentation_id": Attr(attrs.integer(nullable=True)),
    "qos_policy_id": Attr(attrs.uuid_str(nullable=True)),
    "id": Attr(attrs.uuid_str(), put=False),
}

LIST = ListSpec(
    Network, "networks",
    filters={
        "id": (Network.id, "str"), "name": (Network.name, "str"),
        "project_id": (Network.project_id, "str"), "tenant_id": (Network.project_id, "str"),
        "status": (Network.status, "str"), "admin_state_up": (Network.admin_state_up, "bool"),
        "shared": (Network.shared, "bool"), "router:external": (Network.external, "bool"),
        "mtu": (Network.mtu, "int"), "port_security_enabled": (Network.port_security_enabled, "bool"),
        "description": (Network.description, "str"), "revision_number": (Network.revision_number, "int"),
        "is_default": (Network.is_default, "bool"), "dns_domain": (Network.dns_domain, "str"),
        "provider:network_type": (Network.network_type, "str"),
        "provider:physical_network": (Network.physical_network, "str"),
        "provider:segmentation_id": (Network.segmentation_id, "int"),
    },
    sorts={"id": Network.id, "name": Network.name, "project_id": Network.project_id,
           "tenant_id": Network.project_id, "status": Network.status, "mtu": Network.mtu,
           "admin_state_up": Network.admin_state_up, "shared": Network.shared,
           "created_at": Network.created_at, "updated_at": Network.updated_at,
           "revision_number": Network.revision_number, "description": Network.description},
    tag_type="networks",
    ignored=frozenset({"availability_zone_hints", "availability_zones", "subnets", "qos_policy_id",
                       "ipv4_address_scope", "ipv6_address_scope", "created_at", "updated_at"}),
)


def target(n: Network) -> dict[str, Any]:
    return {"project_id": n.project_id, "tenant_id": n.project_id, "shared": tf(n.shared),
            "router:external": tf(n.external), "id": n.id}


class Networks:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    @property
    def default_mtu(self) -> int:
        return self.mgr.conf.network.global_physnet_mtu - VXLAN_OVERHEAD

    # ---- visibility --------------------------------------------------------------------
    def visible(self, ctx: RequestContext) -> Any:
        if ctx.is_admin:
            return sa.true()
        return sa.or_(Network.project_id == ctx.project_id, Network.shared.is_(True),
                      Network.external.is_(True))

    def get_row(self, s: Session, ctx: RequestContext | None, network_id: str) -> Network:
        n = s.get(Network, network_id)
        if n is None or (ctx is not None and not self._sees(ctx, n)):
            raise not_found("Network", network_id)
        return n

    def _sees(self, ctx: RequestContext, n: Network) -> bool:
        return ctx.is_admin or n.project_id == ctx.project_id or n.shared or n.external

    # ---- views -------------------------------------------------------------------------
    def view(self, s: Session, ctx: RequestContext, n: Network, *,
             subnets: list[str] | None = None, tags: list[str] | None = None) -> dict[str, Any]:
        if subnets is None:
            subnets = list(s.scalars(sa.select(Subnet.id).where(Subnet.network_id == n.id)
                                     .order_by(Subnet.created_at, Subnet.id)))
        if tags is None:
            tags = self.mgr.tags.of(s, n.id)
        d: dict[str, Any] = {
            "id": n.id, "name": n.name, "tenant_id": n.project_id, "project_id": n.project_id,
            "status": n.status, "admin_state_up": n.admin_state_up, "shared": n.shared,
            "router:external": n.external, "is_default": n.is_default, "mtu": n.mtu,
            "subnets": subnets, "port_security_enabled": n.port_security_enabled,
            "availability_zone_hints": list(n.availability_zone_hints or []),
            "availability_zones": [AZ], "ipv4_address_scope": None, "ipv6_address_scope": None,
            "l2_adjacency": True, "dns_domain": n.dns_domain, "tags": tags, **std_attrs(n),
        }
        if self.mgr.check(ctx, "get_network:provider:network_type", target(n)):
            flat = n.network_type != "vxlan"
            d["provider:network_type"] = n.network_type
            d["provider:physical_network"] = n.physical_network
            d["provider:segmentation_id"] = None if flat else n.segmentation_id
        return d

    def views(self, s: Session, ctx: RequestContext, rows: list[Network]) -> list[dict[str, Any]]:
        ids = [n.id for n in rows]
        subs: dict[str, list[str]] = {i: [] for i in ids}
        for nid, sid in s.execute(sa.select(Subnet.network_id, Subnet.id).where(
                Subnet.network_id.in_(ids)).order_by(Subnet.created_at, Subnet.id)):
            subs[nid].append(sid)
        tags = self.mgr.tags.of_many(s, ids)
        return [self.view(s, ctx, n, subnets=subs[n.id], tags=tags.get(n.id, [])) for n in rows]

    # ---- API operations ----------------------------------------------------------------
    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            rows, links = page(s, LIST, query, base=sa.select(Network).where(self.visible(ctx)), url=url)
            return collection(LIST, query, self.views(s, ctx, rows), links)

    def show(self, ctx: RequestContext, network_id: str, fields: list[str]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            n = self.get_row(s, ctx, network_id)
            self.mgr.enforce(ctx, "get_network", target(n))
            return select_fields(self.view(s, ctx, n), fields)

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=True)
        project_id = attrs.owner(ctx, values, ctx.is_admin)
        tgt = {"project_id": project_id, "tenant_id": project_id,
               "shared": tf(values.get("shared")), "router:external": tf(values.get("router:external"))}
        self.mgr.enforce(ctx, "create_network", tgt)
        for key in ("shared", "router:external", "is_default", "provider:network_type",
                    "provider:physical_network", "provider:segmentation_id"):
            if key in values:
                self.mgr.enforce(ctx, f"create_network:{key}", tgt)
        return self._create(ctx, project_id, values)

    @retrying
    def _create(self, ctx: RequestContext, project_id: str, values: dict[str, Any]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            self.mgr.quotas.check(s, project_id, "network")
            n = self.new_row(s, project_id, values)
            s.flush()
            return self.view(s, ctx, n, subnets=[], tags=[])

    def new_row(self, s: Session, project_id: str, values: dict[str, Any]) -> Network:
        ntype = values.get("provider:network_type") or "vxlan"
        if ntype not in ("vxlan", "flat", "local"):
            raise bad_request(f"Invalid input for operation: network_type value '{ntype}' not supported.",
                              "InvalidInput")
        seg = values.get("provider:segmentation_id")
        if ntype == "vxlan":
            if seg is not None:
                if not 1 <= seg <= MAX_VNI:
                    raise bad_request(f"Invalid input for operation: segmentation_id out of range "
                                      f"(1 through {MAX_VNI}).", "InvalidInput")
                if s.scalar(sa.select(Network.id).where(Network.segmentation_id == seg)):
                    raise conflict(f"Unable to create the network. The VXLAN ID {seg} is in use.",
                                   "TunnelIdInUse")
            else:
                seg = self.free_vni(s)
        else:
            seg = self.free_vni(s)
        mtu = values.get("mtu", self.default_mtu if ntype == "vxlan" else
                         self.mgr.conf.network.global_physnet_mtu)
        limit = self.default_mtu if ntype == "vxlan" else self.mgr.conf.network.global_physnet_mtu
        if mtu > limit:
            raise bad_request(f"Requested MTU is too big, maximum is {limit}", "InvalidInput")
        if values.get("is_default") and not values.get("router:external"):
            raise bad_request("Invalid input for operation: is_default can only be set on an "
                              "external network.", "InvalidInput")
        n = Network(
            id=values.get("id") or new_id(), project_id=project_id, name=values.get("name", ""),
            description=values.get("description", ""), admin_state_up=values.get("admin_state_up", True),
            shared=values.get("shared", False), external=values.get("router:external", False),
            is_default=values.get("is_default", False), mtu=mtu,
            port_security_enabled=values.get("port_security_enabled", True), network_type=ntype,
            physical_network=values.get("provider:physical_network"), segmentation_id=seg,
            availability_zone_hints=values.get("availability_zone_hints", []),
            dns_domain=values.get("dns_domain", ""), status="ACTIVE", revision_number=0,
        )
        if values.get("id") and s.get(Network, n.id) is not None:
            raise conflict(f"Network {n.id} already exists.", "HTTPConflict")
        s.add(n)
        return n

    def free_vni(self, s: Session) -> int:
        for _ in range(20):
            vni = random.randint(1, MAX_VNI)
            if s.scalar(sa.select(Network.id).where(Network.segmentation_id == vni)) is None:
                return vni
        raise conflict("No free VXLAN ID.", "NoNetworkAvailable")

    def update(self, ctx: RequestContext, network_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=False)
        with self.mgr.db.session() as s:
            n = self.get_row(s, ctx, network_id)
            tgt = target(n)
            self.mgr.enforce(ctx, "update_network", tgt)
            for key in values:
                if f"update_network:{key}" in self.mgr.policy._enforcer.rules:
                    self.mgr.enforce(ctx, f"update_network:{key}", tgt)
            check_if_match(n, if_match)
            changed = False
            mapping = {"name": "name", "description": "description", "admin_state_up": "admin_state_up",
                       "shared": "shared", "router:external": "external", "is_default": "is_default",
                       "port_security_enabled": "port_security_enabled", "dns_domain": "dns_domain",
                       "mtu": "mtu"}
            for key, value in values.items():
                if key in ("provider:network_type", "provider:physical_network",
                           "provider:segmentation_id", "qos_policy_id"):
                    cur = {"provider:network_type": n.network_type,
                           "provider:physical_network": n.physical_network,
                           "provider:segmentation_id": n.segmentation_id}.get(key)
                    if key != "qos_policy_id" and value != cur:
                        raise bad_request("Invalid input for operation: Plugin does not support "
                                          "updating provider attributes.", "InvalidInput")
                    continue
                col = mapping[key]
                if key == "mtu" and value > self.default_mtu and n.network_type == "vxlan":
                    raise bad_request(f"Requested MTU is too big, maximum is {self.default_mtu}",
                                      "InvalidInput")
                if key == "shared" and not value and n.shared:
                    self._check_unshare(s, n)
                if key == "router:external" and not value and n.external:
                    self._check_unexternal(s, n)
                if getattr(n, col) != value:
                    setattr(n, col, value)
                    changed = True
            if changed:
                touch(n)
            s.flush()
            out = self.view(s, ctx, n)
        self.mgr.sync_network(network_id)
        return out

    def _check_unshare(self, s: Session, n: Network) -> None:
        other = s.scalar(sa.select(Port.id).where(
            Port.network_id == n.id, Port.project_id != n.project_id,
            Port.device_owner != DHCP_OWNER).limit(1))
        if other:
            raise conflict(f"Unable to reconfigure sharing settings for network {n.id}. Multiple "
                           "tenants are using it.", "InvalidSharedSetting")

    def _check_unexternal(self, s: Session, n: Network) -> None:
        used = s.scalar(sa.select(Port.id).where(
            Port.network_id == n.id,
            Port.device_owner.in_(("network:router_gateway", "network:floatingip"))).limit(1))
        if used:
            raise conflict(f"Unable to complete operation on network {n.id}. There are one or more "
                           "ports still in use on the network.", "NetworkInUse")

    def delete(self, ctx: RequestContext, network_id: str) -> None:
        with self.mgr.db.session() as s:
            n = self.get_row(s, ctx, network_id)
            self.mgr.enforce(ctx, "delete_network", target(n))
            fips = self.mgr.floatingips
            # unassociated floating IPs go with their external network (as upstream)
            auto = (DHCP_OWNER, "network:floatingip") if hasattr(fips, "delete_for_network") else (DHCP_OWNER,)
            in_use = s.scalar(sa.select(Port.id).where(
                Port.network_id == n.id, Port.device_owner.not_in(auto)).limit(1))
            if in_use:
                raise conflict(f"Unable to complete operation on network {network_id}. There are one "
                               "or more ports still in use on the network.", "NetworkInUse")
            if len(auto) > 1:
                fips.delete_for_network(s, n.id)
            for p in s.scalars(sa.select(Port).where(Port.network_id == n.id)):
                self.mgr.ports.delete_internal(s, p.id)
            s.flush()
            for sub in s.scalars(sa.select(Subnet).where(Subnet.network_id == n.id)):
                s.delete(sub)
            s.flush()
            self.mgr.tags.drop(s, [n.id])
            s.delete(n)
        self.mgr.sync_network(network_id)

    # ---- bootstrap ---------------------------------------------------------------------
    def ensure_public(self, admin_project_id: str) -> str:
        """The external network a new cloud starts with (idempotent)."""
        nc = self.mgr.conf.network
        with self.mgr.db.session() as s:
            existing = s.scalar(sa.select(Network).where(Network.name == nc.public_network,
                                                         Network.external.is_(True)))
            if existing is not None:
                return existing.id
            n = self.new_row(s, admin_project_id, {
                "name": nc.public_network, "router:external": True, "shared": False,
                "is_default": True, "provider:network_type": "flat",
                "provider:physical_network": "public",
            })
            s.flush()
            net = ipaddress.ip_network(nc.public_cidr, strict=False)
            gw = nc.public_gateway or str(next(net.hosts()))
            self.mgr.subnets.new_row(s, None, admin_project_id, n, {
                "name": "public-subnet", "cidr": str(net), "ip_version": net.version,
                "gateway_ip": gw, "enable_dhcp": False,
            })
            return n.id
