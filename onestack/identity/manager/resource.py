"""Domains and projects (one table, as upstream: a domain is a project with is_domain)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.identity.manager.common import (
    flush_or_conflict,
    limited,
    name_filter,
    new_id,
    parse_bool,
    truncate,
)
from onestack.identity.models import ROOT_DOMAIN, Project, ProjectTag

DEFAULT_DOMAIN_ID = "default"
MAX_TAGS = 80


class ResourceManager:
    def __init__(self, db: Database, list_limit: int | None = None) -> None:
        self.db = db
        self.list_limit = list_limit
        # called with (kind, id) when a project or domain is deleted or disabled
        self.on_change: list[Callable[[Session, str, str, str], None]] = []

    # ---- lookups ------------------------------------------------------------
    def get_domain(self, s: Session, domain_id: str) -> Project:
        d = s.get(Project, domain_id) if len(domain_id) <= 64 else None
        if d is None or not d.is_domain:
            raise NotFound(f"Could not find domain: {domain_id}.")
        return d

    def get_project(self, s: Session, project_id: str) -> Project:
        p = s.get(Project, project_id) if len(project_id) <= 64 else None
        if p is None or p.is_domain:
            raise NotFound(f"Could not find project: {project_id}.")
        return p

    def get_project_or_domain(self, s: Session, pid: str) -> Project:
        p = s.get(Project, pid) if len(pid) <= 64 else None
        if p is None:
            raise NotFound(f"Could not find project: {pid}.")
        return p

    def domain_by_name(self, s: Session, name: str) -> Project:
        d = s.scalar(
            sa.select(Project).where(Project.is_domain.is_(True), Project.name == name)
        )
        if d is None:
            raise NotFound(f"Could not find domain: {name}.")
        return d

    def project_by_name(self, s: Session, name: str, domain_id: str) -> Project:
        p = s.scalar(
            sa.select(Project).where(
                Project.is_domain.is_(False), Project.name == name, Project.domain_id == domain_id
            )
        )
        if p is None:
            raise NotFound(f"Could not find project: {name}.")
        return p

    def tags(self, s: Session, project_id: str) -> list[str]:
        return list(
            s.scalars(
                sa.select(ProjectTag.name)
                .where(ProjectTag.project_id == project_id)
                .order_by(ProjectTag.name)
            )
        )

    def tags_for(self, s: Session, ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            stmt = sa.select(ProjectTag.project_id, ProjectTag.name).order_by(ProjectTag.name)
            if len(ids) < 200:
                stmt = stmt.where(ProjectTag.project_id.in_(ids))
            # for long listings one pass over the tags beats a query with 1,000 binds
            for pid, name in s.execute(stmt):
                if pid in out:
                    out[pid].append(name)
        return out

    def lineage(self, s: Session, project: Project) -> list[Project]:
        """The project's ancestors, nearest first (stopping at its domain)."""
        out: list[Project] = []
        seen = {project.id}
        cur = project
        while cur.parent_id and cur.parent_id not in seen:
            parent = s.get(Project, cur.parent_id)
            if parent is None:
                break
            out.append(parent)
            seen.add(parent.id)
            cur = parent
        return out

    def children(self, s: Session, project_id: str) -> list[Project]:
        return list(
            s.scalars(
                sa.select(Project).where(
                    Project.parent_id == project_id, Project.is_domain.is_(False)
                )
            )
        )

    def subtree(self, s: Session, project_id: str) -> list[Project]:
        out: list[Project] = []
        frontier = [project_id]
        while frontier:
            kids = list(
                s.scalars(
                    sa.select(Project).where(
                        Project.parent_id.in_(frontier), Project.is_domain.is_(False)
                    )
                )
            )
            out.extend(kids)
            frontier = [k.id for k in kids]
        return out

    # ---- writes ---------------------------------------------------------------
    def _set_tags(self, s: Session, project_id: str, tags: list[str]) -> None:
        if len(tags) > MAX_TAGS:
            raise BadRequest(f"The number of tags is over the limit of {MAX_TAGS}.")
        for t in tags:
            if "/" in t or "," in t or not t or len(t) > 255:
                raise BadRequest(f"Invalid tag {t!r}: tags may not contain '/' or ','.")
        s.execute(sa.delete(ProjectTag).where(ProjectTag.project_id == project_id))
        for t in dict.fromkeys(tags):
            s.add(ProjectTag(project_id=project_id, name=t))

    def create_domain(self, s: Session, body: Mapping[str, Any], domain_id: str | None = None) -> Project:
        d = Project(
            id=domain_id or body.get("id") or new_id(),
            name=body["name"],
            domain_id=ROOT_DOMAIN,
            parent_id=None,
            description=body.get("description", ""),
            enabled=body.get("enabled", True),
            is_domain=True,
            extra=_extra(body, DOMAIN_FIELDS),
        )
        s.add(d)
        flush_or_conflict(
            s, f"domain - Duplicate entry found with name {body['name']}."
        )
        self._set_tags(s, d.id, body.get("tags", []))
        return d

    def update_domain(self, s: Session, domain_id: str, body: Mapping[str, Any]) -> Project:
        d = self.get_domain(s, domain_id)
        if "name" in body:
            d.name = body["name"]
        if "description" in body:
            d.description = body["description"]
        if "enabled" in body:
            if domain_id == DEFAULT_DOMAIN_ID and not body["enabled"]:
                raise Forbidden("The default domain cannot be disabled.")
            d.enabled = body["enabled"]
            if not d.enabled:
                self._changed(s, "domain", d.id, "disabled")
        if "tags" in body:
            self._set_tags(s, d.id, body["tags"])
        d.extra = {**(d.extra or {}), **_extra(body, DOMAIN_FIELDS)}
        flush_or_conflict(s, f"domain - Duplicate entry found with name {d.name}.")
        return d

    def delete_domain(self, s: Session, domain_id: str) -> None:
        d = self.get_domain(s, domain_id)
        if d.enabled:
            raise Forbidden(
                "Cannot delete a domain that is enabled, please disable it first."
            )
        if domain_id == DEFAULT_DOMAIN_ID:
            raise Forbidden("The default domain cannot be deleted.")
        for p in s.scalars(sa.select(Project).where(Project.domain_id == domain_id)).all():
            self._delete_one(s, p)
        self._changed(s, "domain", domain_id, "deleted")
        s.delete(d)

    def create_project(self, s: Session, body: Mapping[str, Any], default_domain: str) -> Project:
        if body.get("is_domain"):
            return self.create_domain(s, body)
        parent_id = body.get("parent_id")
        domain_id = body.get("domain_id")
        if parent_id:
            parent = s.get(Project, parent_id) if len(parent_id) <= 64 else None
            if parent is None:
                raise NotFound(f"Could not find project: {parent_id}.")
            if parent.is_domain:
                if domain_id and domain_id != parent.id:
                    raise BadRequest("The parent domain must be the project's domain.")
                domain_id = parent.id
            else:
                if domain_id and domain_id != parent.domain_id:
                    raise BadRequest(
                        "Cannot create project, the parent "
                        f"{parent_id} is in domain {parent.domain_id}."
                    )
                domain_id = parent.domain_id
        domain_id = domain_id or default_domain
        domain = self.get_domain(s, domain_id)
        if not parent_id:
            parent_id = domain.id
        p = Project(
            id=new_id(),
            name=body["name"],
            domain_id=domain_id,
            parent_id=parent_id,
            description=body.get("description", ""),
            enabled=body.get("enabled", True),
            is_domain=False,
            extra=_extra(body, PROJECT_FIELDS),
        )
        s.add(p)
        flush_or_conflict(
            s,
            f"project - Duplicate entry found with name {body['name']} at domain ID {domain_id}.",
        )
        self._set_tags(s, p.id, body.get("tags", []))
        return p

    def update_project(self, s: Session, project_id: str, body: Mapping[str, Any]) -> Project:
        p = self.get_project_or_domain(s, project_id)
        if p.is_domain:
            return self.update_domain(s, project_id, body)
        for immutable in ("domain_id", "parent_id", "is_domain"):
            if immutable in body and body[immutable] != getattr(p, immutable) and not (
                immutable == "parent_id" and body[immutable] is None
            ):
                if immutable == "parent_id":  # upstream: ForbiddenNotSecurity
                    raise Forbidden("Update of `parent_id` is not allowed.")
                raise BadRequest(f"Update of `{immutable}` is not allowed.")
        if "name" in body:
            p.name = body["name"]
        if "description" in body:
            p.description = body["description"]
        if "enabled" in body:
            if body["enabled"] and not p.enabled and any(not x.enabled for x in self.lineage(s, p)):
                raise Forbidden(f"Cannot enable project {p.id} since it has disabled parents.")
            if not body["enabled"] and p.enabled and any(x.enabled for x in self.subtree(s, p.id)):
                raise Forbidden(f"Cannot disable project {p.id} since its subtree contains enabled projects.")
            p.enabled = body["enabled"]
            if not p.enabled:
                self._changed(s, "project", p.id, "disabled")
        if "tags" in body:
            self._set_tags(s, p.id, body["tags"])
        p.extra = {**(p.extra or {}), **_extra(body, PROJECT_FIELDS)}
        flush_or_conflict(
            s, f"project - Duplicate entry found with name {p.name} at domain ID {p.domain_id}."
        )
        return p

    def delete_project(self, s: Session, project_id: str, cascade: bool = False) -> None:
        p = self.get_project_or_domain(s, project_id)
        if p.is_domain:
            return self.delete_domain(s, project_id)
        kids = self.subtree(s, project_id)
        if kids and not cascade:
            raise Forbidden(
                f"Cannot delete the project {project_id} since it is not a leaf in the "
                "hierarchy. Use the cascade option if you want to delete a subtree."
            )
        if any(k.enabled for k in kids):
            raise Forbidden(f"Cannot delete project {project_id} since its subtree contains enabled projects.")
        for k in reversed(kids):
            self._delete_one(s, k)
        self._delete_one(s, p)

    def _delete_one(self, s: Session, p: Project) -> None:
        self._changed(s, "project", p.id, "deleted")
        s.execute(sa.update(Project).where(Project.parent_id == p.id).values(parent_id=None))
        s.delete(p)
        s.flush()

    def _changed(self, s: Session, kind: str, obj_id: str, what: str) -> None:
        for cb in self.on_change:
            cb(s, kind, obj_id, what)

    def add_tag(self, s: Session, project_id: str, tag: str) -> None:
        self.get_project_or_domain(s, project_id)
        tags = self.tags(s, project_id)
        if tag not in tags:
            self._set_tags(s, project_id, [*tags, tag])

    def remove_tag(self, s: Session, project_id: str, tag: str) -> None:
        self.get_project_or_domain(s, project_id)
        tags = self.tags(s, project_id)
        if tag not in tags:
            raise NotFound(f"Tag {tag} was not found.")
        self._set_tags(s, project_id, [t for t in tags if t != tag])

    # ---- listings -------------------------------------------------------------
    def list_domains(self, s: Session, query: Mapping[str, str]) -> tuple[list[Project], bool]:
        stmt = sa.select(Project).where(Project.is_domain.is_(True))
        stmt = stmt.where(*name_filter(Project.name, query))
        enabled = parse_bool(query.get("enabled"), "enabled")
        if enabled is not None:
            stmt = stmt.where(Project.enabled.is_(enabled))
        stmt, lim = limited(stmt.order_by(Project.name), self.list_limit)
        return truncate(list(s.scalars(stmt)), lim)

    def list_projects(
        self, s: Session, query: Mapping[str, str], only_ids: set[str] | None = None
    ) -> tuple[list[Project], bool]:
        is_domain = parse_bool(query.get("is_domain"), "is_domain")
        stmt = sa.select(Project).where(Project.is_domain.is_(bool(is_domain)))
        stmt = stmt.where(*name_filter(Project.name, query))
        enabled = parse_bool(query.get("enabled"), "enabled")
        if enabled is not None:
            stmt = stmt.where(Project.enabled.is_(enabled))
        if "domain_id" in query:
            stmt = stmt.where(Project.domain_id == query["domain_id"])
        if "parent_id" in query:
            stmt = stmt.where(Project.parent_id == query["parent_id"])
        if only_ids is not None:
            stmt = stmt.where(Project.id.in_(only_ids))
        for key, any_ in (("tags", False), ("tags-any", True), ("not-tags", False), ("not-tags-any", True)):
            if key not in query:
                continue
            wanted = [t for t in query[key].split(",") if t]
            if any_:
                sub = sa.select(ProjectTag.project_id).where(ProjectTag.name.in_(wanted))
                cond = Project.id.in_(sub)
            else:
                sub = (
                    sa.select(ProjectTag.project_id)
                    .where(ProjectTag.name.in_(wanted))
                    .group_by(ProjectTag.project_id)
                    .having(sa.func.count(sa.distinct(ProjectTag.name)) == len(set(wanted)))
                )
                cond = Project.id.in_(sub)
            stmt = stmt.where(~cond if key.startswith("not-") else cond)
        stmt, lim = limited(stmt.order_by(Project.name, Project.id), self.list_limit)
        # plain rows (read-only, attribute access like the model): a listing of
        # thousands of projects should not build thousands of ORM objects
        rows = s.execute(stmt.with_only_columns(*Project.__table__.c)).all()
        return truncate(rows, lim)  # type: ignore[arg-type]

    def ensure_default_domain(self, s: Session) -> Project:
        d = s.get(Project, DEFAULT_DOMAIN_ID)
        if d is None:
            d = self.create_domain(
                s,
                {"name": "Default", "description": "The default domain", "enabled": True},
                domain_id=DEFAULT_DOMAIN_ID,
            )
        return d


DOMAIN_FIELDS = {"id", "name", "description", "enabled", "tags", "options", "explicit_domain_id"}
PROJECT_FIELDS = {
    "id", "name", "description", "enabled", "tags", "options", "domain_id",
    "parent_id", "is_domain",
}


def _extra(body: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in known}

