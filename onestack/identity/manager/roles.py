"""Roles, implied roles and role assignments (user or group; project, domain or system;
optionally inherited down the project tree)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.identity.manager.common import (
    flush_or_conflict,
    get_or_404,
    limited,
    name_filter,
    new_id,
    parse_bool,
    truncate,
)
from onestack.identity.models import (
    NULL_DOMAIN,
    Assignment,
    Group,
    ImpliedRole,
    Membership,
    Project,
    Role,
    User,
)

SYSTEM = "system"
ROLE_OPTIONS = {"immutable"}
PROHIBITED_IMPLIED_ROLES = ("admin",)


@dataclass(frozen=True, slots=True)
class Grant:
    """One row of ``GET /v3/role_assignments``."""

    role_id: str
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    inherited: bool = False
    # for effective results: where the grant came from
    via_group_id: str | None = None
    via_inherit_from: str | None = None


class RoleManager:
    def __init__(self, db: Database, list_limit: int | None = None) -> None:
        self.db = db
        self.list_limit = list_limit
        self.on_change: list[Callable[[Session, str, str, str], None]] = []

    # ---- roles --------------------------------------------------------------
    def get_role(self, s: Session, role_id: str) -> Role:
        return get_or_404(s, Role, role_id, "role")

    def role_by_name(self, s: Session, name: str, domain_id: str | None = None) -> Role:
        r = s.scalar(
            sa.select(Role).where(Role.name == name, Role.domain_id == (domain_id or NULL_DOMAIN))
        )
        if r is None:
            raise NotFound(f"Could not find role: {name}.")
        return r

    def _check_options(self, options: Any) -> dict[str, Any]:
        if not isinstance(options, dict) or set(options) - ROLE_OPTIONS:
            raise BadRequest("Invalid input for field 'options': unknown role option.")
        return {k: v for k, v in options.items() if v is not None}

    def create_role(self, s: Session, body: Mapping[str, Any], role_id: str | None = None) -> Role:
        r = Role(
            id=role_id or new_id(),
            name=body["name"],
            domain_id=body.get("domain_id") or NULL_DOMAIN,
            description=body.get("description"),
            options=self._check_options(body.get("options") or {}),
            extra={k: v for k, v in body.items() if k not in ("name", "domain_id", "description", "options", "id")},
        )
        s.add(r)
        flush_or_conflict(s, f"role - Duplicate entry found with name {r.name}.")
        return r

    def _check_mutable(self, r: Role) -> None:
        if (r.options or {}).get("immutable"):
            raise Forbidden(f"Cannot modify role {r.id}: it is immutable.")

    def update_role(self, s: Session, role_id: str, body: Mapping[str, Any]) -> Role:
        r = self.get_role(s, role_id)
        new_opts = body.get("options")
        unlocking = isinstance(new_opts, dict) and new_opts.get("immutable") is False
        if not unlocking:
            self._check_mutable(r)
        if "domain_id" in body and (body["domain_id"] or NULL_DOMAIN) != r.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        for f in ("name", "description"):
            if f in body:
                setattr(r, f, body[f])
        if new_opts is not None:
            merged = {**(r.options or {}), **self._check_options(new_opts)}
            r.options = {k: v for k, v in merged.items() if v is not None and v is not False}
        flush_or_conflict(s, f"role - Duplicate entry found with name {r.name}.")
        return r

    def delete_role(self, s: Session, role_id: str) -> None:
        r = self.get_role(s, role_id)
        self._check_mutable(r)
        self._changed(s, "role", role_id, "deleted")
        s.delete(r)

    def list_roles(self, s: Session, query: Mapping[str, str]) -> tuple[list[Role], bool]:
        stmt = sa.select(Role).where(*name_filter(Role.name, query))
        stmt = stmt.where(Role.domain_id == (query.get("domain_id") or NULL_DOMAIN))
        stmt, lim = limited(stmt.order_by(Role.name), self.list_limit)
        return truncate(list(s.scalars(stmt)), lim)

    # ---- implied roles ---------------------------------------------------------
    def create_implied(self, s: Session, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        prior, implied = self.get_role(s, prior_id), self.get_role(s, implied_id)
        # upstream: [assignment] prohibited_implied_role defaults to ["admin"]
        if implied.name in PROHIBITED_IMPLIED_ROLES:
            raise Forbidden(f"{implied_id} cannot be an implied role.")
        if prior.domain_id == NULL_DOMAIN and implied.domain_id != NULL_DOMAIN:
            raise Forbidden(f"Global role cannot imply a domain-specific role: {implied_id} cannot be an implied role.")
        if prior_id == implied_id or prior_id in self.implied_closure(s, [implied_id]):
            raise BadRequest("This would create a cycle of implied roles.")
        if s.get(ImpliedRole, (prior_id, implied_id)) is None:
            s.add(ImpliedRole(prior_role_id=prior_id, implied_role_id=implied_id))
        return prior, implied

    def get_implied(self, s: Session, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        prior, implied = self.get_role(s, prior_id), self.get_role(s, implied_id)
        if s.get(ImpliedRole, (prior_id, implied_id)) is None:
            raise NotFound(f"{prior_id} does not imply {implied_id}.")
        return prior, implied

    def delete_implied(self, s: Session, prior_id: str, implied_id: str) -> None:
        self.get_implied(s, prior_id, implied_id)
        s.execute(
            sa.delete(ImpliedRole).where(
                ImpliedRole.prior_role_id == prior_id, ImpliedRole.implied_role_id == implied_id
            )
        )

    def implications(self, s: Session, prior_id: str | None = None) -> dict[str, list[str]]:
        stmt = sa.select(ImpliedRole.prior_role_id, ImpliedRole.implied_role_id)
        if prior_id:
            stmt = stmt.where(ImpliedRole.prior_role_id == prior_id)
        out: dict[str, list[str]] = {}
        for p, i in s.execute(stmt):
            out.setdefault(p, []).append(i)
        return out

    def implied_closure(self, s: Session, role_ids: list[str]) -> list[str]:
        """The roles plus every role they imply, transitively, in a stable order."""
        graph = self.implications(s)
        out: dict[str, None] = {}
        stack = list(role_ids)
        while stack:
            r = stack.pop(0)
            if r in out:
                continue
            out[r] = None
            stack.extend(graph.get(r, []))
        return list(out)

    # ---- assignments --------------------------------------------------------------
    @staticmethod
    def _type(actor: str, target: str) -> str:
        return {"user": "User", "group": "Group"}[actor] + {
            "project": "Project", "domain": "Domain", "system": "System"
        }[target]

    def _check_target(self, s: Session, actor: str, actor_id: str, target: str, target_id: str, role_id: str) -> Role:
        if actor == "user":
            get_or_404(s, User, actor_id, "user")
        else:
            get_or_404(s, Group, actor_id, "group")
        if target == "project":
            p = s.get(Project, target_id) if len(target_id) <= 64 else None
            if p is None or p.is_domain:
                raise NotFound(f"Could not find project: {target_id}.")
        elif target == "domain":
            p = s.get(Project, target_id) if len(target_id) <= 64 else None
            if p is None or not p.is_domain:
                raise NotFound(f"Could not find domain: {target_id}.")
        elif target_id != "all":
            raise NotFound(f"Could not find system: {target_id}.")
        return self.get_role(s, role_id)

    def grant(self, s: Session, actor: str, actor_id: str, target: str, target_id: str, role_id: str, inherited: bool = False) -> None:
        role = self._check_target(s, actor, actor_id, target, target_id, role_id)
        if role.domain_id != NULL_DOMAIN and target in ("project", "domain"):
            dom = target_id if target == "domain" else s.get(Project, target_id).domain_id  # type: ignore[union-attr]
            if dom != role.domain_id:
                raise Forbidden("Domain-specific roles may only be granted within their domain.")
        key = (self._type(actor, target), actor_id, target_id, role_id, inherited)
        if s.get(Assignment, key) is None:
            s.add(Assignment(type=key[0], actor_id=actor_id, target_id=target_id, role_id=role_id, inherited=inherited))

    def check(self, s: Session, actor: str, actor_id: str, target: str, target_id: str, role_id: str, inherited: bool = False) -> None:
        self._check_target(s, actor, actor_id, target, target_id, role_id)
        key = (self._type(actor, target), actor_id, target_id, role_id, inherited)
        if s.get(Assignment, key) is None:
            raise NotFound(
                f"Could not find role assignment with role: {role_id}, {actor}: {actor_id}, "
                f"{target}: {target_id}."
            )

    def revoke(self, s: Session, actor: str, actor_id: str, target: str, target_id: str, role_id: str, inherited: bool = False) -> None:
        self.check(s, actor, actor_id, target, target_id, role_id, inherited)
        s.execute(
            sa.delete(Assignment).where(
                Assignment.type == self._type(actor, target),
                Assignment.actor_id == actor_id,
                Assignment.target_id == target_id,
                Assignment.role_id == role_id,
                Assignment.inherited.is_(inherited),
            )
        )
        self._changed(s, "assignment", actor_id, f"{actor}:{target}:{target_id}:{role_id}")

    def list_grants(self, s: Session, actor: str, actor_id: str, target: str, target_id: str, inherited: bool = False) -> list[Role]:
        if actor == "user":
            get_or_404(s, User, actor_id, "user")
        else:
            get_or_404(s, Group, actor_id, "group")
        if target == "project":
            p = s.get(Project, target_id) if len(target_id) <= 64 else None
            if p is None or p.is_domain:
                raise NotFound(f"Could not find project: {target_id}.")
        elif target == "domain":
            p = s.get(Project, target_id) if len(target_id) <= 64 else None
            if p is None or not p.is_domain:
                raise NotFound(f"Could not find domain: {target_id}.")
        rows = s.scalars(
            sa.select(Role)
            .join(Assignment, Assignment.role_id == Role.id)
            .where(
                Assignment.type == self._type(actor, target),
                Assignment.actor_id == actor_id,
                Assignment.target_id == target_id,
                Assignment.inherited.is_(inherited),
            )
            .order_by(Role.name)
        )
        return list(rows)

    def delete_for(self, s: Session, kind: str, obj_id: str) -> None:
        """Remove every assignment naming a deleted user, group, project or domain."""
        if kind in ("user", "group"):
            s.execute(sa.delete(Assignment).where(Assignment.actor_id == obj_id))
        else:
            s.execute(sa.delete(Assignment).where(Assignment.target_id == obj_id))

    def _changed(self, s: Session, kind: str, obj_id: str, what: str) -> None:
        for cb in self.on_change:
            cb(s, kind, obj_id, what)

    # ---- effective roles ------------------------------------------------------------
    def _actor_ids(self, s: Session, user_id: str) -> list[str]:
        groups = s.scalars(sa.select(Membership.group_id).where(Membership.user_id == user_id))
        return [user_id, *groups]

    def direct_role_ids(self, s: Session, user_id: str, *, project: Project | None = None,
                        domain_id: str | None = None, system: bool = False,
                        lineage: list[Project] | None = None) -> list[str]:
        """Role ids (before implication) a user holds on one target, through groups and
        inheritance."""
        actors = self._actor_ids(s, user_id)
        conds = []
        if project is not None:
            conds.append(sa.and_(Assignment.target_id == project.id, Assignment.inherited.is_(False),
                                 Assignment.type.in_(("UserProject", "GroupProject"))))
            up = [p.id for p in (lineage or [])]
            if project.domain_id not in up:
                up.append(project.domain_id)
            conds.append(sa.and_(Assignment.target_id.in_(up), Assignment.inherited.is_(True),
                                 Assignment.type.in_(("UserProject", "GroupProject", "UserDomain", "GroupDomain"))))
        elif domain_id is not None:
            conds.append(sa.and_(Assignment.target_id == domain_id, Assignment.inherited.is_(False),
                                 Assignment.type.in_(("UserDomain", "GroupDomain"))))
        elif system:
            conds.append(sa.and_(Assignment.target_id == "all",
                                 Assignment.type.in_(("UserSystem", "GroupSystem"))))
        if not conds:
            return []
        stmt = sa.select(Assignment.role_id).where(Assignment.actor_id.in_(actors), sa.or_(*conds))
        return list(dict.fromkeys(s.scalars(stmt)))

    def effective_roles(self, s: Session, user_id: str, **target: Any) -> list[Role]:
        ids = self.implied_closure(s, self.direct_role_ids(s, user_id, **target))
        if not ids:
            return []
        roles = {r.id: r for r in s.scalars(sa.select(Role).where(Role.id.in_(ids)))}
        # domain-specific roles are not placed in tokens (their implications are)
        return [roles[i] for i in ids if i in roles and roles[i].domain_id == NULL_DOMAIN]

    def project_ids_for_user(self, s: Session, user_id: str) -> set[str]:
        """Projects on which the user has any role (directly, by group or inherited)."""
        actors = self._actor_ids(s, user_id)
        rows = s.execute(
            sa.select(Assignment.type, Assignment.target_id, Assignment.inherited).where(
                Assignment.actor_id.in_(actors),
                Assignment.type.in_(("UserProject", "GroupProject", "UserDomain", "GroupDomain")),
            )
        ).all()
        out: set[str] = set()
        inherit_roots: list[str] = []
        for typ, target, inh in rows:
            if typ.endswith("Project") and not inh:
                out.add(target)
            if inh:
                inherit_roots.append(target)
        frontier = inherit_roots
        while frontier:
            kids = list(s.scalars(sa.select(Project.id).where(
                Project.parent_id.in_(frontier), Project.is_domain.is_(False))))
            # projects directly in an inheriting domain are its children as well
            kids += list(s.scalars(sa.select(Project.id).where(
                Project.domain_id.in_(frontier), Project.is_domain.is_(False))))
            new = [k for k in kids if k not in out]
            out.update(new)
            frontier = new
        return out

    def domain_ids_for_user(self, s: Session, user_id: str) -> set[str]:
        actors = self._actor_ids(s, user_id)
        return set(s.scalars(sa.select(Assignment.target_id).where(
            Assignment.actor_id.in_(actors), Assignment.inherited.is_(False),
            Assignment.type.in_(("UserDomain", "GroupDomain")))))

    # ---- GET /v3/role_assignments ------------------------------------------------------
    def list_assignments(self, s: Session, q: Mapping[str, str]) -> list[Grant]:
        effective = "effective" in q and parse_bool(q.get("effective") or "true", "effective")
        include_subtree = parse_bool(q.get("include_subtree"), "include_subtree")
        user_id, group_id, role_id = q.get("user.id"), q.get("group.id"), q.get("role.id")
        project_id, domain_id = q.get("scope.project.id"), q.get("scope.domain.id")
        system = q.get("scope.system")
        inherited_to = q.get("scope.OS-INHERIT:inherited_to")
        if user_id and group_id:
            raise BadRequest("Specify a user or group, not both.")
        if sum(bool(x) for x in (project_id, domain_id, system)) > 1:
            raise BadRequest("Specify one of domain, project or system scope.")
        if effective and group_id:
            raise BadRequest("Combining effective and group filter will always result in an empty list.")
        if include_subtree and not project_id:
            raise BadRequest("scope.project.id needs to be specified if include_subtree is also specified.")

        rows = list(s.scalars(sa.select(Assignment)))
        grants = [_grant(a) for a in rows]
        if effective:
            grants = self._expand(s, grants)
            # upstream: domain-specific roles only infer other roles; not effective themselves
            domain_roles = set(s.scalars(sa.select(Role.id).where(Role.domain_id != NULL_DOMAIN)))
            grants = [g for g in grants if g.role_id not in domain_roles]
        if user_id:
            grants = [g for g in grants if g.user_id == user_id]
        if group_id:
            grants = [g for g in grants if g.group_id == group_id]
        if role_id:
            grants = [g for g in grants if g.role_id == role_id]
        if project_id:
            targets = {project_id}
            if include_subtree:
                targets |= {p.id for p in _subtree(s, project_id)}
            grants = [g for g in grants if g.project_id in targets]
        if domain_id:
            grants = [g for g in grants if g.domain_id == domain_id]
        if system:
            grants = [g for g in grants if g.system == system]
        if inherited_to == "projects":
            grants = [g for g in grants if g.inherited]
        return grants

    def _expand(self, s: Session, grants: list[Grant]) -> list[Grant]:
        """Groups become their members, inherited grants land on the subtree, implied
        roles are added: what a token would actually carry."""
        members: dict[str, list[str]] = {}
        for uid, gid in s.execute(sa.select(Membership.user_id, Membership.group_id)):
            members.setdefault(gid, []).append(uid)
        graph = self.implications(s)
        out: list[Grant] = []
        for g in grants:
            users = [(g.user_id, None)] if g.user_id else [(u, g.group_id) for u in members.get(g.group_id or "", [])]
            if g.inherited:
                root = g.project_id or g.domain_id or ""
                targets = [p.id for p in _subtree(s, root, include_domain_projects=bool(g.domain_id))]
                placed = [("project", t) for t in targets]
            else:
                placed = [("project", g.project_id)] if g.project_id else (
                    [("domain", g.domain_id)] if g.domain_id else [("system", g.system)])
            for uid, via in users:
                for kind, tid in placed:
                    seen: set[str] = set()
                    stack = [g.role_id]
                    while stack:
                        rid = stack.pop(0)
                        if rid in seen:
                            continue
                        seen.add(rid)
                        out.append(Grant(
                            role_id=rid, user_id=uid,
                            project_id=tid if kind == "project" else None,
                            domain_id=tid if kind == "domain" else None,
                            system=tid if kind == "system" else None,
                            via_group_id=via,
                            via_inherit_from=(g.project_id or g.domain_id) if g.inherited else None,
                        ))
                        stack.extend(graph.get(rid, []))
        return list(dict.fromkeys(out))


def _grant(a: Assignment) -> Grant:
    actor = {"user_id": a.actor_id} if a.type.startswith("User") else {"group_id": a.actor_id}
    if a.type.endswith("Project"):
        target: dict[str, Any] = {"project_id": a.target_id}
    elif a.type.endswith("Domain"):
        target = {"domain_id": a.target_id}
    else:
        target = {"system": a.target_id}
    return Grant(role_id=a.role_id, inherited=a.inherited, **actor, **target)


def _subtree(s: Session, root: str, include_domain_projects: bool = False) -> list[Project]:
    out: list[Project] = []
    frontier = [root]
    seen = {root}
    while frontier:
        cond = Project.parent_id.in_(frontier)
        if include_domain_projects:
            cond = sa.or_(cond, Project.domain_id.in_(frontier))
        kids = [k for k in s.scalars(sa.select(Project).where(cond, Project.is_domain.is_(False))) if k.id not in seen]
        seen.update(k.id for k in kids)
        out.extend(kids)
        frontier = [k.id for k in kids]
    return out
