"""Floating IPs (Neutron's ``router`` extension, ``/v2.0/floatingips``).

As ``neutron/db/l3_db.py``: the address is held by a ``network:floatingip`` port
on the external network (an admin may name the address); associating it with a
port needs a router with a gateway on that external network and an interface on
the port's subnet (else 404 ``ExternalGatewayForFloatingIPNotFound``); a fixed IP
has at most one floating IP per external network (409).  The status is ACTIVE while
associated, DOWN otherwise.  Deleting the port it points at disassociates it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network import policies
from onestack.network.manager.common import (
    add_tags,
    bad,
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
from onestack.network.models import IPAllocation, Network, Port, Subnet
from onestack.network.models_l3 import FloatingIP, Router
from onestack.network.policies import ADMIN, ADMIN_OR_MEMBER, ADMIN_OR_READER

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

FIP_OWNER = "network:floatingip"
INTERFACE = "network:router_interface"
GATEWAY = "network:router_gateway"

POLICIES: dict[str, str] = {
    "create_floatingip": ADMIN_OR_MEMBER,
    "create_floatingip:floating_ip_address": f"({ADMIN}) or (role:manager and project_id:%(project_id)s)",
    "create_floatingip:tags": ADMIN_OR_MEMBER,
    "get_floatingip": ADMIN_OR_READER,
    "update_floatingip": ADMIN_OR_MEMBER,
    "delete_floatingip": ADMIN_OR_MEMBER,
}
policies.register(POLICIES)

LIST = ListSpec(
    FloatingIP, "floatingips",
    filters={
        "id": (FloatingIP.id, "str"), "project_id": (FloatingIP.project_id, "str"),
        "tenant_id": (FloatingIP.project_id, "str"),
        "floating_ip_address": (FloatingIP.floating_ip_address, "str"),
        "floating_network_id": (FloatingIP.floating_network_id, "str"),
        "router_id": (FloatingIP.router_id, "str"), "port_id": (FloatingIP.fixed_port_id, "str"),
        "fixed_ip_address": (FloatingIP.fixed_ip_address, "str"),
        "status": (FloatingIP.status, "str"), "description": (FloatingIP.description, "str"),
        "revision_number": (FloatingIP.revision_number, "int"),
    },
    sorts={"id": FloatingIP.id, "project_id": FloatingIP.project_id,
           "tenant_id": FloatingIP.project_id,
           "floating_ip_address": FloatingIP.floating_ip_address,
           "floating_network_id": FloatingIP.floating_network_id,
           "router_id": FloatingIP.router_id, "port_id": FloatingIP.fixed_port_id,
           "fixed_ip_address": FloatingIP.fixed_ip_address, "status": FloatingIP.status,
           "created_at": FloatingIP.created_at, "updated_at": FloatingIP.updated_at,
           "revision_number": FloatingIP.revision_number},
    tag_type="floatingips",
    ignored=frozenset({"port_details", "dns_name", "dns_domain", "qos_policy_id", "subnet_id"}),
)
CREATE_KEYS = frozenset({"floating_network_id", "floating_ip_address", "subnet_id", "port_id",
                         "fixed_ip_address", "description", "project_id", "tenant_id", "tags",
                         "dns_name", "dns_domain"})
UPDATE_KEYS = frozenset({"port_id", "fixed_ip_address", "description"})


def fip_not_found(fip_id: Any) -> NotFound:
    return NotFound(f"Floating IP {fip_id} could not be found", type="FloatingIPNotFound")


def bad_fip(message: str) -> BadRequest:
    return BadRequest(f"Bad floatingip request: {message}.", type="BadRequest")


def target(f: FloatingIP) -> dict[str, Any]:
    return {"project_id": f.project_id, "tenant_id": f.project_id, "id": f.id}


def _id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 255:
        raise bad(f"Invalid input for {name}. Reason: '{value}' is not a valid UUID.", "InvalidInput")
    return value


def _ip(value: Any, name: str) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise bad(f"Invalid input for {name}. Reason: '{value}' is not a valid IP address.",
                  "InvalidInput") from None


class FloatingIPs:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr
        mgr.tags.register("floatingips", self.get_row, "update_floatingip", target)

    @property
    def db(self) -> Any:
        return self.mgr.db

    def visible(self, ctx: RequestContext) -> Any:
        return owned_visible(FloatingIP, ctx)

    def get_row(self, s: Session, ctx: RequestContext | None, fip_id: Any) -> FloatingIP:
        return owned_row(s, FloatingIP, ctx, fip_id, fip_not_found)

    # ---- views --------------------------------------------------------------------------
    def views(self, s: Session, rows: list[FloatingIP]) -> list[dict[str, Any]]:
        port_ids = [f.fixed_port_id for f in rows if f.fixed_port_id]
        ports = {p.id: p for p in s.scalars(sa.select(Port).where(Port.id.in_(port_ids)))} if port_ids else {}
        tags = self.mgr.tags.of_many(s, [f.id for f in rows]) if rows else {}
        out = []
        for f in rows:
            port = ports.get(f.fixed_port_id or "")
            details = None
            if port is not None:
                details = {"name": port.name, "network_id": port.network_id,
                           "mac_address": port.mac_address, "admin_state_up": port.admin_state_up,
                           "status": port.status, "device_id": port.device_id,
                           "device_owner": port.device_owner}
            out.append({
                "id": f.id, "project_id": f.project_id, "tenant_id": f.project_id,
                "floating_ip_address": f.floating_ip_address,
                "floating_network_id": f.floating_network_id,
                "router_id": f.router_id if port is not None else None,
                "port_id": port.id if port is not None else None,
                "fixed_ip_address": f.fixed_ip_address if port is not None else None,
                "status": f.status if port is not None else "DOWN",
                "port_details": details, "tags": tags.get(f.id, []),
                "port_forwardings": [], "qos_policy_id": None,
                "dns_domain": "", "dns_name": "",
                **std_attrs(f),
            })
        return out

    # ---- API operations -----------------------------------------------------------------
    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.db.session() as s:
            rows, links = page(s, LIST, query, base=sa.select(FloatingIP).where(self.visible(ctx)),
                               url=url)
            return collection(LIST, query, self.views(s, rows), links)

    def show(self, ctx: RequestContext, fip_id: str, fields: list[str]) -> dict[str, Any]:
        with self.db.session() as s:
            f = self.get_row(s, ctx, fip_id)
            self.mgr.enforce(ctx, "get_floatingip", target(f))
            return select_fields(self.views(s, [f])[0], fields)

    @retrying
    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(body, CREATE_KEYS)
        if "floating_network_id" not in body:
            raise bad("Failed to parse request. Required attribute 'floating_network_id' not specified")
        net_id = _id(body["floating_network_id"], "floating_network_id")
        project_id = requested_owner(ctx, body)
        tgt = {"project_id": project_id, "tenant_id": project_id}
        self.mgr.enforce(ctx, "create_floatingip", tgt)
        address = None
        if body.get("floating_ip_address") is not None:
            self.mgr.enforce(ctx, "create_floatingip:floating_ip_address", tgt)
            address = _ip(body["floating_ip_address"], "floating_ip_address")
        subnet_id = _id(body["subnet_id"], "subnet_id") if body.get("subnet_id") is not None else None
        port_id = _id(body["port_id"], "port_id") if body.get("port_id") is not None else None
        fixed_ip = _ip(body["fixed_ip_address"], "fixed_ip_address") if body.get(
            "fixed_ip_address") is not None else None
        description = body.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > 255:
            raise bad(f"Invalid input for description. Reason: '{description}' is not a valid string.",
                      "InvalidInput")
        for key in ("dns_name", "dns_domain"):
            if body.get(key):
                raise bad(f"Unrecognized attribute(s) '{key}'")
        tags = body.get("tags")
        with self.db.session() as s:
            net = s.get(Network, net_id)
            if net is None:
                raise NotFound(f"Network {net_id} could not be found.", type="NetworkNotFound")
            if not net.external:
                raise bad_fip(f"Network {net_id} is not a valid external network")
            self.mgr.quotas.check(s, project_id, "floatingip")
            fixed: dict[str, Any] = {}
            if subnet_id is not None:
                sub = s.get(Subnet, subnet_id)
                if sub is None or sub.network_id != net.id:
                    raise bad_fip(f"Subnet {subnet_id} is not on the external network {net.id}" if sub
                                  else f"Subnet {subnet_id} could not be found")
                fixed["subnet_id"] = sub.id
            else:
                v4 = s.scalar(sa.select(Subnet.id).where(Subnet.network_id == net.id,
                                                         Subnet.ip_version == 4).order_by(
                    Subnet.created_at, Subnet.id).limit(1))
                if v4 is None and address is None:
                    raise bad_fip(f"Network {net.id} does not contain any IPv4 subnet")
                if v4 is not None:
                    fixed["subnet_id"] = v4
            if address is not None:
                fixed["ip_address"] = address
            fip_id = new_id()
            now = utcnow()
            row = FloatingIP(id=fip_id, project_id=project_id, floating_network_id=net.id,
                             floating_port_id="", floating_ip_address="", description=description,
                             status="DOWN", revision_number=0, created_at=now, updated_at=now)
            port = self.mgr.ports.new_internal(
                s, project_id="", network=net, device_owner=FIP_OWNER, device_id=fip_id,
                fixed_ips=[fixed])
            ips = list(s.scalars(sa.select(IPAllocation.ip_address).where(
                IPAllocation.port_id == port.id)))
            if not ips:
                raise bad_fip(f"No IPs available for external network {net.id}")
            row.floating_port_id = port.id
            row.floating_ip_address = ips[0]
            s.add(row)
            s.flush()
            if port_id is not None:
                self._associate(s, ctx, row, port_id, fixed_ip)
            if tags is not None:
                add_tags(s, row.id, "floatingips", tags)
            s.flush()
            view = self.views(s, [row])[0]
            router_id = row.router_id
        self.mgr.sync_network(net_id)
        self._sync_routers(router_id)
        return view

    def update(self, ctx: RequestContext, fip_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        reject_unknown(body, UPDATE_KEYS, update=True)
        with self.db.session() as s:
            f = self.get_row(s, ctx, fip_id)
            self.mgr.enforce(ctx, "update_floatingip", target(f))
            check_if_match(f, if_match)
            old_router = f.router_id
            if "description" in body:
                d = body["description"] if body["description"] is not None else ""
                if not isinstance(d, str) or len(d) > 255:
                    raise bad(f"Invalid input for description. Reason: '{d}' is not a valid string.",
                              "InvalidInput")
                f.description = d
            if "port_id" in body or "fixed_ip_address" in body:
                port_id = body.get("port_id", f.fixed_port_id)
                fixed_ip = body.get("fixed_ip_address")
                if fixed_ip is not None:
                    fixed_ip = _ip(fixed_ip, "fixed_ip_address")
                if port_id is None:
                    if fixed_ip is not None:
                        raise bad_fip("fixed_ip_address cannot be specified without a port_id")
                    self._disassociate(f)
                else:
                    self._associate(s, ctx, f, _id(port_id, "port_id"), fixed_ip)
            touch(f)
            s.flush()
            view = self.views(s, [f])[0]
            new_router = f.router_id
        self._sync_routers(old_router, new_router)
        return view

    def delete(self, ctx: RequestContext, fip_id: str) -> None:
        with self.db.session() as s:
            f = self.get_row(s, ctx, fip_id)
            self.mgr.enforce(ctx, "delete_floatingip", target(f))
            router_id, net_id, port_id = f.router_id, f.floating_network_id, f.floating_port_id
            self.mgr.tags.drop(s, [f.id])
            s.delete(f)
            s.flush()
            if s.get(Port, port_id) is not None:
                self.mgr.ports.delete_internal(s, port_id)
        self.mgr.sync_network(net_id)
        self._sync_routers(router_id)

    # ---- association --------------------------------------------------------------------
    @staticmethod
    def _disassociate(f: FloatingIP) -> None:
        f.fixed_port_id = None
        f.fixed_ip_address = None
        f.router_id = None
        f.status = "DOWN"

    def _associate(self, s: Session, ctx: RequestContext, f: FloatingIP, port_id: str,
                   fixed_ip: str | None) -> None:
        port = s.get(Port, port_id)
        if port is not None and not ctx.is_admin and port.project_id != ctx.project_id:
            port = None
        if port is None:
            raise NotFound(f"Port {port_id} could not be found.", type="PortNotFound")
        if port.device_owner.startswith("network:"):
            raise bad_fip(f"Port {port.id} has owner {port.device_owner} and therefore cannot be "
                          "associated with a floating IP")
        if port.network_id == f.floating_network_id:
            raise bad_fip(f"Port {port.id} is on the floating IP's external network "
                          f"{f.floating_network_id}")
        allocs = list(s.execute(sa.select(IPAllocation.ip_address, IPAllocation.subnet_id).where(
            IPAllocation.port_id == port.id)).all())
        if fixed_ip is not None:
            match = [(ip, sid) for ip, sid in allocs if ip == fixed_ip]
            if not match:
                raise bad_fip(f"Port {port.id} does not have fixed ip {fixed_ip}")
            ip, subnet_id = match[0]
            if ipaddress.ip_address(ip).version != 4:
                raise bad_fip(f"Cannot add floating IP to port {port.id} that has no fixed IPv4 "
                              "addresses")
        else:
            v4 = [(ip, sid) for ip, sid in allocs if ipaddress.ip_address(ip).version == 4]
            if not v4:
                raise bad_fip(f"Cannot add floating IP to port {port.id} that has no fixed IPv4 "
                              "addresses")
            if len(v4) > 1:
                raise bad_fip(f"Port {port.id} has multiple fixed IPv4 addresses. Must provide a "
                              "specific IPv4 address when assigning a floating IP")
            ip, subnet_id = v4[0]
        other = s.scalar(sa.select(FloatingIP).where(
            FloatingIP.floating_network_id == f.floating_network_id,
            FloatingIP.fixed_port_id == port.id, FloatingIP.fixed_ip_address == ip,
            FloatingIP.id != f.id).limit(1))
        if other is not None:
            raise Conflict(f"Cannot associate floating IP {f.floating_ip_address} ({f.id}) with port "
                           f"{port.id} using fixed IP {ip}, as that fixed IP already has a floating "
                           f"IP on external network {f.floating_network_id}.",
                           type="FloatingIPPortAlreadyAssociated")
        router_id = self._find_router(s, f.floating_network_id, subnet_id, port)
        f.fixed_port_id = port.id
        f.fixed_ip_address = ip
        f.router_id = router_id
        f.status = "ACTIVE"

    def _find_router(self, s: Session, ext_net_id: str, subnet_id: str, port: Port) -> str:
        """A router with an interface on the subnet and its gateway on the external network."""
        iface_routers = set(s.scalars(sa.select(Port.device_id).join(
            IPAllocation, IPAllocation.port_id == Port.id).where(
            IPAllocation.subnet_id == subnet_id, Port.device_owner == INTERFACE)))
        if iface_routers:
            gw = s.scalars(sa.select(Router.id).join(Port, Port.id == Router.gw_port_id).where(
                Router.id.in_(iface_routers), Port.network_id == ext_net_id).order_by(
                Router.created_at, Router.id)).first()
            if gw is not None:
                return str(gw)
        raise NotFound(f"External network {ext_net_id} is not reachable from subnet {subnet_id}.  "
                       f"Therefore, cannot associate Port {port.id} with a Floating IP.",
                       type="ExternalGatewayForFloatingIPNotFound")

    # ---- hooks for the core -------------------------------------------------------------
    def port_deleted(self, s: Session, port_id: str) -> list[str]:
        """A port is going away (called in the deleting transaction): its floating IPs
        are disassociated (upstream's ``disassociate_floatingips``) and their routers
        get a new snapshot once the transaction commits."""
        routers = []
        for f in s.scalars(sa.select(FloatingIP).where(FloatingIP.fixed_port_id == port_id)):
            if f.router_id:
                routers.append(f.router_id)
            self._disassociate(f)
            touch(f)
        s.flush()
        if routers:
            event.listen(s, "after_commit", lambda _s: self._sync_routers(*routers), once=True)
        return routers

    def delete_for_network(self, s: Session, network_id: str) -> None:
        """An external network is being deleted (the core checked nothing else uses it):
        its floating IPs go with it, as upstream; their ports are the core's to remove."""
        routers = []
        for f in list(s.scalars(sa.select(FloatingIP).where(FloatingIP.floating_network_id == network_id))):
            if f.router_id and f.fixed_port_id:
                routers.append(f.router_id)
            self.mgr.tags.drop(s, [f.id])
            s.delete(f)
        s.flush()
        if routers:
            event.listen(s, "after_commit", lambda _s: self._sync_routers(*routers), once=True)

    def sync_routers(self, router_ids: list[str]) -> None:
        self._sync_routers(*router_ids)

    def for_ports(self, s: Session, port_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        """port id -> [{"fixed_ip_address", "floating_ip_address"}] (nova's addresses)."""
        out: dict[str, list[dict[str, str]]] = {}
        if not port_ids:
            return out
        for f in s.scalars(sa.select(FloatingIP).where(FloatingIP.fixed_port_id.in_(port_ids))
                           .order_by(FloatingIP.created_at, FloatingIP.id)):
            out.setdefault(str(f.fixed_port_id), []).append(
                {"fixed_ip_address": f.fixed_ip_address or "",
                 "floating_ip_address": f.floating_ip_address})
        return out

    def _sync_routers(self, *router_ids: str | None) -> None:
        routers = getattr(self.mgr, "routers", None)
        if routers is None:
            return
        for rid in dict.fromkeys(r for r in router_ids if r):
            routers.sync(rid)


def build(mgr: NetworkManager) -> FloatingIPs:
    mgr.quotas.register("floatingip", 50, counter(FloatingIP))
    return FloatingIPs(mgr)
