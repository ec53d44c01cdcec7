"""Security groups for nova's proxy API (``/os-security-groups``,
``/os-security-group-rules``, ``addSecurityGroup``/``removeSecurityGroup``),
kept per project by compute until a network service owns them.

Behaviour follows nova with Neutron behind it (``nova/network/security_group_api.py``):
ids are UUIDs, names need not be unique, every project has a ``default`` group
(made on first use, with the two ingress rules Neutron gives it), the default
group and groups used by a live server cannot be deleted (400), and only ingress
rules exist.
"""

from __future__ import annotations

import ipaddress
import uuid as uuidlib
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.manager import common as c
from onestack.compute.models import (
    Instance,
    InstanceSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound

DEFAULT = "default"


class NoUniqueMatch(Conflict):
    """Several groups of the project have the name (nova: HTTPConflict)."""


def validate_id(value: Any, what: str = "Security group id") -> str:
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        raise BadRequest(f"{what} should be uuid") from None


def validate_property(value: Any, prop: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"Security group {prop} is not a string or unicode")
    if not value.strip():
        raise BadRequest(f"Security group {prop} cannot be empty.")
    if len(value) > 255:
        raise BadRequest(f"Security group {prop} should not be greater than 255 characters.")
    return value


def parse_cidr(cidr: Any) -> str:
    if not cidr:
        return "0.0.0.0/0"
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise BadRequest(f"Invalid cidr {cidr}.") from None
    if "/" not in str(cidr):
        raise BadRequest(f"Invalid cidr {cidr}.")
    if net.prefixlen == 0 and str(cidr).split("/")[0] not in ("0.0.0.0", "::"):
        raise BadRequest(f"Bad prefix for network in cidr {cidr}")
    return str(cidr)


def rule_from_body(body: dict[str, Any], group_id: str | None) -> dict[str, Any]:
    """The rule an ``os-security-group-rules`` body asks for: from another group when
    ``group_id`` (already validated) is given, else from the body's ``cidr``."""
    if group_id:
        values = new_ingress_rule(body.get("ip_protocol"), body.get("from_port"), body.get("to_port"),
                                  group_id=group_id)
    else:
        values = new_ingress_rule(body.get("ip_protocol"), body.get("from_port"), body.get("to_port"),
                                  cidr=parse_cidr(body.get("cidr")))
    if values is None:
        raise BadRequest("Not enough parameters to build a valid rule.")
    return values


def new_ingress_rule(ip_protocol: Any, from_port: Any, to_port: Any, *, group_id: str | None = None,
                     cidr: str | None = None) -> dict[str, Any] | None:
    """nova's ``_new_ingress_rule``: None when a CIDR rule lacks protocol and ports."""
    values: dict[str, Any] = {}
    proto = str(ip_protocol).upper() if ip_protocol else ""
    if group_id:
        values["group_id"] = group_id
        if proto == "ICMP" and from_port is None and to_port is None:
            from_port = to_port = -1
        elif proto in ("TCP", "UDP") and from_port is None and to_port is None:
            from_port, to_port = 1, 65535
    elif cidr:
        values["cidr"] = cidr
    if ip_protocol and from_port is not None and to_port is not None:
        try:
            from_port, to_port = int(from_port), int(to_port)
        except (TypeError, ValueError):
            if proto == "ICMP":
                raise BadRequest("Type and Code must be integers for ICMP protocol type") from None
            raise BadRequest("To and From ports must be integers") from None
        if proto not in ("TCP", "UDP", "ICMP"):
            raise BadRequest(f"Invalid IP protocol {ip_protocol}.")
        if proto in ("TCP", "UDP") and from_port > to_port:
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. "
                             "Former value cannot be greater than the later")
        if proto in ("TCP", "UDP") and (from_port < 1 or to_port > 65535):
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. "
                             f"Valid {proto} ports should be between 1-65535")
        if proto == "ICMP" and not (-1 <= from_port <= 255 and -1 <= to_port <= 255):
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. "
                             "For ICMP, the type:code must be valid")
        values.update(ip_protocol=str(ip_protocol).lower(), from_port=from_port, to_port=to_port)
    elif cidr:
        return None
    return values


