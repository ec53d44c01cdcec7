"""nova's security-group proxy (``/os-security-groups``, ``/os-security-group-rules``,
``/servers/{id}/os-security-groups``, ``addSecurityGroup``/``removeSecurityGroup``)
on Neutron's security groups, when the network service is enabled.  Same
methods as the compute-owned ``SecurityGroupManager`` (the API does not know
which one it talks to); the translation follows ``nova/network/security_group_api.py``:
only ingress rules are shown, a rule without ports shows 1-65535 (tcp/udp) or
-1 (others), a rule without prefix shows 0.0.0.0/0, Neutron's 409s become 400s.
A server's groups are the groups of its ports."""

from __future__ import annotations

from typing import Any

from onestack.compute.manager import common as c
from onestack.compute.manager.secgroups import (
    rule_from_body,
    validate_id,
    validate_property,
)
from onestack.core.context import RequestContext
from onestack.core.errors import ApiError, BadRequest, Conflict, NotFound


class NeutronSecurityGroups:
    def __init__(self, db: Any, network: Any, netapi: Any) -> None:
        self.db = db
        self.network = network   # the NetworkManager facade
        self.netapi = netapi     # its compute-facing interface
        self.sg = network.secgroups

    # ---- views ------------------------------------------------------------------------
    def _render(self, ctx: RequestContext, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        known = {g["id"]: g for g in groups}
        out = []
        for g in groups:
            rules = []
            for r in g.get("security_group_rules") or []:
                if r["direction"] != "ingress":
                    continue
                rules.append(self._rule(ctx, r, known))
            out.append({"id": g["id"], "name": g["name"], "description": g.get("description", ""),
                        "tenant_id": g.get("tenant_id") or g.get("project_id"), "rules": rules})
        return out

    def _rule(self, ctx: RequestContext, r: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
        proto = r.get("protocol")
        lo, hi = r.get("port_range_min"), r.get("port_range_max")
        if proto and lo is None and hi is None:
            lo, hi = (1, 65535) if str(proto).upper() in ("TCP", "UDP") else (-1, -1)
        view: dict[str, Any] = {"id": r["id"], "parent_group_id": r["security_group_id"], "ip_protocol": proto,
                                "from_port": lo, "to_port": hi, "group": {}, "ip_range": {}}
        if r.get("remote_group_id"):
            src = known.get(r["remote_group_id"])
            if src is None:
                try:
                    src = self.sg.show_group(ctx, r["remote_group_id"])
                except ApiError:
                    src = {"name": None, "project_id": None}
            view["group"] = {"name": src.get("name"), "tenant_id": src.get("tenant_id") or src.get("project_id")}
        else:
            view["ip_range"] = {"cidr": r.get("remote_ip_prefix") or "0.0.0.0/0"}
        return view

    # ---- groups -----------------------------------------------------------------------
    def list(self, ctx: RequestContext, all_tenants: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if not (all_tenants and c.is_admin(ctx)):
            query["project_id"] = ctx.project_id or ""
        groups = self.sg.list_groups(ctx, query, "")["security_groups"]
        return self._render(ctx, groups)

    def get(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        group_id = validate_id(group_id)
        return self._render(ctx, [self._show(ctx, group_id)])[0]

    def _show(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        try:
            return dict(self.sg.show_group(ctx, group_id))
        except NotFound:
            raise NotFound(f"Security group {group_id} not found.") from None

    def project_of(self, ctx: RequestContext, group_id: str) -> str:
        group_id = validate_id(group_id)
        return str(self._show(ctx, group_id).get("project_id") or "")

    def create(self, ctx: RequestContext, name: Any, description: Any) -> dict[str, Any]:
        name = validate_property(name, "name")
        description = validate_property(description, "description")
        try:
            g = self.sg.create_group(ctx, {"name": name, "description": description})
        except Conflict as e:
            raise BadRequest(e.message) from None
        return self._render(ctx, [g])[0]

    def update(self, ctx: RequestContext, group_id: str, name: Any, description: Any) -> dict[str, Any]:
        group_id = validate_id(group_id)
        name = validate_property(name, "name")
        description = validate_property(description, "description")
        current = self._show(ctx, group_id)
        body: dict[str, Any] = {"description": description}
        if name != current["name"]:
            body["name"] = name
        try:
            g = self.sg.update_group(ctx, group_id, body)
        except Conflict as e:
            raise BadRequest(e.message) from None
        return self._render(ctx, [g])[0]

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        group_id = validate_id(group_id)
        self._show(ctx, group_id)
        try:
            self.sg.delete_group(ctx, group_id)
        except Conflict as e:
            raise BadRequest(e.message) from None

    # ---- rules ------------------------------------------------------------------------
    def create_rule(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        parent_id = validate_id(body.get("parent_group_id"))
        group_id = body.get("group_id")
        if group_id:
            group_id = validate_id(group_id)
        values = rule_from_body(body, group_id)
        self._show(ctx, parent_id)
        if group_id:
            self._show(ctx, group_id)
        cidr = values.get("cidr")
        lo, hi = values.get("from_port"), values.get("to_port")
        rule = {"security_group_id": parent_id, "direction": "ingress",
                "ethertype": "IPv6" if cidr and ":" in cidr else "IPv4",
                "protocol": values.get("ip_protocol"),
                "port_range_min": None if lo == -1 else lo, "port_range_max": None if hi == -1 else hi,
                "remote_ip_prefix": cidr, "remote_group_id": group_id}
        try:
            r = self.sg.create_rule(ctx, rule)
        except Conflict as e:
            if "already exists" in e.message:
                raise BadRequest(f"This rule already exists in group {parent_id}") from None
            raise BadRequest(e.message) from None
        return self._rule(ctx, r, {})

    def delete_rule(self, ctx: RequestContext, rule_id: str) -> None:
        rule_id = validate_id(rule_id, "Security group rule id")
        try:
            self.sg.delete_rule(ctx, rule_id)
        except NotFound:
            raise NotFound(f"Security group rule {rule_id} not found.") from None

    # ---- servers ------------------------------------------------------------------------
    def _ports(self, ctx: RequestContext, uuid: str) -> tuple[Any, list[dict[str, Any]]]:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            s.expunge(inst)
        return inst, self.netapi.ports_for_servers([inst.uuid]).get(inst.uuid, [])

    def for_server(self, ctx: RequestContext, uuid: str) -> list[dict[str, Any]]:
        _, ports = self._ports(ctx, uuid)
        ids = list(dict.fromkeys(g for p in ports for g in p.get("security_groups") or []))
        groups = []
        for gid in ids:
            try:
                groups.append(self.sg.show_group(ctx, gid))
            except NotFound:
                continue
        return self._render(ctx, groups)

    def names(self, uuids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for u, ports in self.netapi.ports_for_servers(list(uuids)).items():
            names = list(dict.fromkeys(n for p in ports for n in p.get("security_group_names") or []))
            if names:
                out[u] = names
        return out

    def _resolve(self, ctx: RequestContext, project_id: str, name: str) -> str:
        owner = RequestContext(user_id=ctx.user_id, project_id=project_id, roles=list(ctx.roles))
        try:
            return str(self.sg.resolve(owner, [name])[0])
        except NotFound:
            raise NotFound(f"Security group {name} not found for project {project_id}.") from None

    def add_to_server(self, ctx: RequestContext, uuid: str, name: str) -> None:
        inst, ports = self._ports(ctx, uuid)
        gid = self._resolve(ctx, inst.project_id, name)
        if not ports:
            raise NotFound(f"instance_id {inst.uuid} could not be found as device id on any ports")
        for p in ports:
            if not p.get("port_security_enabled", True):
                raise BadRequest(f"Cannot add security group {name} to instance since port {p['id']} "
                                 "does not meet requirements")
        for p in ports:
            groups = list(p.get("security_groups") or [])
            if gid not in groups:
                self.network.ports.update(ctx, p["id"], {"security_groups": [*groups, gid]})

    def remove_from_server(self, ctx: RequestContext, uuid: str, name: str) -> None:
        inst, ports = self._ports(ctx, uuid)
        gid = self._resolve(ctx, inst.project_id, name)
        found = False
        for p in ports:
            groups = list(p.get("security_groups") or [])
            if gid in groups:
                found = True
                self.network.ports.update(ctx, p["id"], {"security_groups": [g for g in groups if g != gid]})
        if not found:
            raise NotFound(f"Security group {name} not associated with the instance {inst.uuid}")
