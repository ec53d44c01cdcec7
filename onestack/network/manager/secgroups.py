"""Security groups and their rules (Neutron's ``security-group`` extension).

Behaviour follows ``neutron/db/securitygroups_db.py``: every project has one
``default`` group, made on first need with two egress rules (IPv4 and IPv6, any)
and two ingress rules from the group itself; a new group gets the two egress
rules.  No group may be named ``default`` by hand (409), the default group cannot
be renamed (409) nor deleted by a non-admin (409), a group a port uses cannot be
deleted (409).  Rules are validated as upstream (protocol names and numbers, port
ranges, ICMP type/code, ethertype against the prefix's IP version) and a
duplicate is a 409 ``SecurityGroupRuleExists``.

Hooks for the core (ports): ``ensure_default``, ``validate_ids``, ``port_rules``
(the resolved rules the driver applies) and ``networks_of_groups``.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as db_exc
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network import policies
from onestack.network.drivers.base import SecurityGroupRuleState
from onestack.network.manager.common import (
    boolean,
    check_if_match,
    new_id,
    reject_unknown,
    std_attrs,
    touch,
)
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.manager.quotas import counter
from onestack.network.manager.sg_rules import (
    convert_ethertype,
    convert_port,
    convert_prefix,
    convert_protocol,
    rule_key,
    validate_rule,
)
from onestack.network.models import IPAllocation, Port, PortSecurityGroupBinding, Tag
from onestack.network.models_l3 import DefaultSecurityGroup, SecurityGroup, SecurityGroupRule
from onestack.network.policies import ADMIN, ADMIN_OR_MEMBER, ADMIN_OR_READER

DEFAULT = "default"
RULE_KEYS = frozenset({
    "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
    "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "project_id",
    "tenant_id",
})
GROUP_KEYS = frozenset({"name", "description", "stateful", "project_id", "tenant_id", "tags"})
MAX_RULES_PER_GROUP = 1000

_SG_MEMBER = f"({ADMIN}) or (role:member and project_id:%(security_group:project_id)s)"
_SG_READER = f"({ADMIN}) or (role:reader and project_id:%(security_group:project_id)s)"
POLICIES: dict[str, str] = {
    "admin_or_sg_owner": "rule:context_is_admin or project_id:%(security_group:project_id)s",
    "shared_security_group": "'True':%(shared)s",
    "create_security_group": ADMIN_OR_MEMBER,
    "create_security_group:tags": ADMIN_OR_MEMBER,
    "get_security_group": f"{ADMIN_OR_READER} or rule:shared_security_group",
    "update_security_group": ADMIN_OR_MEMBER,
    "delete_security_group": ADMIN_OR_MEMBER,
    "create_security_group_rule": _SG_MEMBER,
    "get_security_group_rule": _SG_READER,
    "delete_security_group_rule": _SG_MEMBER,
}
policies.register(POLICIES)

GROUP_LIST = ListSpec(
    SecurityGroup, "security_groups",
    filters={
        "id": (SecurityGroup.id, "str"), "name": (SecurityGroup.name, "str"),
        "project_id": (SecurityGroup.project_id, "str"),
        "tenant_id": (SecurityGroup.project_id, "str"),
        "description": (SecurityGroup.description, "str"),
        "stateful": (SecurityGroup.stateful, "bool"),
        "revision_number": (SecurityGroup.revision_number, "int"),
    },
    sorts={"id": SecurityGroup.id, "name": SecurityGroup.name,
           "project_id": SecurityGroup.project_id, "tenant_id": SecurityGroup.project_id,
           "description": SecurityGroup.description, "stateful": SecurityGroup.stateful,
           "created_at": SecurityGroup.created_at, "updated_at": SecurityGroup.updated_at,
           "revision_number": SecurityGroup.revision_number},
    tag_type="security_groups",
    ignored=frozenset({"shared", "security_group_rules", "is_default"}),
)
R = SecurityGroupRule
RULE_LIST = ListSpec(
    R, "security_group_rules",
    filters={
        "id": (R.id, "str"), "project_id": (R.project_id, "str"), "tenant_id": (R.project_id, "str"),
        "security_group_id": (R.security_group_id, "str"),
        "remote_group_id": (R.remote_group_id, "str"), "direction": (R.direction, "str"),
        "ethertype": (R.ethertype, "str"), "protocol": (R.protocol, "str"),
        "port_range_min": (R.port_range_min, "int"), "port_range_max": (R.port_range_max, "int"),
        "remote_ip_prefix": (R.remote_ip_prefix, "str"), "description": (R.description, "str"),
        "revision_number": (R.revision_number, "int"),
    },
    sorts={"id": R.id, "project_id": R.project_id, "tenant_id": R.project_id,
           "security_group_id": R.security_group_id, "remote_group_id": R.remote_group_id,
           "direction": R.direction, "ethertype": R.ethertype, "protocol": R.protocol,
           "port_range_min": R.port_range_min, "port_range_max": R.port_range_max,
           "remote_ip_prefix": R.remote_ip_prefix, "created_at": R.created_at,
           "updated_at": R.updated_at, "revision_number": R.revision_number},
    ignored=frozenset({"normalized_cidr", "belongs_to_default_sg", "remote_address_group_id"}),
)


def group_target(g: SecurityGroup) -> dict[str, Any]:
    return {"project_id": g.project_id, "tenant_id": g.project_id, "id": g.id, "shared": "False"}


def rule_target(r: SecurityGroupRule, sg_project: str) -> dict[str, Any]:
    return {"project_id": r.project_id, "tenant_id": r.project_id, "id": r.id,
            "security_group:project_id": sg_project}


def _invalid(message: str, type: str = "InvalidInput") -> BadRequest:
    return BadRequest(message, type=type)


def sg_not_found(sg_id: Any) -> NotFound:
    return NotFound(f"Security group {sg_id} does not exist", type="SecurityGroupNotFound")


def rule_not_found(rule_id: Any) -> NotFound:
    return NotFound(f"Security group rule {rule_id} does not exist", type="SecurityGroupRuleNotFound")


class SecurityGroupManager:
    def __init__(self, db: Database, net: Any = None) -> None:
        self.db = db
        # the NetworkManager facade (quotas, driver sync)
        self.net = net

    # ---- visibility ---------------------------------------------------------------------
    @staticmethod
    def scope(ctx: RequestContext) -> str | None:
        """None: the caller sees every project's groups (admin)."""
        return None if ctx.is_admin else (ctx.project_id or "")

    def _group(self, s: Session, ctx: RequestContext, sg_id: Any) -> SecurityGroup:
        sg = s.get(SecurityGroup, str(sg_id)) if isinstance(sg_id, str) else None
        scope = self.scope(ctx)
        if sg is None or (scope is not None and sg.project_id != scope):
            raise sg_not_found(sg_id)
        return sg

    def _rule(self, s: Session, ctx: RequestContext, rule_id: Any) -> SecurityGroupRule:
        r = s.get(SecurityGroupRule, str(rule_id)) if isinstance(rule_id, str) else None
        if r is None:
            raise rule_not_found(rule_id)
        scope = self.scope(ctx)
        if scope is not None and r.project_id != scope:
            sg_owner = s.scalar(sa.select(SecurityGroup.project_id).where(
                SecurityGroup.id == r.security_group_id))
            if sg_owner != scope:
                raise rule_not_found(rule_id)
        return r

    # ---- views --------------------------------------------------------------------------
    def _default_ids(self, s: Session, sg_ids: Iterable[str]) -> set[str]:
        ids = list(set(sg_ids))
        if not ids:
            return set()
        return set(s.scalars(sa.select(DefaultSecurityGroup.security_group_id).where(
            DefaultSecurityGroup.security_group_id.in_(ids))))

    def rule_view(self, r: SecurityGroupRule, defaults: set[str]) -> dict[str, Any]:
        prefix = r.remote_ip_prefix
        return {
            "id": r.id,
            "project_id": r.project_id,
            "tenant_id": r.project_id,
            "security_group_id": r.security_group_id,
            "ethertype": r.ethertype,
            "direction": r.direction,
            "protocol": r.protocol,
            "port_range_min": r.port_range_min,
            "port_range_max": r.port_range_max,
            "remote_ip_prefix": prefix,
            "normalized_cidr": str(ipaddress.ip_interface(prefix).network) if prefix else None,
            "remote_group_id": r.remote_group_id,
            "remote_address_group_id": None,
            "belongs_to_default_sg": r.security_group_id in defaults,
            **std_attrs(r),
        }

    def views(self, s: Session, groups: list[SecurityGroup]) -> list[dict[str, Any]]:
        ids = [g.id for g in groups]
        rules: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        tags: dict[str, list[str]] = defaultdict(list)
        if ids:
            for r in s.scalars(sa.select(SecurityGroupRule).where(
                    SecurityGroupRule.security_group_id.in_(ids)).order_by(
                    SecurityGroupRule.created_at, SecurityGroupRule.id)):
                rules[r.security_group_id].append(r)
            for t in s.scalars(sa.select(Tag).where(Tag.resource_id.in_(ids))):
                tags[t.resource_id].append(t.tag)
        defaults = self._default_ids(s, ids)
        return [{
            "id": g.id,
            "name": g.name,
            "project_id": g.project_id,
            "tenant_id": g.project_id,
            "stateful": g.stateful,
            "shared": False,
            "security_group_rules": [self.rule_view(r, defaults) for r in rules[g.id]],
            "tags": sorted(tags[g.id]),
            **std_attrs(g),
        } for g in groups]

    def rule_views(self, s: Session, rules: list[SecurityGroupRule]) -> list[dict[str, Any]]:
        defaults = self._default_ids(s, [r.security_group_id for r in rules])
        return [self.rule_view(r, defaults) for r in rules]

    # ---- the default group --------------------------------------------------------------
    def ensure_default(self, project_id: str | None, session: Session | None = None) -> str | None:
        """The project's ``default`` group's id, made (with its four rules) if missing.
        Safe against a racing request; pass ``session`` only if the caller has not
        written anything yet in it (SQLite allows one writer)."""
        if not project_id:
            return None
        if session is not None:
            found = session.scalar(sa.select(DefaultSecurityGroup.security_group_id).where(
                DefaultSecurityGroup.project_id == project_id))
            if found is not None:
                return str(found)
        for _ in range(3):
            try:
                with self.db.session() as s:
                    found = s.scalar(sa.select(DefaultSecurityGroup.security_group_id).where(
                        DefaultSecurityGroup.project_id == project_id))
                    if found is not None:
                        return str(found)
                    sg_id = self._create_group(s, project_id, DEFAULT, "Default security group",
                                               True, default=True)
                return sg_id
            except db_exc.IntegrityError:
                continue  # another request made it first: read it
        raise Conflict("Could not create the default security group, try again.")

    def _create_group(self, s: Session, project_id: str, name: str, description: str,
                      stateful: bool, *, default: bool = False) -> str:
        now = utcnow()
        sg = SecurityGroup(id=new_id(), project_id=project_id, name=name, description=description,
                           stateful=stateful, revision_number=0, created_at=now, updated_at=now)
        s.add(sg)
        s.flush()
        if default:
            s.add(DefaultSecurityGroup(project_id=project_id, security_group_id=sg.id))
        for ethertype in ("IPv4", "IPv6"):
            s.add(SecurityGroupRule(
                id=new_id(), project_id=project_id, security_group_id=sg.id, direction="egress",
                ethertype=ethertype, description="", revision_number=0, created_at=now,
                updated_at=now))
            if default:
                s.add(SecurityGroupRule(
                    id=new_id(), project_id=project_id, security_group_id=sg.id,
                    direction="ingress", ethertype=ethertype, remote_group_id=sg.id,
                    description="", revision_number=0, created_at=now, updated_at=now))
        s.flush()
        return sg.id

    # ---- hooks for ports ----------------------------------------------------------------
    def validate_ids(self, ctx: RequestContext, ids: Any, session: Session | None = None,
                     project_id: str | None = None) -> list[str]:
        """The ids of groups a port may use: 404 ``SecurityGroupNotFound`` for any that
        does not exist or belongs to another project than the port's."""
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise _invalid("Invalid input for security_groups. Reason: not a list of uuids.")
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        owner = project_id or (None if ctx.is_admin else ctx.project_id)

        def check(s: Session) -> list[str]:
            stmt = sa.select(SecurityGroup.id).where(SecurityGroup.id.in_(wanted))
            if owner is not None and not ctx.is_admin:
                stmt = stmt.where(SecurityGroup.project_id == owner)
            found = set(s.scalars(stmt))
            missing = [i for i in wanted if i not in found]
            if missing:
                raise sg_not_found(", ".join(missing))
            return wanted

        if session is not None:
            return check(session)
        with self.db.session() as s:
            return check(s)

    def port_rules(self, s: Session, port_ids: Iterable[str]) -> dict[str, list[SecurityGroupRuleState]]:
        """The resolved rules of each port: a rule naming a remote group becomes the
        addresses of that group's member ports (of the rule's IP version)."""
        port_ids = list(port_ids)
        out: dict[str, list[SecurityGroupRuleState]] = {p: [] for p in port_ids}
        if not port_ids:
            return out
        bindings = s.execute(sa.select(PortSecurityGroupBinding.port_id,
                                       PortSecurityGroupBinding.security_group_id).where(
            PortSecurityGroupBinding.port_id.in_(port_ids))).all()
        groups_of: dict[str, list[str]] = defaultdict(list)
        for pid, gid in bindings:
            groups_of[pid].append(gid)
        gids = {g for _, g in bindings}
        if not gids:
            return out
        rules = list(s.scalars(sa.select(SecurityGroupRule).where(
            SecurityGroupRule.security_group_id.in_(gids))))
        remote = {r.remote_group_id for r in rules if r.remote_group_id}
        members: dict[str, list[str]] = defaultdict(list)
        if remote:
            rows = s.execute(
                sa.select(PortSecurityGroupBinding.security_group_id, IPAllocation.ip_address)
                .join(IPAllocation, IPAllocation.port_id == PortSecurityGroupBinding.port_id)
                .where(PortSecurityGroupBinding.security_group_id.in_(remote))).all()
            for gid, ip in rows:
                members[gid].append(ip)
        by_group: dict[str, list[SecurityGroupRuleState]] = defaultdict(list)
        for r in rules:
            remote_ips: tuple[str, ...] | None = None
            if r.remote_group_id:
                version = 4 if r.ethertype == "IPv4" else 6
                ips = []
                for ip in sorted(set(members[r.remote_group_id])):
                    addr = ipaddress.ip_address(ip)
                    if addr.version == version:
                        ips.append(f"{ip}/{addr.max_prefixlen}")
                remote_ips = tuple(ips)
            elif r.remote_ip_prefix:
                net = ipaddress.ip_interface(r.remote_ip_prefix).network
                remote_ips = None if net.prefixlen == 0 else (str(net),)
            by_group[r.security_group_id].append(SecurityGroupRuleState(
                direction=r.direction, ethertype=r.ethertype, protocol=r.protocol,
                port_range_min=r.port_range_min, port_range_max=r.port_range_max,
                remote_ips=remote_ips))
        for pid in port_ids:
            for gid in groups_of.get(pid, []):
                out[pid].extend(by_group.get(gid, []))
        return out

    def networks_of_groups(self, s: Session, sg_ids: Iterable[str]) -> set[str]:
        """Networks with a port whose filtering depends on these groups (member ports, and
        ports of groups whose rules name them as the remote group)."""
        ids = set(sg_ids)
        if not ids:
            return set()
        referring = set(s.scalars(sa.select(SecurityGroupRule.security_group_id).where(
            SecurityGroupRule.remote_group_id.in_(ids))))
        all_ids = ids | referring
        return set(s.scalars(sa.select(Port.network_id).join(
            PortSecurityGroupBinding, PortSecurityGroupBinding.port_id == Port.id).where(
            PortSecurityGroupBinding.security_group_id.in_(all_ids)).distinct()))

    def _sync(self, network_ids: Iterable[str]) -> None:
        if self.net is None:
            return
        for nid in sorted(set(network_ids)):
            self.net.sync_network(nid)

    def _check_quota(self, s: Session, project_id: str, resource: str, adding: int = 1) -> None:
        if self.net is not None:
            self.net.quotas.check(s, project_id, resource, adding)

    # ---- groups -------------------------------------------------------------------------
    def _enforce(self, ctx: RequestContext, rule: str, tgt: dict[str, Any]) -> None:
        if self.net is not None:
            self.net.enforce(ctx, rule, tgt)

    def list_groups(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        # listing makes the caller's default group first, as upstream
        if ctx.project_id:
            self.ensure_default(ctx.project_id)
        scope = self.scope(ctx)
        base = sa.select(SecurityGroup)
        if scope is not None:
            base = base.where(SecurityGroup.project_id == scope)
        with self.db.session() as s:
            rows, links = page(s, GROUP_LIST, query, base=base, url=url)
            return collection(GROUP_LIST, query, self.views(s, rows), links)

    def create_group(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(body, GROUP_KEYS, type="HTTPBadRequest")
        name = _string(body.get("name", ""), "name")
        description = _string(body.get("description", ""), "description")
        stateful = boolean(body.get("stateful", True), "stateful")
        project_id = _owner(ctx, body)
        self._enforce(ctx, "create_security_group", {"project_id": project_id,
                                                     "tenant_id": project_id})
        if name.lower() == DEFAULT:
            raise Conflict("Default security group already exists.",
                           type="SecurityGroupDefaultAlreadyExists")
        self.ensure_default(project_id)
        with self.db.session() as s:
            self._check_quota(s, project_id, "security_group")
            self._check_quota(s, project_id, "security_group_rule", 2)
            sg_id = self._create_group(s, project_id, name, description, stateful)
            _set_tags(s, sg_id, "security_groups", body.get("tags"))
            return self.views(s, [s.get(SecurityGroup, sg_id)])[0]  # type: ignore[list-item]

    def show_group(self, ctx: RequestContext, sg_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        with self.db.session() as s:
            sg = self._group(s, ctx, sg_id)
            self._enforce(ctx, "get_security_group", group_target(sg))
            return select_fields(self.views(s, [sg])[0], fields or [])

    def update_group(self, ctx: RequestContext, sg_id: str, body: dict[str, Any],
                     if_match: str | None = None) -> dict[str, Any]:
        reject_unknown(body, ("name", "description", "stateful"), update=True, type="HTTPBadRequest")
        with self.db.session() as s:
            sg = self._group(s, ctx, sg_id)
            self._enforce(ctx, "update_security_group", group_target(sg))
            check_if_match(sg, if_match)
            is_default = bool(self._default_ids(s, [sg.id]))
            if "name" in body:
                name = _string(body["name"], "name")
                if is_default:
                    raise Conflict("Updating default security group not allowed.",
                                   type="SecurityGroupCannotUpdateDefault")
                if name.lower() == DEFAULT:
                    raise Conflict("Default security group already exists.",
                                   type="SecurityGroupDefaultAlreadyExists")
                sg.name = name
            if "description" in body:
                sg.description = _string(body["description"], "description")
            if "stateful" in body:
                stateful = boolean(body["stateful"], "stateful")
                if stateful != sg.stateful and self._in_use(s, sg.id):
                    raise Conflict(f"Security Group {sg.id} in use.", type="SecurityGroupInUse")
                sg.stateful = stateful
            touch(sg)
            s.flush()
            return self.views(s, [sg])[0]

    def _in_use(self, s: Session, sg_id: str) -> bool:
        return s.scalar(sa.select(PortSecurityGroupBinding.port_id).where(
            PortSecurityGroupBinding.security_group_id == sg_id).limit(1)) is not None

    def delete_group(self, ctx: RequestContext, sg_id: str) -> None:
        with self.db.session() as s:
            sg = self._group(s, ctx, sg_id)
            self._enforce(ctx, "delete_security_group", group_target(sg))
            if self._in_use(s, sg.id):
                raise Conflict(f"Security Group {sg.id} in use.", type="SecurityGroupInUse")
            if self._default_ids(s, [sg.id]) and not ctx.is_admin:
                raise Conflict("Insufficient rights for removing default security group.",
                               type="SecurityGroupCannotRemoveDefault")
            networks = self.networks_of_groups(s, [sg.id])
            rule_ids = list(s.scalars(sa.select(SecurityGroupRule.id).where(sa.or_(
                SecurityGroupRule.security_group_id == sg.id,
                SecurityGroupRule.remote_group_id == sg.id))))
            s.execute(sa.delete(Tag).where(Tag.resource_id.in_([sg.id, *rule_ids])))
            s.execute(sa.delete(SecurityGroupRule).where(SecurityGroupRule.id.in_(rule_ids)))
            s.execute(sa.delete(DefaultSecurityGroup).where(
                DefaultSecurityGroup.security_group_id == sg.id))
            s.delete(sg)
        self._sync(networks)

    # ---- rules --------------------------------------------------------------------------
    def list_rules(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        scope = self.scope(ctx)
        base = sa.select(SecurityGroupRule)
        if scope is not None:
            owned = sa.select(SecurityGroup.id).where(SecurityGroup.project_id == scope)
            base = base.where(sa.or_(SecurityGroupRule.project_id == scope,
                                     SecurityGroupRule.security_group_id.in_(owned)))
        with self.db.session() as s:
            rows, links = page(s, RULE_LIST, query, base=base, url=url)
            return collection(RULE_LIST, query, self.rule_views(s, rows), links)

    def create_rule(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(body, RULE_KEYS, type="HTTPBadRequest")
        if "security_group_id" not in body:
            raise _invalid("Failed to parse request. Required attribute 'security_group_id' not "
                           "specified", "HTTPBadRequest")
        if "direction" not in body:
            raise _invalid("Failed to parse request. Required attribute 'direction' not specified",
                           "HTTPBadRequest")
        direction = body["direction"]
        if direction not in ("ingress", "egress"):
            raise _invalid(f"Invalid input for direction. Reason: {direction!r} is not in "
                           "['ingress', 'egress'].")
        rule: dict[str, Any] = {
            "security_group_id": body["security_group_id"],
            "direction": direction,
            "ethertype": convert_ethertype(body.get("ethertype", "IPv4")),
            "protocol": convert_protocol(body.get("protocol")),
            "port_range_min": convert_port(body.get("port_range_min")),
            "port_range_max": convert_port(body.get("port_range_max")),
            "remote_ip_prefix": convert_prefix(body.get("remote_ip_prefix")),
            "remote_group_id": body.get("remote_group_id"),
            "remote_address_group_id": body.get("remote_address_group_id"),
        }
        description = _string(body.get("description", ""), "description")
        for key in ("security_group_id", "remote_group_id"):
            if rule[key] is not None and not isinstance(rule[key], str):
                raise _invalid(f"Invalid input for {key}. Reason: '{rule[key]}' is not a valid string.")
        validate_rule(rule)
        with self.db.session() as s:
            if rule["remote_address_group_id"] is not None:
                raise NotFound(f"Address group {rule['remote_address_group_id']} could not be found.",
                               type="AddressGroupNotFound")
            if rule["remote_group_id"]:
                self._group(s, ctx, rule["remote_group_id"])
            sg = self._group(s, ctx, rule["security_group_id"])
            project_id = _owner(ctx, body, default=sg.project_id if ctx.is_admin else None)
            self._enforce(ctx, "create_security_group_rule", {
                "project_id": project_id, "tenant_id": project_id,
                "security_group:project_id": sg.project_id})
            key = rule_key(rule)
            existing = list(s.scalars(sa.select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id == sg.id)))
            for r in existing:
                if rule_key(self.rule_view(r, set())) == key:
                    raise Conflict(f"Security group rule already exists. Rule id is {r.id}.",
                                   type="SecurityGroupRuleExists")
            if len(existing) >= MAX_RULES_PER_GROUP:
                raise Conflict("Quota exceeded for resources: ['security_group_rule'].",
                               type="OverQuota")
            self._check_quota(s, project_id, "security_group_rule")
            now = utcnow()
            row = SecurityGroupRule(
                id=new_id(), project_id=project_id, security_group_id=sg.id,
                remote_group_id=rule["remote_group_id"], direction=direction,
                ethertype=rule["ethertype"], protocol=rule["protocol"],
                port_range_min=rule["port_range_min"], port_range_max=rule["port_range_max"],
                remote_ip_prefix=rule["remote_ip_prefix"], description=description,
                revision_number=0, created_at=now, updated_at=now)
            s.add(row)
            touch(sg)
            s.flush()
            view = self.rule_views(s, [row])[0]
            networks = self.networks_of_groups(s, [sg.id])
        self._sync(networks)
        return view

    def _sg_project(self, s: Session, r: SecurityGroupRule) -> str:
        return str(s.scalar(sa.select(SecurityGroup.project_id).where(
            SecurityGroup.id == r.security_group_id)) or "")

    def show_rule(self, ctx: RequestContext, rule_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        with self.db.session() as s:
            r = self._rule(s, ctx, rule_id)
            self._enforce(ctx, "get_security_group_rule", rule_target(r, self._sg_project(s, r)))
            return select_fields(self.rule_views(s, [r])[0], fields or [])

    def delete_rule(self, ctx: RequestContext, rule_id: str) -> None:
        with self.db.session() as s:
            r = self._rule(s, ctx, rule_id)
            self._enforce(ctx, "delete_security_group_rule", rule_target(r, self._sg_project(s, r)))
            sg = s.get(SecurityGroup, r.security_group_id)
            networks = self.networks_of_groups(s, [r.security_group_id])
            s.execute(sa.delete(Tag).where(Tag.resource_id == r.id))
            s.delete(r)
            if sg is not None:
                touch(sg)
        self._sync(networks)

    # ---- for compute ---------------------------------------------------------------------
    def resolve(self, ctx: RequestContext, names: Iterable[Any]) -> list[str]:
        """Names or ids of the caller's groups -> ids (nova's ``security_groups``): 404
        ``SecurityGroupNotFound`` for one that is not there, 409 for a name that several
        groups share."""
        wanted = [str(n) for n in names]
        if any(n.lower() == DEFAULT for n in wanted) and ctx.project_id:
            self.ensure_default(ctx.project_id)
        with self.db.session() as s:
            groups = list(s.scalars(sa.select(SecurityGroup).where(
                SecurityGroup.project_id == (ctx.project_id or ""))))
            out: list[str] = []
            for n in wanted:
                by_id = [g.id for g in groups if g.id == n]
                by_name = [g.id for g in groups if g.name == n]
                if by_id:
                    found = by_id[0]
                elif len(by_name) == 1:
                    found = by_name[0]
                elif by_name:
                    raise Conflict(f"Multiple security_group matches found for name '{n}', use an "
                                   "ID to be more specific.", type="NeutronClientNoUniqueMatch")
                else:
                    raise sg_not_found(n)
                if found not in out:
                    out.append(found)
            return out

    def names(self, s: Session, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        if not ids:
            return {}
        return {i: n for i, n in s.execute(sa.select(SecurityGroup.id, SecurityGroup.name).where(
            SecurityGroup.id.in_(ids)))}


def _string(value: Any, name: str, max_len: int = 255) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"Invalid input for {name}. Reason: '{value}' is not a valid string.")
    if len(value) > max_len:
        raise _invalid(f"Invalid input for {name}. Reason: '{value}' exceeds maximum length of "
                       f"{max_len}.")
    return value


def _owner(ctx: RequestContext, body: Mapping[str, Any], default: str | None = None) -> str:
    """The project a new resource belongs to: the caller's, or (admin) the one named."""
    pid = body.get("project_id", body.get("tenant_id"))
    if pid is not None and (not isinstance(pid, str) or len(pid) > 64):
        raise _invalid(f"Invalid input for project_id. Reason: '{pid}' is not a valid string.")
    if pid and pid != ctx.project_id:
        if not ctx.is_admin:
            raise BadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated "
                             "project in request requires admin privileges", type="HTTPBadRequest")
        return str(pid)
    return str(pid or default or ctx.project_id or "")


def _set_tags(s: Session, resource_id: str, resource_type: str, tags: Any) -> None:
    if tags is None:
        return
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in tags):
        raise _invalid("Invalid input for tags. Reason: not a list of strings.")
    for t in dict.fromkeys(tags):
        s.add(Tag(resource_id=resource_id, tag=t, resource_type=resource_type))


def build(mgr: Any) -> SecurityGroupManager:
    sgm = SecurityGroupManager(mgr.db, mgr)
    mgr.quotas.register("security_group", 10, counter(SecurityGroup))
    mgr.quotas.register("security_group_rule", 100, counter(SecurityGroupRule))
    tags = getattr(mgr, "tags", None)
    if tags is not None and hasattr(tags, "register"):
        def get_row(s: Session, ctx: RequestContext | None, sg_id: str) -> SecurityGroup:
            if ctx is None:
                row = s.get(SecurityGroup, sg_id)
                if row is None:
                    raise sg_not_found(sg_id)
                return row
            return sgm._group(s, ctx, sg_id)

        tags.register("security-groups", get_row, "update_security_group", group_target)
    return sgm
