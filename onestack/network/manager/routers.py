"""Routers (Neutron's ``router``, ``ext-gw-mode``, ``extraroute`` extensions).

As ``neutron/db/l3_db.py`` and ``extraroute_db.py``: a gateway is a
``network:router_gateway`` port on an external network (SNAT on by default; only
an admin may choose ``enable_snat`` or ``external_fixed_ips``); an interface is a
``network:router_interface`` port, made on a subnet's gateway IP or taken over from
an existing port; two interfaces on one subnet or on overlapping subnets are a 400;
a router with interfaces cannot be deleted (409 ``RouterInUse``); extra routes need
a nexthop on a subnet the router is connected to.  After every change the driver
gets the router's full snapshot (``sync_router``).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network import policies
from onestack.network.drivers.base import RouterState
from onestack.network.manager.common import (
    add_tags,
    bad,
    boolean,
    check_if_match,
    new_id,
    owned_row,
    owned_visible,
    reject_unknown,
    requested_owner,
    retrying,
    std_attrs,
    touch,
)
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.manager.quotas import counter
from onestack.network.manager.router_state import router_state
from onestack.network.models import IPAllocation, Network, Port, Subnet
from onestack.network.models_l3 import FloatingIP, Router, RouterRoute
from onestack.network.policies import ADMIN, ADMIN_OR_MEMBER, ADMIN_OR_READER

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

LOG = logging.getLogger(__name__)

INTERFACE = "network:router_interface"
AUTO_NET = "auto_allocated_network"
GATEWAY = "network:router_gateway"
MAX_ROUTES = 30

POLICIES: dict[str, str] = {
    "create_router": ADMIN_OR_MEMBER,
    "create_router:distributed": ADMIN,
    "create_router:ha": ADMIN,
    "create_router:external_gateway_info": ADMIN_OR_MEMBER,
    "create_router:external_gateway_info:network_id": ADMIN_OR_MEMBER,
    "create_router:external_gateway_info:enable_snat": ADMIN,
    "create_router:external_gateway_info:external_fixed_ips": ADMIN,
    "create_router:tags": ADMIN_OR_MEMBER,
    "get_router": ADMIN_OR_READER,
    "get_router:distributed": ADMIN,
    "get_router:ha": ADMIN,
    "update_router": ADMIN_OR_MEMBER,
    "update_router:distributed": ADMIN,
    "update_router:ha": ADMIN,
    "update_router:external_gateway_info": ADMIN_OR_MEMBER,
    "update_router:external_gateway_info:network_id": ADMIN_OR_MEMBER,
    "update_router:external_gateway_info:enable_snat": ADMIN,
    "update_router:external_gateway_info:external_fixed_ips": ADMIN,
    "delete_router": ADMIN_OR_MEMBER,
    "add_router_interface": ADMIN_OR_MEMBER,
    "remove_router_interface": ADMIN_OR_MEMBER,
}
policies.register(POLICIES)

LIST = ListSpec(
    Router, "routers",
    filters={
        "id": (Router.id, "str"), "name": (Router.name, "str"),
        "project_id": (Router.project_id, "str"), "tenant_id": (Router.project_id, "str"),
        "status": (Router.status, "str"), "admin_state_up": (Router.admin_state_up, "bool"),
        "description": (Router.description, "str"),
        "revision_number": (Router.revision_number, "int"),
        "enable_snat": (Router.enable_snat, "bool"),
    },
    sorts={"id": Router.id, "name": Router.name, "project_id": Router.project_id,
           "tenant_id": Router.project_id, "status": Router.status,
           "admin_state_up": Router.admin_state_up, "created_at": Router.created_at,
           "updated_at": Router.updated_at, "revision_number": Router.revision_number,
           "description": Router.description},
    tag_type="routers",
    ignored=frozenset({"distributed", "ha", "routes", "external_gateway_info",
                       "availability_zone_hints", "flavor_id"}),
)
CREATE_KEYS = frozenset({"name", "description", "admin_state_up", "external_gateway_info",
                         "distributed", "ha", "project_id", "tenant_id", "availability_zone_hints",
                         "tags", "flavor_id"})
UPDATE_KEYS = frozenset({"name", "description", "admin_state_up", "external_gateway_info",
                         "routes", "distributed", "ha"})


def router_not_found(router_id: Any) -> NotFound:
    return NotFound(f"Router {router_id} could not be found", type="RouterNotFound")


def bad_router(message: str) -> BadRequest:
    return BadRequest(f"Bad router request: {message}.", type="BadRequest")


def target(r: Router) -> dict[str, Any]:
    return {"project_id": r.project_id, "tenant_id": r.project_id, "id": r.id}


def _string(value: Any, name: str, max_len: int = 255) -> str:
    if value is None and name == "description":
        return ""
    if not isinstance(value, str):
        raise bad(f"Invalid input for {name}. Reason: '{value}' is not a valid string.", "InvalidInput")
    if len(value) > max_len:
        raise bad(f"Invalid input for {name}. Reason: '{value}' exceeds maximum length of {max_len}.",
                  "InvalidInput")
    return value


def _uuid_like(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 255:
        raise bad(f"Invalid input for {name}. Reason: '{value}' is not a valid UUID.", "InvalidInput")
    return value


class Routers:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr
        self._driver_lock = threading.Lock()
        mgr.tags.register("routers", self.get_row, "update_router", target)

    @property
    def db(self) -> Any:
        return self.mgr.db

    # ---- visibility ---------------------------------------------------------------------
    def visible(self, ctx: RequestContext) -> Any:
        return owned_visible(Router, ctx)

    def get_row(self, s: Session, ctx: RequestContext | None, router_id: Any) -> Router:
        return owned_row(s, Router, ctx, router_id, router_not_found)

    # ---- views --------------------------------------------------------------------------
    def views(self, s: Session, ctx: RequestContext, rows: list[Router]) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        routes: dict[str, list[dict[str, str]]] = defaultdict(list)
        if ids:
            for rr in s.scalars(sa.select(RouterRoute).where(RouterRoute.router_id.in_(ids))
                                .order_by(RouterRoute.destination, RouterRoute.nexthop)):
                routes[rr.router_id].append({"destination": rr.destination, "nexthop": rr.nexthop})
        gw_ids = [r.gw_port_id for r in rows if r.gw_port_id]
        gw_ports = {p.id: p for p in s.scalars(sa.select(Port).where(Port.id.in_(gw_ids)))} if gw_ids else {}
        gw_ips: dict[str, list[dict[str, str]]] = defaultdict(list)
        if gw_ids:
            for a in s.scalars(sa.select(IPAllocation).where(IPAllocation.port_id.in_(gw_ids))
                               .order_by(IPAllocation.ip_address)):
                gw_ips[a.port_id].append({"subnet_id": a.subnet_id, "ip_address": a.ip_address})
        tags = self.mgr.tags.of_many(s, ids) if ids else {}
        admin_fields = self.mgr.check(ctx, "get_router:distributed", {"project_id": ""})
        out = []
        for r in rows:
            gw = None
            port = gw_ports.get(r.gw_port_id or "")
            if port is not None:
                gw = {"network_id": port.network_id, "enable_snat": r.enable_snat,
                      "external_fixed_ips": gw_ips.get(port.id, [])}
            d: dict[str, Any] = {
                "id": r.id, "name": r.name, "project_id": r.project_id, "tenant_id": r.project_id,
                "status": r.status, "admin_state_up": r.admin_state_up,
                "external_gateway_info": gw, "routes": routes.get(r.id, []),
                "availability_zone_hints": [], "availability_zones": ["nova"],
                "flavor_id": None, "tags": tags.get(r.id, []),
                **std_attrs(r),
            }
            if admin_fields:
                d["distributed"] = False
                d["ha"] = False
            out.append(d)
        return out

    def view(self, s: Session, ctx: RequestContext, r: Router) -> dict[str, Any]:
        return self.views(s, ctx, [r])[0]

    # ---- API operations -----------------------------------------------------------------
    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.db.session() as s:
            rows, links = page(s, LIST, query, base=sa.select(Router).where(self.visible(ctx)), url=url)
            return collection(LIST, query, self.views(s, ctx, rows), links)

    def show(self, ctx: RequestContext, router_id: str, fields: list[str]) -> dict[str, Any]:
        with self.db.session() as s:
            r = self.get_row(s, ctx, router_id)
            self.mgr.enforce(ctx, "get_router", target(r))
            return select_fields(self.view(s, ctx, r), fields)

    @retrying
    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        if "routes" in body:
            raise bad("Attribute 'routes' not allowed in POST")
        reject_unknown(body, CREATE_KEYS)
        project_id = requested_owner(ctx, body)
        tgt = {"project_id": project_id, "tenant_id": project_id}
        self.mgr.enforce(ctx, "create_router", tgt)
        self._check_modes(ctx, "create_router", body, tgt)
        name = _string(body.get("name", ""), "name")
        description = _string(body.get("description", ""), "description")
        admin_state_up = boolean(body.get("admin_state_up", True), "admin_state_up")
        gw_info = body.get("external_gateway_info")
        if gw_info is not None:
            self._check_gw_policy(ctx, "create_router", gw_info, tgt)
        if body.get("availability_zone_hints") not in (None, []):
            raise NotFound(f"AvailabilityZone {body['availability_zone_hints']} could not be found.",
                           type="AvailabilityZoneNotFound")
        tags = body.get("tags")
        with self.db.session() as s:
            self.mgr.quotas.check(s, project_id, "router")
            now = utcnow()
            r = Router(id=new_id(), project_id=project_id, name=name, description=description,
                       admin_state_up=admin_state_up, status="ACTIVE", enable_snat=True,
                       revision_number=0, created_at=now, updated_at=now)
            s.add(r)
            s.flush()
            if gw_info:
                self._set_gateway(s, ctx, r, gw_info)
            if tags is not None:
                add_tags(s, r.id, "routers", tags)
            s.flush()
            view = self.view(s, ctx, r)
            rid = r.id
        self.sync(rid)
        return view

    def _check_modes(self, ctx: RequestContext, action: str, body: dict[str, Any],
                     tgt: dict[str, Any]) -> None:
        """``distributed`` and ``ha``: each by its policy, and only false (no such routers here)."""
        for key in ("distributed", "ha"):
            if key in body:
                self.mgr.enforce(ctx, f"{action}:{key}", tgt)
                if boolean(body[key], key):
                    raise bad(f"Invalid input for {key}: this cloud has no {key} routers.",
                              "InvalidInput")

    def _check_gw_policy(self, ctx: RequestContext, action: str, gw_info: Any,
                         tgt: dict[str, Any]) -> None:
        if not isinstance(gw_info, Mapping):
            raise bad(f"Invalid input for external_gateway_info. Reason: '{gw_info}' is not a "
                      "dictionary.", "InvalidInput")
        unknown = set(gw_info) - {"network_id", "enable_snat", "external_fixed_ips", "qos_policy_id"}
        if unknown:
            raise bad(f"Invalid input for external_gateway_info. Reason: Validation of dictionary's "
                      f"keys failed. Expected keys: {{'network_id'}} Provided keys: "
                      f"{set(gw_info)}.", "InvalidInput")
        self.mgr.enforce(ctx, f"{action}:external_gateway_info", tgt)
        for key in ("network_id", "enable_snat", "external_fixed_ips"):
            if key in gw_info:
                self.mgr.enforce(ctx, f"{action}:external_gateway_info:{key}", tgt)

    @retrying
    def update(self, ctx: RequestContext, router_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        reject_unknown(body, UPDATE_KEYS, update=True)
        with self.db.session() as s:
            r = self.get_row(s, ctx, router_id)
            tgt = target(r)
            self.mgr.enforce(ctx, "update_router", tgt)
            check_if_match(r, if_match)
            self._check_modes(ctx, "update_router", body, tgt)
            if "name" in body:
                r.name = _string(body["name"], "name")
            if "description" in body:
                r.description = _string(body["description"], "description")
            if "admin_state_up" in body:
                r.admin_state_up = boolean(body["admin_state_up"], "admin_state_up")
            if "external_gateway_info" in body:
                gw_info = body["external_gateway_info"]
                if gw_info:
                    self._check_gw_policy(ctx, "update_router", gw_info, tgt)
                else:
                    self.mgr.enforce(ctx, "update_router:external_gateway_info", tgt)
                self._set_gateway(s, ctx, r, gw_info or None)
            if "routes" in body:
                self._set_routes(s, r, body["routes"])
            touch(r)
            s.flush()
            view = self.view(s, ctx, r)
        self.sync(router_id)
        return view

    def delete(self, ctx: RequestContext, router_id: str) -> None:
        with self.db.session() as s:
            r = self.get_row(s, ctx, router_id)
            self.mgr.enforce(ctx, "delete_router", target(r))
            if s.scalar(sa.select(Port.id).where(Port.device_id == r.id,
                                                 Port.device_owner == INTERFACE).limit(1)):
                raise Conflict(f"Router {r.id} still has ports", type="RouterInUse")
            if s.scalar(sa.select(FloatingIP.id).where(
                    FloatingIP.router_id == r.id, FloatingIP.fixed_port_id.is_not(None)).limit(1)):
                raise Conflict(f"Router {r.id} still has floating IPs", type="RouterInUse")
            # floating IPs whose port went away without telling us
            s.execute(sa.update(FloatingIP).where(FloatingIP.router_id == r.id).values(
                router_id=None, fixed_ip_address=None, status="DOWN"))
            gw_net = None
            if r.gw_port_id:
                gw_net = s.scalar(sa.select(Port.network_id).where(Port.id == r.gw_port_id))
                port_id = r.gw_port_id
                r.gw_port_id = None
                s.flush()
                self.mgr.ports.delete_internal(s, port_id)
            self.mgr.tags.drop(s, [r.id])
            s.delete(r)
        if gw_net:
            self.mgr.sync_network(gw_net)
        self._driver(lambda: self.mgr.driver.delete_router(router_id))

    # ---- gateway ------------------------------------------------------------------------
    def _drop_gateway(self, s: Session, r: Router, port: Port) -> None:
        """Remove the router's gateway port (409 while a floating IP goes through it)."""
        if s.scalar(sa.select(FloatingIP.id).where(
                FloatingIP.router_id == r.id, FloatingIP.fixed_port_id.is_not(None)).limit(1)):
            raise Conflict(f"Gateway cannot be updated for router {r.id}, since a gateway to "
                           f"external network {port.network_id} is required by one or more "
                           "floating IPs.", type="RouterExternalGatewayInUseByFloatingIp")
        r.gw_port_id = None
        s.flush()
        self.mgr.ports.delete_internal(s, port.id)
        self.mgr.sync_network(port.network_id)

    def _set_gateway(self, s: Session, ctx: RequestContext, r: Router, gw_info: Any) -> None:
        old_port = s.get(Port, r.gw_port_id) if r.gw_port_id else None
        if not gw_info:
            if old_port is None:
                return
            self._drop_gateway(s, r, old_port)
            r.enable_snat = True
            return
        if "network_id" not in gw_info:
            raise bad("Invalid input for external_gateway_info. Reason: Validation of dictionary's "
                      "keys failed. Expected keys: {'network_id'} Provided keys: "
                      f"{set(gw_info)}.", "InvalidInput")
        net_id = _uuid_like(gw_info["network_id"], "network_id")
        net = s.get(Network, net_id)
        if net is None:
            raise NotFound(f"Network {net_id} could not be found.", type="NetworkNotFound")
        if not net.external:
            raise bad_router(f"Network {net_id} is not an external network")
        enable_snat = boolean(gw_info.get("enable_snat", True), "enable_snat")
        fixed = gw_info.get("external_fixed_ips")
        wanted_ips = self._gw_fixed_ips(s, net, fixed) if fixed is not None else None
        if old_port is not None and old_port.network_id == net_id:
            r.enable_snat = enable_snat
            if wanted_ips is not None:
                current = self._port_ips(s, old_port.id)
                if sorted((f.get("subnet_id"), f.get("ip_address")) for f in wanted_ips) != sorted(
                        (a["subnet_id"], a["ip_address"]) for a in current):
                    self.mgr.ports._replace_ips(s, net, old_port, wanted_ips)
                    touch(old_port)
                    self.mgr.sync_network(net_id)
            return
        if old_port is not None:
            self._drop_gateway(s, r, old_port)
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == net_id)))
        if not subnets:
            raise bad_router(f"No IPs available for external network {net_id}")
        self._check_overlap(s, r, [sn for sn in subnets if wanted_ips is None or sn.id in
                                   {f.get("subnet_id") for f in wanted_ips}], gateway=True)
        if wanted_ips is None:
            v4 = [sn for sn in subnets if sn.ip_version == 4]
            wanted_ips = [{"subnet_id": (v4 or subnets)[0].id}]
        port = self.mgr.ports.new_internal(
            s, project_id="", network=net, device_owner=GATEWAY, device_id=r.id,
            fixed_ips=wanted_ips)
        r.gw_port_id = port.id
        r.enable_snat = enable_snat
        s.flush()
        self.mgr.sync_network(net_id)

    def _gw_fixed_ips(self, s: Session, net: Network, fixed: Any) -> list[dict[str, str]]:
        if not isinstance(fixed, list) or not fixed:
            raise bad("Invalid input for external_fixed_ips. Reason: not a non-empty list.",
                      "InvalidInput")
        out = []
        for f in fixed:
            if not isinstance(f, Mapping) or set(f) - {"subnet_id", "ip_address"} or not f:
                raise bad(f"Invalid input for external_fixed_ips. Reason: Invalid data format "
                          f"for fixed IP: '{f}'.", "InvalidInput")
            item: dict[str, str] = {}
            if "subnet_id" in f:
                sub = s.get(Subnet, f["subnet_id"]) if isinstance(f["subnet_id"], str) else None
                if sub is None or sub.network_id != net.id:
                    raise bad_router(f"Invalid subnet {f['subnet_id']} for the external network "
                                     f"{net.id}")
                item["subnet_id"] = sub.id
            if "ip_address" in f:
                try:
                    item["ip_address"] = str(ipaddress.ip_address(str(f["ip_address"])))
                except ValueError:
                    raise bad(f"Invalid input for external_fixed_ips. Reason: '{f['ip_address']}' "
                              "is not a valid IP address.", "InvalidInput") from None
            out.append(item)
        return out

    # ---- interfaces ---------------------------------------------------------------------
    def _port_ips(self, s: Session, port_id: str) -> list[dict[str, str]]:
        return [{"subnet_id": a.subnet_id, "ip_address": a.ip_address} for a in s.scalars(
            sa.select(IPAllocation).where(IPAllocation.port_id == port_id))]

    def _router_subnets(self, s: Session, r: Router, *, gateway: bool = True) -> list[tuple[Subnet, str]]:
        owners = (INTERFACE, GATEWAY) if gateway else (INTERFACE,)
        rows = s.execute(sa.select(Subnet, IPAllocation.port_id).join(
            IPAllocation, IPAllocation.subnet_id == Subnet.id).join(
            Port, Port.id == IPAllocation.port_id).where(
            Port.device_id == r.id, Port.device_owner.in_(owners))).all()
        return [(sn, pid) for sn, pid in rows]

    def _check_overlap(self, s: Session, r: Router, new: list[Subnet], *, gateway: bool = False) -> None:
        existing = self._router_subnets(s, r)
        for sn in new:
            net_new = ipaddress.ip_network(sn.cidr, strict=False)
            for old, _ in existing:
                if old.id == sn.id and not gateway:
                    raise bad(f"Bad router request: Router already has a port on subnet {sn.id}.")
                net_old = ipaddress.ip_network(old.cidr, strict=False)
                if net_old.version == net_new.version and net_old.overlaps(net_new):  # type: ignore[arg-type]
                    raise bad(f"Bad router request: Cidr {sn.cidr} of subnet {sn.id} overlaps with "
                              f"cidr {old.cidr} of subnet {old.id}.")

    def _subnet_visible(self, s: Session, ctx: RequestContext, subnet_id: Any) -> Subnet:
        sub = s.get(Subnet, subnet_id) if isinstance(subnet_id, str) else None
        if sub is not None and not ctx.is_admin and sub.project_id != ctx.project_id:
            net = s.get(Network, sub.network_id)
            if net is None or not net.shared:
                sub = None
        if sub is None:
            raise NotFound(f"Subnet {subnet_id} could not be found.", type="SubnetNotFound")
        return sub

    def _interface_body(self, r: Router, port: Port, subnet_ids: list[str]) -> dict[str, Any]:
        return {"id": r.id, "tenant_id": r.project_id, "project_id": r.project_id,
                "port_id": port.id, "network_id": port.network_id,
                "subnet_id": subnet_ids[0] if subnet_ids else None, "subnet_ids": subnet_ids}

    @retrying
    def add_interface(self, ctx: RequestContext, router_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise bad("Bad router request: Either subnet_id or port_id must be specified.")
        subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
        if subnet_id and port_id:
            raise bad("Bad router request: Cannot specify both subnet-id and port-id.")
        if not subnet_id and not port_id:
            raise bad("Bad router request: Either subnet_id or port_id must be specified.")
        with self.db.session() as s:
            r = self.get_row(s, ctx, router_id)
            self.mgr.enforce(ctx, "add_router_interface", target(r))
            if port_id:
                port = self._port_visible(s, ctx, port_id)
                if port.device_id or port.device_owner:
                    raise Conflict(f"Unable to complete operation on port {port.id} for network "
                                   f"{port.network_id}. Port already has an attached device "
                                   f"{port.device_id or port.device_owner}.", type="PortInUse")
                ips = self._port_ips(s, port.id)
                if not ips:
                    raise bad("Bad router request: Router port must have at least one fixed IP.")
                subs = [s.get(Subnet, a["subnet_id"]) for a in ips]
                v4 = {sn.id for sn in subs if sn is not None and sn.ip_version == 4}
                if len(v4) > 1:
                    raise bad("Bad router request: Cannot have multiple IPv4 subnets on router port.")
                self._check_overlap(s, r, [sn for sn in subs if sn is not None])
                port.device_id = r.id
                port.device_owner = INTERFACE
                touch(port)
                subnet_ids = list(dict.fromkeys(a["subnet_id"] for a in ips))
            else:
                sub = self._subnet_visible(s, ctx, subnet_id)
                if not sub.gateway_ip:
                    raise bad("Bad router request: Subnet for router interface must have a "
                              "gateway IP.")
                net = s.get(Network, sub.network_id)
                if net is not None and net.external and not ctx.is_admin:
                    raise bad(f"Bad router request: Router interface cannot be added to the "
                              f"external network {net.id}.")
                self._check_overlap(s, r, [sub])
                taken = s.scalar(sa.select(IPAllocation.port_id).where(
                    IPAllocation.subnet_id == sub.id, IPAllocation.ip_address == sub.gateway_ip))
                if taken:
                    raise Conflict(f"IP address {sub.gateway_ip} already allocated in subnet "
                                   f"{sub.id}", type="IpAddressAlreadyAllocated")
                port = self.mgr.ports.new_internal(
                    s, project_id=sub.project_id, network=net, device_owner=INTERFACE,
                    device_id=r.id, fixed_ips=[{"subnet_id": sub.id, "ip_address": sub.gateway_ip}])
                subnet_ids = [sub.id]
            touch(r)
            s.flush()
            out = self._interface_body(r, port, subnet_ids)
            network_id = port.network_id
        self.mgr.sync_network(network_id)
        self.sync(router_id)
        return out

    def _port_visible(self, s: Session, ctx: RequestContext, port_id: Any) -> Port:
        port = s.get(Port, port_id) if isinstance(port_id, str) else None
        if port is not None and not ctx.is_admin and port.project_id != ctx.project_id:
            port = None
        if port is None:
            raise NotFound(f"Port {port_id} could not be found.", type="PortNotFound")
        return port

    def remove_interface(self, ctx: RequestContext, router_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise bad("Bad router request: Either subnet_id or port_id must be specified.")
        subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
        if not subnet_id and not port_id:
            raise bad("Bad router request: Either subnet_id or port_id must be specified.")
        with self.db.session() as s:
            r = self.get_row(s, ctx, router_id)
            self.mgr.enforce(ctx, "remove_router_interface", target(r))
            if port_id:
                port = s.get(Port, port_id) if isinstance(port_id, str) else None
                if port is None or port.device_id != r.id or port.device_owner != INTERFACE:
                    raise NotFound(f"Router {r.id} does not have an interface with id {port_id}",
                                   type="RouterInterfaceNotFound")
                ips = self._port_ips(s, port.id)
                if subnet_id and subnet_id not in {a["subnet_id"] for a in ips}:
                    raise Conflict(f"Subnet {subnet_id} is not on port {port_id}",
                                   type="SubnetMismatchForPort")
            else:
                sub = self._subnet_visible(s, ctx, subnet_id)
                port = None
                for sn, pid in self._router_subnets(s, r, gateway=False):
                    if sn.id == sub.id:
                        port = s.get(Port, pid)
                        break
                if port is None:
                    raise NotFound(f"Router {r.id} has no interface on subnet {subnet_id}",
                                   type="RouterInterfaceNotFoundForSubnet")
                ips = self._port_ips(s, port.id)
            subnet_ids = list(dict.fromkeys(a["subnet_id"] for a in ips))
            self._check_interface_unused(s, r, port, subnet_ids)
            out = self._interface_body(r, port, subnet_ids)
            network_id = port.network_id
            self.mgr.ports.delete_internal(s, port.id)
            touch(r)
        self.mgr.sync_network(network_id)
        self.sync(router_id)
        return out

    def _check_interface_unused(self, s: Session, r: Router, port: Port, subnet_ids: list[str]) -> None:
        subs = [sn for sn in (s.get(Subnet, i) for i in subnet_ids) if sn is not None]
        # floating IPs whose fixed port sits on these subnets and reach out through r
        fip_ips = s.execute(sa.select(FloatingIP.fixed_ip_address, FloatingIP.fixed_port_id).where(
            FloatingIP.router_id == r.id, FloatingIP.fixed_port_id.is_not(None))).all()
        for ip, _ in fip_ips:
            if ip is None:
                continue
            addr = ipaddress.ip_address(ip)
            for sn in subs:
                if addr in ipaddress.ip_network(sn.cidr, strict=False):
                    raise Conflict(f"Router interface for subnet {sn.id} on router {r.id} cannot be "
                                   "deleted, as it is required by one or more floating IPs.",
                                   type="RouterInterfaceInUseByFloatingIP")
        for rr in s.scalars(sa.select(RouterRoute).where(RouterRoute.router_id == r.id)):
            hop = ipaddress.ip_address(rr.nexthop)
            for sn in subs:
                if hop in ipaddress.ip_network(sn.cidr, strict=False):
                    raise Conflict(f"Router interface for subnet {sn.id} on router {r.id} cannot be "
                                   "deleted, as it is required by one or more routes.",
                                   type="RouterInterfaceInUseByRoute")

    # ---- extra routes -------------------------------------------------------------------
    def _set_routes(self, s: Session, r: Router, routes: Any) -> None:
        if routes is None:
            routes = []
        if not isinstance(routes, list):
            raise bad(f"Invalid input for routes. Reason: '{routes}' is not a list.", "InvalidInput")
        parsed: list[tuple[str, str]] = []
        for route in routes:
            if not isinstance(route, Mapping) or set(route) != {"destination", "nexthop"}:
                raise bad(f"Invalid input for routes. Reason: Validation of dictionary's keys "
                          f"failed. Expected keys: {{'destination', 'nexthop'}} Provided keys: "
                          f"{set(route) if isinstance(route, Mapping) else route}.", "InvalidInput")
            try:
                dest = ipaddress.ip_network(str(route["destination"]), strict=False)
                if "/" not in str(route["destination"]):
                    raise ValueError
            except ValueError:
                raise bad(f"Invalid input for routes. Reason: '{route['destination']}' is not a "
                          "valid IP subnet.", "InvalidInput") from None
            try:
                hop = ipaddress.ip_address(str(route["nexthop"]))
            except ValueError:
                raise bad(f"Invalid input for routes. Reason: '{route['nexthop']}' is not a valid "
                          "IP address.", "InvalidInput") from None
            if str(dest) != str(route["destination"]):
                dest_s = str(route["destination"])
            else:
                dest_s = str(dest)
            item = (dest_s, str(hop))
            if item not in parsed:
                parsed.append(item)
        if len(parsed) > MAX_ROUTES:
            raise bad(f"Unable to complete operation for {r.id}. The number of routes exceeds the "
                      f"maximum {MAX_ROUTES}.", "RoutesExhausted")
        connected = self._router_subnets(s, r)
        cidrs = [ipaddress.ip_network(sn.cidr, strict=False) for sn, _ in connected]
        own_ips = {a.ip_address for a in s.scalars(sa.select(IPAllocation).join(
            Port, Port.id == IPAllocation.port_id).where(Port.device_id == r.id, Port.device_owner.in_(
                (INTERFACE, GATEWAY))))}
        shown = [{"destination": d, "nexthop": h} for d, h in parsed]
        for dest_s, hop_s in parsed:
            hop = ipaddress.ip_address(hop_s)
            if not any(hop.version == c.version and hop in c for c in cidrs):
                raise bad(f"Invalid format for routes: {shown}, the nexthop is not connected with "
                          "router", "InvalidRoutes")
            if hop_s in own_ips:
                raise bad(f"Invalid format for routes: {shown}, the nexthop is used by router",
                          "InvalidRoutes")
            if ipaddress.ip_network(dest_s, strict=False).version != hop.version:
                raise bad(f"Invalid format for routes: {shown}, the nexthop and the destination "
                          "are not of the same IP version", "InvalidRoutes")
        s.execute(sa.delete(RouterRoute).where(RouterRoute.router_id == r.id))
        for dest_s, hop_s in parsed:
            s.add(RouterRoute(router_id=r.id, destination=dest_s, nexthop=hop_s))
        s.flush()

    # ---- auto-allocated topology (compute's networks="auto") ---------------------------
    @retrying
    def auto_allocate(self, ctx: RequestContext, project_id: str) -> str:
        """The project's ``auto_allocated_network`` (made if missing): a subnet, and a
        router to the default external network with an interface on it, as
        ``neutron/services/auto_allocate`` builds it.  Returns the network's id."""
        with self.db.session() as s:
            existing = s.scalar(sa.select(Network.id).where(
                Network.project_id == project_id, Network.name == AUTO_NET))
            if existing:
                return str(existing)
            ext = s.scalars(sa.select(Network).where(Network.external.is_(True)).order_by(
                Network.is_default.desc(), Network.created_at, Network.id)).first()
            net = self.mgr.networks.new_row(s, project_id, {"name": AUTO_NET})
            s.flush()
            sub = self.mgr.subnets.new_row(s, None, project_id, net, {
                "name": "auto_allocated_subnet_v4", "ip_version": 4, "cidr": "10.0.0.0/24"})
            s.flush()
            self.mgr.subnets.ensure_dhcp_port(s, net)
            router_id = None
            if ext is not None and sub.gateway_ip and s.scalar(
                    sa.select(Subnet.id).where(Subnet.network_id == ext.id).limit(1)):
                now = utcnow()
                r = Router(id=new_id(), project_id=project_id, name="auto_allocated_router",
                           description="", admin_state_up=True, status="ACTIVE", enable_snat=True,
                           revision_number=0, created_at=now, updated_at=now)
                s.add(r)
                s.flush()
                self._set_gateway(s, ctx, r, {"network_id": ext.id})
                self.mgr.ports.new_internal(
                    s, project_id=project_id, network=net, device_owner=INTERFACE, device_id=r.id,
                    fixed_ips=[{"subnet_id": sub.id, "ip_address": sub.gateway_ip}])
                router_id = r.id
            net_id = net.id
        self.mgr.sync_network(net_id)
        self.sync(router_id)
        return str(net_id)

    # ---- the dataplane ------------------------------------------------------------------
    def state(self, s: Session, router_id: str) -> RouterState | None:
        return router_state(s, router_id)

    def all_states(self) -> list[RouterState]:
        with self.db.session() as s:
            ids = list(s.scalars(sa.select(Router.id).order_by(Router.id)))
            return [st for st in (self.state(s, i) for i in ids) if st is not None]

    def exists(self, s: Session, device_id: str) -> bool:
        """Whether a router (or a floating IP) owns ports with this device id (the core
        refuses to delete those through the port API)."""
        if not device_id:
            return False
        return s.get(Router, device_id) is not None or s.get(FloatingIP, device_id) is not None

    def routers_on_network(self, s: Session, network_id: str) -> list[str]:
        return list(s.scalars(sa.select(Port.device_id).where(
            Port.network_id == network_id, Port.device_owner.in_((INTERFACE, GATEWAY))).distinct()))

    def sync(self, router_id: str | None) -> None:
        """Hand the driver the router's snapshot (or remove it when it is gone)."""
        if not router_id:
            return
        with self.db.session() as s:
            st = self.state(s, router_id)
        if st is None:
            self._driver(lambda: self.mgr.driver.delete_router(router_id))
        else:
            self._driver(lambda: self.mgr.driver.sync_router(st))

    def _driver(self, fn: Any) -> None:
        with self._driver_lock:
            try:
                fn()
            except Exception:
                LOG.exception("network driver failed to sync a router")


def build(mgr: NetworkManager) -> Routers:
    mgr.quotas.register("router", 10, counter(Router))
    return Routers(mgr)
