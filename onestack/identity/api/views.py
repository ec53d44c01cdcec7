"""Rendering identity objects as upstream's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onestack.core.web import Call
from onestack.identity.manager.tokens import fmt_dt
from onestack.identity.models import (
    AccessRule,
    ApplicationCredential,
    CatalogService,
    Endpoint,
    Group,
    Project,
    Region,
    Role,
    User,
)


def v3(call: Call) -> str:
    return call.base_url + "/v3"


def naive_time(value: Any) -> str | None:
    """Upstream renders stored datetimes as naive UTC with microseconds, no "Z"
    (oslo.serialization's PERFECT_TIME_FORMAT)."""
    if not value:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return str(value.strftime("%Y-%m-%dT%H:%M:%S.%f"))


def collection(call: Call, key: str, items: list[dict[str, Any]], truncated: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {key: items, "links": {"self": call.url_for_self(), "previous": None, "next": None}}
    if truncated:
        out["truncated"] = True
    return out


def domain(call: Call, d: Project, tags: list[str]) -> dict[str, Any]:
    return {
        **(d.extra or {}),
        "id": d.id, "name": d.name, "description": d.description or "", "enabled": d.enabled,
        "tags": tags, "options": {},
        "links": {"self": f"{v3(call)}/domains/{d.id}"},
    }


def project(call: Call, p: Project, tags: list[str]) -> dict[str, Any]:
    if p.is_domain:
        return {**domain(call, p, tags), "domain_id": None, "parent_id": None, "is_domain": True,
                "links": {"self": f"{v3(call)}/projects/{p.id}"}}
    return {
        **(p.extra or {}),
        "id": p.id, "name": p.name, "domain_id": p.domain_id, "parent_id": p.parent_id,
        "description": p.description or "", "enabled": p.enabled, "is_domain": False,
        "tags": tags, "options": {},
        "links": {"self": f"{v3(call)}/projects/{p.id}"},
    }


def user(call: Call, u: User, password_expires_at: Any = None) -> dict[str, Any]:
    out = {
        **(u.extra or {}),
        "id": u.id, "name": u.name, "domain_id": u.domain_id, "enabled": u.enabled,
        "password_expires_at": fmt_dt(password_expires_at), "options": dict(u.options or {}),
        "links": {"self": f"{v3(call)}/users/{u.id}"},
    }
    if u.default_project_id:
        out["default_project_id"] = u.default_project_id
    if u.description is not None:
        out["description"] = u.description
    if u.email is not None:
        out["email"] = u.email
    return out


def group(call: Call, g: Group) -> dict[str, Any]:
    return {**(g.extra or {}), "id": g.id, "name": g.name, "domain_id": g.domain_id,
            "description": g.description or "", "links": {"self": f"{v3(call)}/groups/{g.id}"}}


def role(call: Call, r: Role) -> dict[str, Any]:
    out = {**(r.extra or {}), "id": r.id, "name": r.name,
           "domain_id": None if r.domain_id == "<<null>>" else r.domain_id,
           "options": dict(r.options or {}), "links": {"self": f"{v3(call)}/roles/{r.id}"}}
    if r.description is not None:
        out["description"] = r.description
    return out


def role_ref(call: Call, r: Role) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "links": {"self": f"{v3(call)}/roles/{r.id}"}}


def region(call: Call, r: Region) -> dict[str, Any]:
    return {**(r.extra or {}), "id": r.id, "description": r.description or "",
            "parent_region_id": r.parent_region_id, "links": {"self": f"{v3(call)}/regions/{r.id}"}}


def service(call: Call, s: CatalogService) -> dict[str, Any]:
    return {**(s.extra or {}), "id": s.id, "type": s.type, "enabled": s.enabled,
            "links": {"self": f"{v3(call)}/services/{s.id}"}}


def endpoint(call: Call, e: Endpoint) -> dict[str, Any]:
    return {**(e.extra or {}), "id": e.id, "service_id": e.service_id, "interface": e.interface,
            "url": e.url, "region_id": e.region_id, "region": e.region_id, "enabled": e.enabled,
            "links": {"self": f"{v3(call)}/endpoints/{e.id}"}}


def access_rule(call: Call, r: AccessRule) -> dict[str, Any]:
    return {"id": r.id, "service": r.service, "path": r.path, "method": r.method,
            "links": {"self": f"{v3(call)}/users/{r.user_id}/access_rules/{r.id}"}}


def app_cred(call: Call, a: ApplicationCredential, roles: list[Role], rules: list[AccessRule]) -> dict[str, Any]:
    return {
        "id": a.id, "name": a.name, "description": a.description, "user_id": a.user_id,
        "project_id": a.project_id, "system": a.system,
        "expires_at": naive_time(a.expires_at), "unrestricted": a.unrestricted,
        "roles": [{"id": r.id, "name": r.name, "domain_id": None} for r in roles],
        "access_rules": [{"id": r.id, "service": r.service, "path": r.path, "method": r.method} for r in rules],
        "links": {"self": f"{v3(call)}/users/{a.user_id}/application_credentials/{a.id}"},
    }
