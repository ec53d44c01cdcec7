"""The interface the compute service calls (nova's side of Neutron), no HTTP.

Errors are ``ApiError``s with nova's statuses and wording (the compute API renders
them in its own format): 400 for an unknown network or port (as nova answers on
server create), 409 for a port in use or several possible networks.

``validate_requested(ctx, requested, security_groups=None, availability_zone=None)``
    Checks a server create's ``networks`` before the 202; creates nothing.
    ``requested``: None (pre-2.37 without ``networks``: the project's usable
    networks, several -> 409, none -> no NIC), "auto", "none", or a list of
    {"uuid"?, "port"?, "fixed_ip"?, "tag"?}.
``allocate_for_server(ctx, server_id, requested, security_groups, availability_zone)``
    -> [port dict] in request order (device_id=server_id, device_owner
    ``compute:<az>``); on failure what it made is removed and the error raised.
``deallocate_for_server(server_id)``: ports it made are deleted, others unbound.
``ports_for_servers(server_ids) -> {server_id: [port dict + network_name, mtu,
    floating_ips, security_group_names]}`` in one pass.
``attach_interface(ctx, server_id, net_id=None, port_id=None, fixed_ips=None)``
    -> port dict; ``detach_interface(ctx, server_id, port_id)``.
``plug(port_id, host) -> tap name``, ``unplug(port_id)``, ``network_state(network_id)``,
``instance_for_address(network_id, ip) -> server id | None``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.drivers.base import NetworkState
from onestack.network.manager.common import retrying
from onestack.network.models import IPAllocation, Network, Port, PortSecurityGroupBinding, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

MULTIPLE = "Multiple possible networks found, use a Network ID to be more specific."
AUTO_NET = "auto_allocated_network"


class ComputeInterface:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    # ---- helpers -----------------------------------------------------------------------
    def _usable(self, s: Session, ctx: RequestContext) -> list[Network]:
        """The networks a server of the project may use without naming one."""
        q = sa.select(Network).where(Network.external.is_(False), sa.or_(
            Network.project_id == ctx.project_id, Network.shared.is_(True))).order_by(Network.created_at)
        return list(s.scalars(q))

    def _network(self, s: Session, ctx: RequestContext, net_id: str) -> Network:
        n = s.get(Network, net_id)
        if n is None or not (ctx.is_admin or n.project_id == ctx.project_id or n.shared or n.external):
            raise BadRequest(f"Network {net_id} could not be found.")
        if n.external and not n.shared and n.project_id != ctx.project_id and not ctx.is_admin:
            raise BadRequest(f"Network {net_id} could not be found.")
        return n

    def _port(self, s: Session, ctx: RequestContext, port_id: str) -> Port:
        p = s.get(Port, port_id)
        if p is None or not (ctx.is_admin or p.project_id == ctx.project_id):
            raise BadRequest(f"Port id {port_id} could not be found.")
        return p

    def _check_fixed_ip(self, s: Session, net: Network, ip: str) -> None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise BadRequest(f"Invalid fixed IP address ({ip})") from None
        subs = [x for x in s.scalars(sa.select(Subnet).where(Subnet.network_id == net.id))
                if ipaddress.ip_network(x.cidr).version == addr.version and addr in ipaddress.ip_network(x.cidr)]
        if not subs:
            raise BadRequest(f"Fixed IP address {ip} is not valid on network {net.id}.")
        if s.scalar(sa.select(IPAllocation.port_id).where(IPAllocation.network_id == net.id,
                                                          IPAllocation.ip_address == str(addr))):
            raise Conflict(f"Fixed IP address {ip} is already in use on instance.")

    def _plan(self, s: Session, ctx: RequestContext, requested: Any) -> list[dict[str, Any]] | str:
        """[{"network": Network, "port": Port|None, "fixed_ip": str|None, "tag"}], or "auto"
        when a network must be made for the project."""
        if requested == "none":
            return []
        if requested is None or requested == "auto":
            nets = self._usable(s, ctx)
            if len(nets) > 1:
                raise Conflict(MULTIPLE)
            if nets:
                return [{"network": nets[0], "port": None, "fixed_ip": None, "tag": None}]
            return [] if requested is None else "auto"
        if not isinstance(requested, list):
            raise BadRequest("Bad networks format")
        plan: list[dict[str, Any]] = []
        seen_ports: set[str] = set()
        for item in requested:
            if not isinstance(item, dict):
                raise BadRequest("Bad networks format")
            port_id, net_id, ip = item.get("port"), item.get("uuid"), item.get("fixed_ip")
            if port_id:
                p = self._port(s, ctx, port_id)
                if p.device_id or port_id in seen_ports:
                    raise Conflict(f"Port {port_id} is still in use.")
                seen_ports.add(port_id)
                net = s.get(Network, p.network_id)
                plan.append({"network": net, "port": p, "fixed_ip": None, "tag": item.get("tag")})
                continue
            if not net_id:
                raise BadRequest("Bad network format: missing 'uuid'")
            net = self._network(s, ctx, net_id)
            if ip:
                self._check_fixed_ip(s, net, ip)
            plan.append({"network": net, "port": None, "fixed_ip": ip, "tag": item.get("tag")})
        return plan

    def _resolve_groups(self, ctx: RequestContext, security_groups: Any) -> list[str] | None:
        """Security group names or ids -> ids (None: the default group)."""
        if not security_groups:
            return None
        names = [g["name"] if isinstance(g, dict) else g for g in security_groups]
        sg = self.mgr.secgroups
        if sg is None:
            return []
        if hasattr(sg, "resolve"):
            return list(sg.resolve(ctx, names))
        return list(sg.validate_ids(ctx, names))

    # ---- the interface -----------------------------------------------------------------
    def validate_requested(self, ctx: RequestContext, requested: Any, security_groups: Any = None,
                           availability_zone: str | None = None) -> None:
        with self.mgr.db.session() as s:
            self._plan(s, ctx, requested)
        self._resolve_groups(ctx, security_groups)

    def allocate_for_server(self, ctx: RequestContext, server_id: str, requested: Any,
                            security_groups: Any = None, availability_zone: str | None = None,
                            ) -> list[dict[str, Any]]:
        owner = f"compute:{availability_zone or 'nova'}"
        groups = self._resolve_groups(ctx, security_groups)
        if groups is None and self.mgr.secgroups is not None and ctx.project_id:
            groups = [self.mgr.secgroups.ensure_default(ctx.project_id)]
        with self.mgr.db.session() as s:
            plan = self._plan(s, ctx, requested)
        if plan == "auto":
            net_id = self._auto_network(ctx)
            plan = [{"network_id": net_id, "port": None, "fixed_ip": None, "tag": None}]
        else:
            assert isinstance(plan, list)
            plan = [{"network_id": p["network"].id, "port_id": p["port"].id if p["port"] else None,
                     "fixed_ip": p["fixed_ip"], "tag": p["tag"]} for p in plan]
        made: list[str] = []
        bound: list[str] = []
        try:
            for item in plan:
                if item.get("port_id"):
                    self._bind_existing(ctx, item["port_id"], server_id, owner)
                    bound.append(item["port_id"])
                else:
                    made.append(self._new_port(ctx, server_id, owner, item["network_id"],
                                               item["fixed_ip"], groups or []))
        except BaseException:
            self._cleanup(made, bound)
            raise
        ids = [item.get("port_id") for item in plan]
        order = []
        it = iter(made)
        for pid in ids:
            order.append(pid if pid else next(it))
        ports = self._views(order)
        for nid in {item["network_id"] for item in plan}:
            self.mgr.sync_network(nid)
        return ports

    @retrying
    def _new_port(self, ctx: RequestContext, server_id: str, owner: str, network_id: str,
                  fixed_ip: str | None, groups: list[str]) -> str:
        with self.mgr.db.session() as s:
            net = s.get(Network, network_id)
            if net is None:
                raise BadRequest(f"Network {network_id} could not be found.")
            project_id = ctx.project_id or net.project_id
            self.mgr.quotas.check(s, project_id, "port")
            fixed = [{"ip_address": fixed_ip}] if fixed_ip else None
            p = self.mgr.ports.new_internal(
                s, project_id=project_id, network=net, device_owner=owner, device_id=server_id,
                fixed_ips=fixed, status="DOWN", security_groups=groups if net.port_security_enabled else [],
                port_security_enabled=net.port_security_enabled)
            p.created_by_compute = True
            return p.id

    def _bind_existing(self, ctx: RequestContext, port_id: str, server_id: str, owner: str) -> None:
        with self.mgr.db.session() as s:
            p = s.get(Port, port_id)
            if p is None:
                raise BadRequest(f"Port id {port_id} could not be found.")
            if p.device_id and p.device_id != server_id:
                raise Conflict(f"Port {port_id} is still in use.")
            p.device_id, p.device_owner = server_id, owner
            p.revision_number += 1

    def _cleanup(self, made: list[str], bound: list[str]) -> None:
        with self.mgr.db.session() as s:
            for pid in made:
                self.mgr.ports.delete_internal(s, pid)
            for pid in bound:
                p = s.get(Port, pid)
                if p is not None:
                    p.device_id, p.device_owner = "", ""

    def _auto_network(self, ctx: RequestContext) -> str:
        """No usable network: the project's own (``auto_allocated_network``), with a
        subnet, and a router to the public network when the L3 side offers one."""
        assert ctx.project_id
        routers = self.mgr.routers
        if routers is not None and hasattr(routers, "auto_allocate"):
            return str(routers.auto_allocate(ctx, ctx.project_id))
        with self.mgr.db.session() as s:
            existing = s.scalar(sa.select(Network.id).where(Network.project_id == ctx.project_id,
                                                            Network.name == AUTO_NET))
            if existing:
                return str(existing)
            net = self.mgr.networks.new_row(s, ctx.project_id, {"name": AUTO_NET})
            s.flush()
            self.mgr.subnets.new_row(s, None, ctx.project_id, net, {
                "name": "auto_allocated_subnet_v4", "ip_version": 4, "cidr": "10.0.0.0/24"})
            s.flush()
            self.mgr.subnets.ensure_dhcp_port(s, net)
            nid = net.id
        self.mgr.sync_network(nid)
        return nid

    def _views(self, port_ids: list[str]) -> list[dict[str, Any]]:
        with self.mgr.db.session() as s:
            rows = {p.id: p for p in s.scalars(sa.select(Port).where(Port.id.in_(port_ids)))}
            ordered = [rows[i] for i in port_ids if i in rows]
            return self._extend(s, ordered)

    def _extend(self, s: Session, rows: list[Port]) -> list[dict[str, Any]]:
        views = self.mgr.ports.views(s, None, rows)
        nets = {n.id: n for n in s.scalars(sa.select(Network).where(
            Network.id.in_({p.network_id for p in rows})))}
        fips: dict[str, list[dict[str, str]]] = {}
        fm = self.mgr.floatingips
        if fm is not None and hasattr(fm, "for_ports") and rows:
            fips = fm.for_ports(s, [p.id for p in rows])
        names: dict[str, str] = {}
        sg = self.mgr.secgroups
        all_groups = {g for v in views for g in v["security_groups"]}
        if sg is not None and hasattr(sg, "names") and all_groups:
            names = sg.names(s, list(all_groups))
        for v in views:
            n = nets.get(v["network_id"])
            v["network_name"] = n.name if n else ""
            v["mtu"] = n.mtu if n else 1450
            v["floating_ips"] = list(fips.get(v["id"], []))
            v["security_group_names"] = [names.get(g, g) for g in v["security_groups"]]
        return views

    def deallocate_for_server(self, server_id: str) -> None:
        nets: set[str] = set()
        with self.mgr.db.session() as s:
            for p in s.scalars(sa.select(Port).where(Port.device_id == server_id,
                                                     Port.device_owner.like("compute:%"))):
                nets.add(p.network_id)
                if p.created_by_compute:
                    self.mgr.ports.delete_internal(s, p.id)
                else:
                    p.device_id, p.device_owner, p.status = "", "", "DOWN"
                    p.binding_host_id, p.binding_vif_type, p.binding_vif_details = "", "unbound", {}
                    p.revision_number += 1
        for nid in nets:
            self.mgr.sync_network(nid)

    def addresses_for_servers(self, server_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """{server_id: [{"id", "device_id", "network_id", "network_name", "mtu", "mac_address", "status",
        "fixed_ips": [{"subnet_id", "ip_address"}] (IPv4 first), "floating_ips": [...],
        "security_groups": [ids], "security_group_names": [...]}]}: what nova's server views need."""
        out: dict[str, list[dict[str, Any]]] = {}
        if not server_ids:
            return out
        ports: dict[str, dict[str, Any]] = {}
        ids = list(server_ids)
        with self.mgr.db.session() as s:
            conn = s.connection()
            for i in range(0, len(ids), 500):
                q = (sa.select(Port.id, Port.device_id, Port.network_id, Port.mac_address, Port.status,
                               Network.name, Network.mtu, IPAllocation.subnet_id, IPAllocation.ip_address)
                     .join(Network, Network.id == Port.network_id)
                     .outerjoin(IPAllocation, IPAllocation.port_id == Port.id)
                     .where(Port.device_id.in_(ids[i:i + 500]), Port.device_owner.like("compute:%"))
                     .order_by(Port.created_at, Port.id))
                for pid, dev, nid, mac, status, nname, mtu, sub, ip in conn.execute(q):
                    p = ports.get(pid)
                    if p is None:
                        p = ports[pid] = {"id": pid, "device_id": dev, "network_id": nid, "mac_address": mac,
                                          "status": status, "network_name": nname, "mtu": mtu, "fixed_ips": [],
                                          "floating_ips": [], "security_groups": [], "security_group_names": []}
                    if ip is not None:
                        p["fixed_ips"].append({"subnet_id": sub, "ip_address": ip})
            pids = list(ports)
            for i in range(0, len(pids), 500):
                for pid, sg in conn.execute(sa.select(PortSecurityGroupBinding.port_id,
                                                      PortSecurityGroupBinding.security_group_id)
                                            .where(PortSecurityGroupBinding.port_id.in_(pids[i:i + 500]))):
                    ports[pid]["security_groups"].append(sg)
            fm, sgm = self.mgr.floatingips, self.mgr.secgroups
            if fm is not None and hasattr(fm, "for_ports") and pids:
                for pid, fips in fm.for_ports(s, pids).items():
                    ports[pid]["floating_ips"] = list(fips)
            groups = {g for p in ports.values() for g in p["security_groups"]}
            names = sgm.names(s, list(groups)) if sgm is not None and hasattr(sgm, "names") and groups else {}
        for p in ports.values():
            if len(p["fixed_ips"]) > 1:  # IPv4 first, then by address (as the port views)
                p["fixed_ips"].sort(key=lambda f: (":" in f["ip_address"], f["ip_address"]))
            p["security_groups"].sort()
            p["security_group_names"] = [names.get(g, g) for g in p["security_groups"]]
            out.setdefault(p["device_id"], []).append(p)
        return out

    def ports_for_servers(self, server_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        if not server_ids:
            return out
        with self.mgr.db.session() as s:
            rows: list[Port] = []
            ids = list(server_ids)
            for i in range(0, len(ids), 500):
                rows.extend(s.scalars(sa.select(Port).where(Port.device_id.in_(ids[i:i + 500]),
                                                            Port.device_owner.like("compute:%"))
                                      .order_by(Port.created_at, Port.id)))
            for v in self._extend(s, rows):
                out.setdefault(v["device_id"], []).append(v)
        return out

    def attach_interface(self, ctx: RequestContext, server_id: str, net_id: str | None = None,
                         port_id: str | None = None, fixed_ips: list[str] | None = None,
                         availability_zone: str | None = None) -> dict[str, Any]:
        owner = f"compute:{availability_zone or 'nova'}"
        if port_id:
            with self.mgr.db.session() as s:
                p = s.get(Port, port_id)
                if p is None or not (ctx.is_admin or p.project_id == ctx.project_id):
                    raise NotFound(f"Port {port_id} could not be found.")
                if p.device_id:
                    raise Conflict(f"Port {port_id} is still in use.")
            self._bind_existing(ctx, port_id, server_id, owner)
            return self._views([port_id])[0]
        with self.mgr.db.session() as s:
            if net_id is None:
                nets = self._usable(s, ctx)
                if len(nets) > 1:
                    raise Conflict(MULTIPLE)
                if not nets:
                    raise NotFound("No network available to attach the interface to.")
                net_id = nets[0].id
            else:
                n = s.get(Network, net_id)
                if n is None or not (ctx.is_admin or n.project_id == ctx.project_id or n.shared):
                    raise NotFound(f"Network {net_id} could not be found.")
            for ip in fixed_ips or []:
                self._check_fixed_ip(s, s.get(Network, net_id), ip)  # type: ignore[arg-type]
        groups = None
        if self.mgr.secgroups is not None and ctx.project_id:
            groups = [self.mgr.secgroups.ensure_default(ctx.project_id)]
        pid = self._new_port(ctx, server_id, owner, net_id, (fixed_ips or [None])[0], groups or [])
        self.mgr.sync_network(net_id)
        return self._views([pid])[0]

    def detach_interface(self, ctx: RequestContext, server_id: str, port_id: str) -> None:
        with self.mgr.db.session() as s:
            p = s.get(Port, port_id)
            if p is None or p.device_id != server_id:
                raise NotFound(f"Port {port_id} is not attached to the server.")
            nid = p.network_id
            if p.created_by_compute:
                self.mgr.ports.delete_internal(s, port_id)
            else:
                p.device_id, p.device_owner, p.status = "", "", "DOWN"
                p.binding_host_id, p.binding_vif_type, p.binding_vif_details = "", "unbound", {}
        try:
            self.mgr.driver.unplug_port(port_id)
        except Exception:  # the tap may already be gone
            pass
        self.mgr.sync_network(nid)

    # ---- the node side -----------------------------------------------------------------
    def plug(self, port_id: str, host: str) -> str:
        with self.mgr.db.session() as s:
            p = s.get(Port, port_id)
            if p is None:
                raise NotFound(f"Port {port_id} could not be found.")
            p.binding_host_id, p.binding_vif_type = host, "bridge"
            p.binding_vif_details = {"port_filter": True, "connectivity": "l2"}
            p.status = "ACTIVE"
            nid = p.network_id
        if self.mgr.driver.name == "noop":  # nothing on the host: no snapshot to build
            return self.mgr.driver.plug_port(None, port_id)  # type: ignore[arg-type]
        self.mgr.sync_network_now(nid)
        state = self.network_state(nid)
        assert state is not None
        return self.mgr.driver.plug_port(state, port_id)

    def unplug(self, port_id: str) -> None:
        try:
            self.mgr.driver.unplug_port(port_id)
        except Exception:
            pass
        with self.mgr.db.session() as s:
            p = s.get(Port, port_id)
            if p is not None:
                p.status = "DOWN"

    def network_state(self, network_id: str) -> NetworkState | None:
        return self.mgr.state.network(network_id)

    def instance_for_address(self, network_id: str, ip: str) -> str | None:
        with self.mgr.db.session() as s:
            row = s.execute(sa.select(Port.device_id, Port.device_owner).join(
                IPAllocation, IPAllocation.port_id == Port.id).where(
                IPAllocation.network_id == network_id, IPAllocation.ip_address == ip)).first()
            if row is None or not row[1].startswith("compute:") or not row[0]:
                return None
            return str(row[0])

    def security_group_ids(self, port_id: str) -> list[str]:
        with self.mgr.db.session() as s:
            return list(s.scalars(sa.select(PortSecurityGroupBinding.security_group_id).where(
                PortSecurityGroupBinding.port_id == port_id)))
