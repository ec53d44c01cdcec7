"""Ports: fixed IPs (IPAM), MAC addresses, device owner/id, allowed address pairs,
port security and security groups, admin-only binding attributes.

Helpers for the L3 side and compute (all inside the caller's session):
``new_internal(s, ...)`` makes a port with a device owner (router interface,
gateway, floating IP, DHCP), ``delete_internal(s, port_id)`` removes one without
the "owned by a router" check, ``view(s, ctx, port)`` renders one.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden
from onestack.network.manager import attrs
from onestack.network.manager.attrs import Attr
from onestack.network.manager.common import (
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
from onestack.network.manager.ipam import is_auto_address
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.models import IPAllocation, Network, Port, PortSecurityGroupBinding, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

MAX_ADDRESS_PAIRS = 10
VNIC_TYPES = ("normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
              "smart-nic", "remote-managed", "vdpa")


def _address_pairs(name: str, v: Any) -> list[dict[str, str]]:
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    out: list[dict[str, str]] = []
    for pair in v:
        if not isinstance(pair, dict) or "ip_address" not in pair or set(pair) - {"ip_address", "mac_address"}:
            raise bad_request("Allowed address pairs must be a list of dictionaries with keys "
                              "ip_address and (optionally) mac_address.", "AllowedAddressPairsMissingIP")
        item = {"ip_address": attrs.cidr_or_ip("ip_address", pair["ip_address"])}
        if pair.get("mac_address") is not None:
            item["mac_address"] = attrs.mac("mac_address", pair["mac_address"])
        if item in out:
            raise bad_request("Request contains duplicate address pair: mac_address "
                              f"{item.get('mac_address')} ip_address {item['ip_address']}.",
                              "DuplicateAddressPairInRequest")
        out.append(item)
    if len(out) > MAX_ADDRESS_PAIRS:
        raise bad_request(f"Exceeded maximum amount of allowed address pairs {MAX_ADDRESS_PAIRS}",
                          "AllowedAddressPairExhausted")
    return out


def _sg_ids(name: str, v: Any) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    out: list[str] = []
    for x in v:
        if not isinstance(x, str) or not x:
            raise attrs.fail(name, f"'{x}' is not a valid security group")
        if x not in out:
            out.append(x)
    return out


def _vnic(name: str, v: Any) -> str:
    if v not in VNIC_TYPES:
        raise attrs.fail(name, f"'{v}' is not in {list(VNIC_TYPES)}")
    return str(v)


def _dhcp_opts(name: str, v: Any) -> list[dict[str, Any]]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise attrs.fail(name, f"'{v}' is not a list")
    for o in v:
        if not isinstance(o, dict) or "opt_name" not in o or set(o) - {"opt_name", "opt_value", "ip_version"}:
            raise attrs.fail(name, f"'{o}' is not a valid extra DHCP option")
    return list(v)


SPEC: dict[str, Attr] = {
    "name": Attr(attrs.string(255)),
    "description": Attr(attrs.string(255)),
    "network_id": Attr(attrs.uuid_str(), put=False),
    "admin_state_up": Attr(attrs.boolean),
    "mac_address": Attr(attrs.mac),
    "fixed_ips": Attr(attrs.any_value),
    "device_id": Attr(attrs.string(255)),
    "device_owner": Attr(attrs.string(255)),
    "security_groups": Attr(_sg_ids),
    "allowed_address_pairs": Attr(lambda n, v: [] if v is None else _address_pairs(n, v)),
    "port_security_enabled": Attr(attrs.boolean),
    "binding:host_id": Attr(attrs.string(255)),
    "binding:profile": Attr(attrs.dict_value),
    "binding:vnic_type": Attr(_vnic),
    "dns_name": Attr(attrs.string(255)),
    "extra_dhcp_opts": Attr(_dhcp_opts),
    "qos_policy_id": Attr(attrs.uuid_str(nullable=True)),
    "id": Attr(attrs.uuid_str(), put=False),
}

LIST = ListSpec(
    Port, "ports",
    filters={
        "id": (Port.id, "str"), "name": (Port.name, "str"), "network_id": (Port.network_id, "str"),
        "project_id": (Port.project_id, "str"), "tenant_id": (Port.project_id, "str"),
        "mac_address": (Port.mac_address, "str"), "admin_state_up": (Port.admin_state_up, "bool"),
        "status": (Port.status, "str"), "device_id": (Port.device_id, "str"),
        "device_owner": (Port.device_owner, "str"), "description": (Port.description, "str"),
        "port_security_enabled": (Port.port_security_enabled, "bool"),
        "binding:host_id": (Port.binding_host_id, "str"), "binding:vnic_type": (Port.binding_vnic_type, "str"),
        "dns_name": (Port.dns_name, "str"), "revision_number": (Port.revision_number, "int"),
    },
    sorts={"id": Port.id, "name": Port.name, "network_id": Port.network_id, "project_id": Port.project_id,
           "tenant_id": Port.project_id, "mac_address": Port.mac_address, "status": Port.status,
           "device_id": Port.device_id, "device_owner": Port.device_owner,
           "admin_state_up": Port.admin_state_up, "created_at": Port.created_at,
           "updated_at": Port.updated_at, "revision_number": Port.revision_number},
    tag_type="ports",
    ignored=frozenset({"allowed_address_pairs", "binding:profile", "binding:vif_type", "binding:vif_details",
                       "extra_dhcp_opts", "qos_policy_id", "created_at", "updated_at"}),
)


def target(p: Port, net: Network) -> dict[str, Any]:
    return {"project_id": p.project_id, "tenant_id": p.project_id, "network:project_id": net.project_id,
            "network:tenant_id": net.project_id, "shared": tf(net.shared),
            "device_owner": p.device_owner, "network_device": tf(p.device_owner.startswith("network:")),
            "id": p.id}


def random_mac() -> str:
    a, b, c = (random.randint(0, 255) for _ in range(3))
    return f"fa:16:3e:{a:02x}:{b:02x}:{c:02x}"


class Ports:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    # ---- visibility --------------------------------------------------------------------
    def visible(self, ctx: RequestContext) -> Any:
        if ctx.is_admin:
            return sa.true()
        owned = sa.select(Network.id).where(Network.project_id == ctx.project_id)
        return sa.or_(Port.project_id == ctx.project_id, Port.network_id.in_(owned))

    def get_row(self, s: Session, ctx: RequestContext | None, port_id: str) -> Port:
        p = s.get(Port, port_id)
        if p is None:
            raise not_found("Port", port_id)
        if ctx is not None and not ctx.is_admin and p.project_id != ctx.project_id:
            net = s.get(Network, p.network_id)
            if net is None or net.project_id != ctx.project_id:
                raise not_found("Port", port_id)
        return p

    # ---- views -------------------------------------------------------------------------
    def view(self, s: Session, ctx: RequestContext | None, p: Port) -> dict[str, Any]:
        return self.views(s, ctx, [p])[0]

    def views(self, s: Session, ctx: RequestContext | None, rows: list[Port]) -> list[dict[str, Any]]:
        ids = [p.id for p in rows]
        ips: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
        sgs: dict[str, list[str]] = {i: [] for i in ids}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for a, _version in s.execute(sa.select(IPAllocation, Subnet.ip_version).join(
                    Subnet, Subnet.id == IPAllocation.subnet_id).where(IPAllocation.port_id.in_(chunk))
                    .order_by(Subnet.ip_version, Subnet.created_at, IPAllocation.ip_address)):
                ips[a.port_id].append({"subnet_id": a.subnet_id, "ip_address": a.ip_address})
            for b in s.scalars(sa.select(PortSecurityGroupBinding).where(
                    PortSecurityGroupBinding.port_id.in_(chunk))):
                sgs[b.port_id].append(b.security_group_id)
        tags = self.mgr.tags.of_many(s, ids)
        show_binding = ctx is None or self.mgr.check(ctx, "get_port:binding:host_id", {})
        out = []
        for p in rows:
            d: dict[str, Any] = {
                "id": p.id, "name": p.name, "network_id": p.network_id, "tenant_id": p.project_id,
                "project_id": p.project_id, "mac_address": p.mac_address, "admin_state_up": p.admin_state_up,
                "status": p.status, "device_id": p.device_id, "device_owner": p.device_owner,
                "fixed_ips": ips[p.id], "allowed_address_pairs": list(p.allowed_address_pairs or []),
                "extra_dhcp_opts": list(p.extra_dhcp_opts or []), "security_groups": sorted(sgs[p.id]),
                "port_security_enabled": p.port_security_enabled, "binding:vnic_type": p.binding_vnic_type,
                "dns_name": p.dns_name, "tags": tags.get(p.id, []),
                **std_attrs(p),
            }
            if show_binding:
                d["binding:host_id"] = p.binding_host_id
                d["binding:profile"] = p.binding_profile or {}
                d["binding:vif_type"] = p.binding_vif_type
                d["binding:vif_details"] = p.binding_vif_details or {}
            out.append(d)
        return out

    # ---- API operations ----------------------------------------------------------------
    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            base = sa.select(Port).where(self.visible(ctx))
            base = base.where(*self._fixed_ip_filters(query))
            if "security_groups" in query:
                groups = query.getlist("security_groups") if hasattr(query, "getlist") else [query["security_groups"]]
                base = base.where(Port.id.in_(sa.select(PortSecurityGroupBinding.port_id).where(
                    PortSecurityGroupBinding.security_group_id.in_(groups))))
            rows, links = page(s, LIST, query, base=base, url=url, handled=("fixed_ips", "security_groups"))
            return collection(LIST, query, self.views(s, ctx, rows), links)

    @staticmethod
    def _fixed_ip_filters(query: Mapping[str, Any]) -> list[Any]:
        if "fixed_ips" not in query:
            return []
        values = query.getlist("fixed_ips") if hasattr(query, "getlist") else [query["fixed_ips"]]
        clauses = []
        for v in values:
            key, _, val = v.partition("=")
            if key == "ip_address":
                clauses.append(IPAllocation.ip_address == val)
            elif key == "subnet_id":
                clauses.append(IPAllocation.subnet_id == val)
            elif key == "ip_address_substr":
                clauses.append(IPAllocation.ip_address.contains(val))
            else:
                raise bad_request(f"{key} is invalid attribute for filtering")
        return [Port.id.in_(sa.select(IPAllocation.port_id).where(c)) for c in clauses]

    def show(self, ctx: RequestContext, port_id: str, fields: list[str]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, port_id)
            enforce_on_network(self.mgr, s, ctx, p, "get_port", target)
            return select_fields(self.view(s, ctx, p), fields)

    def _attr_policies(self, ctx: RequestContext, action: str, values: dict[str, Any],
                       tgt: dict[str, Any]) -> None:
        for key in ("mac_address", "port_security_enabled", "binding:host_id", "binding:profile",
                    "binding:vnic_type", "allowed_address_pairs"):
            if key in values:
                self.mgr.enforce(ctx, f"{action}:{key}", tgt)
        if "device_owner" in values:
            t = dict(tgt, device_owner=values["device_owner"],
                     network_device=tf(str(values["device_owner"]).startswith("network:")))
            self.mgr.enforce(ctx, f"{action}:device_owner", t)
        if "fixed_ips" in values and isinstance(values["fixed_ips"], list):
            self.mgr.enforce(ctx, f"{action}:fixed_ips", tgt)
            for item in values["fixed_ips"]:
                if isinstance(item, dict) and "ip_address" in item:
                    self.mgr.enforce(ctx, f"{action}:fixed_ips:ip_address", tgt)
                elif isinstance(item, dict) and "subnet_id" in item:
                    self.mgr.enforce(ctx, f"{action}:fixed_ips:subnet_id", tgt)

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=True)
        if "network_id" not in values:
            raise bad_request("Failed to parse request. Required attribute 'network_id' not specified")
        project_id = attrs.owner(ctx, values, ctx.is_admin)
        with self.mgr.db.session() as s:
            net = self.mgr.networks.get_row(s, ctx, values["network_id"])
            net_owner, shared = net.project_id, net.shared
        tgt = {"project_id": project_id, "tenant_id": project_id, "network:project_id": net_owner,
               "network:tenant_id": net_owner, "shared": tf(shared), "device_owner": "",
               "network_device": "False"}
        self.mgr.enforce(ctx, "create_port", tgt)
        self._attr_policies(ctx, "create_port", values, tgt)
        if not ctx.is_admin and not shared and net_owner != project_id:
            raise Forbidden("Tenant not allowed to create port on this network", type="HTTPForbidden")
        sg_ids = self._security_groups(ctx, project_id, values)
        return self._create(ctx, project_id, values, sg_ids)

    def _security_groups(self, ctx: RequestContext, project_id: str, values: dict[str, Any]) -> list[str]:
        """Before the port's transaction: the default group (made if missing) or the
        validated requested ones."""
        owner = str(values.get("device_owner", ""))
        if owner.startswith("network:") or self.mgr.secgroups is None:
            return list(values.get("security_groups") or [])
        if "security_groups" in values:
            ids = values["security_groups"]
            return list(self.mgr.secgroups.validate_ids(ctx, ids, project_id=project_id)) if ids else []
        if values.get("port_security_enabled") is False:
            return []
        return [self.mgr.secgroups.ensure_default(project_id)]

    @retrying
    def _create(self, ctx: RequestContext, project_id: str, values: dict[str, Any],
                sg_ids: list[str]) -> dict[str, Any]:
        with self.mgr.write_lock, self.mgr.db.session() as s:
            net = self.mgr.networks.get_row(s, ctx, values["network_id"])
            self.mgr.quotas.check(s, project_id, "port")
            p = self.new_row(s, project_id, net, values, sg_ids)
            s.flush()
            view = self.view(s, ctx, p)
            nets = {net.id} | self._group_networks(s, sg_ids)
        for nid in nets:
            self.mgr.sync_network(nid)
        return view

    def _group_networks(self, s: Session, sg_ids: list[str]) -> set[str]:
        """Networks whose filtering depends on these groups (remote group members)."""
        sg = self.mgr.secgroups
        if not sg_ids or sg is None or not hasattr(sg, "networks_of_groups"):
            return set()
        return set(sg.networks_of_groups(s, sg_ids))

    def new_row(self, s: Session, project_id: str, net: Network, values: dict[str, Any],
                sg_ids: list[str], *, status: str = "DOWN") -> Port:
        pid = values.get("id") or new_id()
        if values.get("id") and s.get(Port, pid) is not None:
            raise conflict(f"Port {pid} already exists.", "HTTPConflict")
        mac = values.get("mac_address")
        if mac is not None:
            if s.scalar(sa.select(Port.id).where(Port.network_id == net.id, Port.mac_address == mac)):
                raise conflict(f"Unable to complete operation for network {net.id}. The mac address "
                               f"{mac} is in use.", "MacAddressInUse")
        else:
            mac = random_mac()
        owner = values.get("device_owner", "")
        psec = values.get("port_security_enabled", net.port_security_enabled)
        pairs = values.get("allowed_address_pairs", [])
        if not psec and (pairs or sg_ids):
            if pairs:
                raise conflict("Port Security must be enabled in order to have allowed address pairs "
                               "on a port.", "AddressPairAndPortSecurityRequired")
            if "security_groups" in values:
                raise bad_request("Port security must be enabled and port must have an IP address in "
                                  "order to use security groups.",
                                  "PortSecurityAndIPRequiredForSecurityGroups")
            sg_ids = []
        p = Port(
            id=pid, project_id=project_id, network_id=net.id, name=values.get("name", ""),
            description=values.get("description", ""), mac_address=mac,
            admin_state_up=values.get("admin_state_up", True), status=status,
            device_id=values.get("device_id", ""), device_owner=owner, port_security_enabled=psec,
            allowed_address_pairs=pairs, binding_host_id=values.get("binding:host_id", ""),
            binding_vnic_type=values.get("binding:vnic_type", "normal"),
            binding_profile=values.get("binding:profile", {}), binding_vif_details={},
            binding_vif_type="unbound", dns_name=values.get("dns_name", ""),
            extra_dhcp_opts=values.get("extra_dhcp_opts", []), revision_number=0,
        )
        if p.binding_host_id:
            self._bind(p, p.binding_host_id)
        s.add(p)
        s.flush()
        self._allocate(s, net, p, values.get("fixed_ips"))
        for g in sg_ids:
            s.add(PortSecurityGroupBinding(port_id=p.id, security_group_id=g))
        return p

    @staticmethod
    def _bind(p: Port, host: str) -> None:
        p.binding_host_id = host
        if host:
            p.binding_vif_type = "bridge"
            p.binding_vif_details = {"port_filter": True, "connectivity": "l2"}
        else:
            p.binding_vif_type = "unbound"
            p.binding_vif_details = {}

    def _allocate(self, s: Session, net: Network, p: Port, fixed_ips: Any) -> None:
        if fixed_ips is None:
            for sub in self.mgr.ipam.default_subnets(s, net):
                if is_auto_address(sub) and p.device_owner in ROUTER_OWNERS:
                    continue
                self.mgr.ipam.allocate(s, sub, p.id, mac=p.mac_address)
            return
        for sub, ip in self.mgr.ipam.resolve_fixed_ips(s, net, fixed_ips):
            self.mgr.ipam.allocate(s, sub, p.id, ip=ip, mac=p.mac_address)

    def update(self, ctx: RequestContext, port_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=False)
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, port_id)
            _, tgt = enforce_on_network(self.mgr, s, ctx, p, "update_port", target)
            self._attr_policies(ctx, "update_port", values, tgt)
        sg_ids = None
        if "security_groups" in values and self.mgr.secgroups is not None and values["security_groups"]:
            with self.mgr.db.session() as s:
                owner = self.get_row(s, ctx, port_id).project_id
            sg_ids = list(self.mgr.secgroups.validate_ids(ctx, values["security_groups"], project_id=owner))
        elif "security_groups" in values:
            sg_ids = list(values["security_groups"] or [])
        return self._update(ctx, port_id, values, sg_ids, if_match)

    @retrying
    def _update(self, ctx: RequestContext, port_id: str, values: dict[str, Any], sg_ids: list[str] | None,
                if_match: str | None) -> dict[str, Any]:
        with self.mgr.write_lock, self.mgr.db.session() as s:
            p = self.get_row(s, ctx, port_id)
            net = s.get(Network, p.network_id)
            assert net is not None
            check_if_match(p, if_match)
            if "mac_address" in values and values["mac_address"] != p.mac_address:
                mac = values["mac_address"]
                if s.scalar(sa.select(Port.id).where(Port.network_id == net.id, Port.mac_address == mac)):
                    raise conflict(f"Unable to complete operation for network {net.id}. The mac address "
                                   f"{mac} is in use.", "MacAddressInUse")
                p.mac_address = mac
            psec = values.get("port_security_enabled", p.port_security_enabled)
            pairs = values.get("allowed_address_pairs", p.allowed_address_pairs or [])
            current_sgs = list(s.scalars(sa.select(PortSecurityGroupBinding.security_group_id).where(
                PortSecurityGroupBinding.port_id == p.id)))
            groups = current_sgs if sg_ids is None else sg_ids
            if not psec:
                if pairs:
                    raise conflict("Port Security must be enabled in order to have allowed address pairs "
                                   "on a port.", "AddressPairAndPortSecurityRequired")
                if groups:
                    if sg_ids is None and "port_security_enabled" in values:
                        raise conflict("Port has security group associated. Cannot disable port security "
                                       "or ip address until security group is removed",
                                       "PortSecurityPortHasSecurityGroup")
                    raise bad_request("Port security must be enabled and port must have an IP address "
                                      "in order to use security groups.",
                                      "PortSecurityAndIPRequiredForSecurityGroups")
            simple = {"name": "name", "description": "description", "admin_state_up": "admin_state_up",
                      "device_id": "device_id", "device_owner": "device_owner",
                      "port_security_enabled": "port_security_enabled",
                      "allowed_address_pairs": "allowed_address_pairs", "binding:vnic_type": "binding_vnic_type",
                      "binding:profile": "binding_profile", "dns_name": "dns_name",
                      "extra_dhcp_opts": "extra_dhcp_opts"}
            for key, col in simple.items():
                if key in values:
                    setattr(p, col, values[key])
            if "binding:host_id" in values:
                self._bind(p, values["binding:host_id"])
            if sg_ids is not None:
                s.execute(sa.delete(PortSecurityGroupBinding).where(PortSecurityGroupBinding.port_id == p.id))
                for g in sg_ids:
                    s.add(PortSecurityGroupBinding(port_id=p.id, security_group_id=g))
            if "fixed_ips" in values:
                self._replace_ips(s, net, p, values["fixed_ips"])
            touch(p)
            s.flush()
            view = self.view(s, ctx, p)
            nets = {net.id} | self._group_networks(s, sorted(set(current_sgs) | set(groups)))
        for nid in nets:
            self.mgr.sync_network(nid)
        return view

    def _replace_ips(self, s: Session, net: Network, p: Port, fixed_ips: Any) -> None:
        wanted = self.mgr.ipam.resolve_fixed_ips(s, net, fixed_ips)
        current = list(s.scalars(sa.select(IPAllocation).where(IPAllocation.port_id == p.id)))
        keep: set[tuple[str, str]] = set()
        new: list[tuple[Subnet, str | None]] = []
        pool = {(a.subnet_id, a.ip_address) for a in current}
        by_subnet: dict[str, list[str]] = {}
        for a in current:
            by_subnet.setdefault(a.subnet_id, []).append(a.ip_address)
        for sub, ip in wanted:
            if ip is not None and (sub.id, ip) in pool:
                keep.add((sub.id, ip))
            elif ip is None and by_subnet.get(sub.id) and is_auto_address(sub):
                keep.add((sub.id, by_subnet[sub.id][0]))
            elif ip is None and [x for x in by_subnet.get(sub.id, []) if (sub.id, x) not in keep]:
                x = next(x for x in by_subnet[sub.id] if (sub.id, x) not in keep)
                keep.add((sub.id, x))
            else:
                new.append((sub, ip))
        for a in current:
            if (a.subnet_id, a.ip_address) not in keep:
                s.delete(a)
        s.flush()
        for sub, ip in new:
            self.mgr.ipam.allocate(s, sub, p.id, ip=ip, mac=p.mac_address)

    def delete(self, ctx: RequestContext, port_id: str) -> None:
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, port_id)
            enforce_on_network(self.mgr, s, ctx, p, "delete_port", target)
            if p.device_owner in ROUTER_OWNERS and self._router_exists(s, p.device_id):
                raise conflict(f"Port {port_id} has owner {p.device_owner} and therefore cannot be "
                               "deleted directly via the port API.", "L3PortInUse")
            groups = list(s.scalars(sa.select(PortSecurityGroupBinding.security_group_id).where(
                PortSecurityGroupBinding.port_id == p.id)))
            nets = {p.network_id} | self._group_networks(s, groups)
            self.delete_internal(s, port_id)
        for nid in nets:
            self.mgr.sync_network(nid)

    def _router_exists(self, s: Session, router_id: str) -> bool:
        routers = self.mgr.routers
        if routers is None or not hasattr(routers, "exists"):
            return True
        return bool(routers.exists(s, router_id))

    # ---- helpers for the L3 side and compute -------------------------------------------
    def new_internal(self, s: Session, *, project_id: str, network: Network, device_owner: str,
                     device_id: str, fixed_ips: list[dict[str, str]] | None = None, name: str = "",
                     status: str = "ACTIVE", mac_address: str | None = None,
                     security_groups: list[str] | None = None,
                     port_security_enabled: bool | None = None) -> Port:
        """A port made by the service itself (no policy, no quota), in ``s``.  ``fixed_ips``:
        None = the default addresses, [] = none, else [{"subnet_id"?, "ip_address"?}].
        Raises the same 409s as the API (an address in use or none left)."""
        values: dict[str, Any] = {"device_owner": device_owner, "device_id": device_id, "name": name,
                                  "fixed_ips": fixed_ips}
        if mac_address:
            values["mac_address"] = mac_address
        values["port_security_enabled"] = (not device_owner.startswith("network:")
                                           if port_security_enabled is None else port_security_enabled)
        return self.new_row(s, project_id, network, values, security_groups or [], status=status)

    def create_internal(self, s: Session, *, network_id: str, project_id: str, device_owner: str,
                        device_id: str, fixed_ips: list[dict[str, str]] | None = None,
                        **kw: Any) -> Port:
        """``new_internal`` by network id (404 NetworkNotFound when it is gone)."""
        net = s.get(Network, network_id)
        if net is None:
            raise not_found("Network", network_id)
        return self.new_internal(s, project_id=project_id, network=net, device_owner=device_owner,
                                 device_id=device_id, fixed_ips=fixed_ips, **kw)

    def set_fixed_ips(self, s: Session, port_id: str, fixed_ips: list[dict[str, str]]) -> None:
        """Replace a port's addresses (kept where asked again, the rest released)."""
        p = s.get(Port, port_id)
        if p is None:
            raise not_found("Port", port_id)
        net = s.get(Network, p.network_id)
        assert net is not None
        self._replace_ips(s, net, p, fixed_ips)
        touch(p)
        s.flush()

    def delete_internal(self, s: Session, port_id: str) -> None:
        """Remove a port (its addresses go back to the pools), whoever owns it."""
        p = s.get(Port, port_id)
        if p is None:
            return
        fips = self.mgr.floatingips
        if fips is not None and hasattr(fips, "port_deleted"):
            fips.port_deleted(s, port_id)
        s.execute(sa.delete(IPAllocation).where(IPAllocation.port_id == port_id))
        s.execute(sa.delete(PortSecurityGroupBinding).where(PortSecurityGroupBinding.port_id == port_id))
        self.mgr.tags.drop(s, [port_id])
        s.delete(p)
        s.flush()

    def addresses(self, s: Session, port_id: str) -> list[tuple[str, str]]:
        """[(subnet_id, ip_address)] of a port."""
        return [(a.subnet_id, a.ip_address) for a in s.scalars(
            sa.select(IPAllocation).where(IPAllocation.port_id == port_id))]


def ip_in(cidr: str, ip: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)