class SecurityGroupManager:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- groups -------------------------------------------------------------------------
    def _ensure_default(self, s: Session, project_id: str) -> None:
        exists = s.scalar(sa.select(SecurityGroup.id).where(
            SecurityGroup.project_id == project_id, SecurityGroup.name == DEFAULT).limit(1))
        if exists is not None or not project_id:
            return
        sg = SecurityGroup(id=str(uuidlib.uuid4()), project_id=project_id, name=DEFAULT,
                           description="Default security group", created_at=utcnow())
        s.add(sg)
        s.flush()
        for ethertype in ("IPv4", "IPv6"):   # Neutron's: ingress from members of the group
            s.add(SecurityGroupRule(id=str(uuidlib.uuid4()), parent_group_id=sg.id, ethertype=ethertype,
                                    group_id=sg.id, created_at=utcnow()))
        s.flush()

    def _get(self, s: Session, ctx: RequestContext, group_id: str) -> SecurityGroup:
        sg = s.get(SecurityGroup, group_id)
        if sg is None or (sg.project_id != ctx.project_id and not c.is_admin(ctx)):
            raise NotFound(f"Security group {group_id} not found.")
        return sg

    def _render(self, s: Session, groups: list[SecurityGroup]) -> list[dict[str, Any]]:
        ids = [g.id for g in groups]
        rules: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        sources: dict[str, SecurityGroup] = {g.id: g for g in groups}
        if ids:
            for r in s.scalars(sa.select(SecurityGroupRule).where(SecurityGroupRule.parent_group_id.in_(ids))
                               .order_by(SecurityGroupRule.created_at, SecurityGroupRule.id)):
                rules[r.parent_group_id].append(r)
            missing = {r.group_id for rs in rules.values() for r in rs if r.group_id and r.group_id not in sources}
            if missing:
                sources.update({g.id: g for g in s.scalars(sa.select(SecurityGroup).where(
                    SecurityGroup.id.in_(missing)))})
        return [{"id": g.id, "name": g.name, "description": g.description, "tenant_id": g.project_id,
                 "rules": [x for x in (self.rule_view(r, sources.get(r.group_id or "")) for r in rules[g.id])
                           if x is not None]}
                for g in groups]

    @staticmethod
    def rule_view(r: SecurityGroupRule, source: SecurityGroup | None) -> dict[str, Any] | None:
        out: dict[str, Any] = {"id": r.id, "parent_group_id": r.parent_group_id, "ip_protocol": r.ip_protocol,
                               "from_port": r.from_port, "to_port": r.to_port, "group": {}, "ip_range": {}}
        if r.group_id:
            if source is None:
                return None
            out["group"] = {"name": source.name, "tenant_id": source.project_id}
        else:
            out["ip_range"] = {"cidr": r.cidr or ("::/0" if r.ethertype == "IPv6" else "0.0.0.0/0")}
        return out

    def list(self, ctx: RequestContext, all_tenants: bool = False) -> list[dict[str, Any]]:
        with self.db.session() as s:
            self._ensure_default(s, ctx.project_id or "")
            q = sa.select(SecurityGroup).order_by(SecurityGroup.created_at, SecurityGroup.id)
            if not (all_tenants and c.is_admin(ctx)):
                q = q.where(SecurityGroup.project_id == (ctx.project_id or ""))
            return self._render(s, list(s.scalars(q)))

    def get(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        group_id = validate_id(group_id)
        with self.db.session() as s:
            return self._render(s, [self._get(s, ctx, group_id)])[0]

    def project_of(self, ctx: RequestContext, group_id: str) -> str:
        group_id = validate_id(group_id)
        with self.db.session() as s:
            return self._get(s, ctx, group_id).project_id

    def create(self, ctx: RequestContext, name: Any, description: Any) -> dict[str, Any]:
        name = validate_property(name, "name")
        description = validate_property(description, "description")
        with self.db.session() as s:
            self._ensure_default(s, ctx.project_id or "")
            sg = SecurityGroup(id=str(uuidlib.uuid4()), project_id=ctx.project_id or "", name=name,
                               description=description, created_at=utcnow())
            s.add(sg)
            s.flush()
            return self._render(s, [sg])[0]

    def update(self, ctx: RequestContext, group_id: str, name: Any, description: Any) -> dict[str, Any]:
        group_id = validate_id(group_id)
        name = validate_property(name, "name")
        description = validate_property(description, "description")
        with self.db.session() as s:
            sg = self._get(s, ctx, group_id)
            if sg.name == DEFAULT and name != DEFAULT:
                raise BadRequest("Unable to update system group 'default'")
            sg.name, sg.description = name, description
            s.flush()
            return self._render(s, [sg])[0]

    def _in_use(self, s: Session, group_id: str) -> bool:
        return s.scalar(
            sa.select(InstanceSecurityGroup.instance_uuid)
            .join(Instance, Instance.uuid == InstanceSecurityGroup.instance_uuid)
            .where(InstanceSecurityGroup.group_id == group_id, Instance.deleted.is_(False)).limit(1)
        ) is not None

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        group_id = validate_id(group_id)
        with self.db.session() as s:
            sg = self._get(s, ctx, group_id)
            if sg.name == DEFAULT:
                raise BadRequest("Insufficient rights for removing default security group.")
            if self._in_use(s, sg.id):
                raise BadRequest(f"Security Group {sg.id} in use.")
            s.execute(sa.delete(InstanceSecurityGroup).where(InstanceSecurityGroup.group_id == sg.id))
            s.execute(sa.delete(SecurityGroupRule).where(SecurityGroupRule.parent_group_id == sg.id))
            s.delete(sg)

    # ---- rules --------------------------------------------------------------------------
    def create_rule(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        parent_id = validate_id(body.get("parent_group_id"))
        group_id = body.get("group_id")
        if group_id:
            group_id = validate_id(group_id)
        with self.db.session() as s:
            parent = self._get(s, ctx, parent_id)
            values = rule_from_body(body, group_id)
            source = self._get(s, ctx, group_id) if group_id else None
            cidr = values.get("cidr")
            ethertype = "IPv6" if cidr and ":" in cidr else "IPv4"
            dup = sa.select(SecurityGroupRule.id).where(
                SecurityGroupRule.parent_group_id == parent.id, SecurityGroupRule.ethertype == ethertype,
                *(getattr(SecurityGroupRule, k).is_(None) if values.get(k) is None
                  else getattr(SecurityGroupRule, k) == values[k]
                  for k in ("ip_protocol", "from_port", "to_port", "cidr", "group_id")))
            if s.scalar(dup.limit(1)) is not None:
                raise BadRequest(f"This rule already exists in group {parent.id}")
            rule = SecurityGroupRule(id=str(uuidlib.uuid4()), parent_group_id=parent.id, ethertype=ethertype,
                                     ip_protocol=values.get("ip_protocol"), from_port=values.get("from_port"),
                                     to_port=values.get("to_port"), cidr=cidr, group_id=group_id,
                                     created_at=utcnow())
            s.add(rule)
            s.flush()
            view = self.rule_view(rule, source)
            assert view is not None
            return view

    def delete_rule(self, ctx: RequestContext, rule_id: str) -> None:
        rule_id = validate_id(rule_id, "Security group rule id")
        with self.db.session() as s:
            rule = s.get(SecurityGroupRule, rule_id)
            if rule is None:
                raise NotFound(f"Security group rule {rule_id} not found.")
            self._get(s, ctx, rule.parent_group_id)   # 404 for another project's rule
            s.delete(rule)

    # ---- servers --------------------------------------------------------------------------
    def _by_name(self, s: Session, project_id: str, name: str) -> SecurityGroup:
        try:
            by_id = s.get(SecurityGroup, str(uuidlib.UUID(name)))
        except ValueError:
            by_id = None
        if by_id is not None and by_id.project_id == project_id:
            return by_id
        found = list(s.scalars(sa.select(SecurityGroup).where(
            SecurityGroup.project_id == project_id, SecurityGroup.name == name).limit(2)))
        if not found:
            raise NotFound(f"Security group {name} not found for project {project_id}.")
        if len(found) > 1:
            raise NoUniqueMatch(f"Multiple security groups found matching '{name}'. "
                                "Use an ID to be more specific.")
        return found[0]

    def attach_on_create(self, s: Session, instances: list[Instance], requested: Any) -> None:
        """At server create: the named groups (default: ``default``); 400 if one is missing."""
        if not instances:
            return
        project_id = instances[0].project_id
        self._ensure_default(s, project_id)
        names = [g.get("name") for g in requested or [] if isinstance(g, dict)] or [DEFAULT]
        groups: dict[str, SecurityGroup] = {}
        for name in names:
            try:
                sg = self._by_name(s, project_id, str(name))
            except NotFound:
                raise BadRequest(f"Unable to find security_group with name or id '{name}'") from None
            except NoUniqueMatch as e:
                raise BadRequest(e.message) from None
            groups[sg.id] = sg
        for inst in instances:
            for gid in groups:
                s.add(InstanceSecurityGroup(instance_uuid=inst.uuid, group_id=gid))
        s.flush()

    def for_server(self, ctx: RequestContext, uuid: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            groups = list(s.scalars(
                sa.select(SecurityGroup).join(InstanceSecurityGroup, InstanceSecurityGroup.group_id == SecurityGroup.id)
                .where(InstanceSecurityGroup.instance_uuid == inst.uuid)
                .order_by(SecurityGroup.created_at, SecurityGroup.id)))
            return self._render(s, groups)

    def names(self, uuids: list[str]) -> dict[str, list[str]]:
        """Server uuid -> the names of its groups (the servers' ``security_groups``)."""
        if not uuids:
            return {}
        with self.db.session() as s:
            return self.names_for_servers(s, uuids)

    def names_for_servers(self, s: Session, uuids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        if uuids:
            rows = s.execute(
                sa.select(InstanceSecurityGroup.instance_uuid, SecurityGroup.name)
                .join(SecurityGroup, SecurityGroup.id == InstanceSecurityGroup.group_id)
                .where(InstanceSecurityGroup.instance_uuid.in_(uuids))
                .order_by(SecurityGroup.name))
            for u, name in rows:
                out[u].append(name)
        return out

    def add_to_server(self, ctx: RequestContext, uuid: str, name: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            sg = self._by_name(s, inst.project_id, name)
            if s.get(InstanceSecurityGroup, (inst.uuid, sg.id)) is None:
                s.add(InstanceSecurityGroup(instance_uuid=inst.uuid, group_id=sg.id))

    def remove_from_server(self, ctx: RequestContext, uuid: str, name: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid)
            sg = self._by_name(s, inst.project_id, name)
            link = s.get(InstanceSecurityGroup, (inst.uuid, sg.id))
            if link is None:
                raise BadRequest(f"Security group {name} not associated with the instance {inst.uuid}")
            s.delete(link)
