"""Domains and projects, with project tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call, Route
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import (
    deps,
    enforce,
    fetch_or_deny,
    list_target,
    scoped_domain_filter,
)
from onestack.identity.manager.common import parse_bool
from onestack.identity.models import Project


def _ptarget(p: Any) -> dict[str, Any]:
    return {"project": {"id": p.id, "domain_id": None if p.is_domain else p.domain_id, "name": p.name}}


# ---- domains ----------------------------------------------------------------------
def list_domains(call: Call) -> dict[str, Any]:
    own = call.ctx.domain_id  # upstream: a domain-scoped caller sees its own domain only
    enforce(call, "identity:list_domains", {"domain": {"id": own}} if own else None)
    idm = deps(call).idm
    with idm.db.session() as s:
        rows, trunc = idm.resource.list_domains(s, call.query)
        if own:
            rows = [d for d in rows if d.id == own]
        tags = idm.resource.tags_for(s, [d.id for d in rows])
        return views.collection(call, "domains", [views.domain(call, d, tags[d.id]) for d in rows], trunc)


def create_domain(call: Call) -> dict[str, Any]:
    enforce(call, "identity:create_domain")
    idm = deps(call).idm
    body = call.body["domain"]
    with idm.db.session() as s:
        d = idm.resource.create_domain(s, body, domain_id=body.get("explicit_domain_id"))
        out = {"domain": views.domain(call, d, idm.resource.tags(s, d.id))}
    idm.changed()
    return out


def get_domain(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        d = fetch_or_deny(call, "identity:get_domain", lambda: idm.resource.get_domain(s, call.params["domain_id"]))
        enforce(call, "identity:get_domain", {"domain": {"id": d.id}})
        return {"domain": views.domain(call, d, idm.resource.tags(s, d.id))}


def update_domain(call: Call) -> dict[str, Any]:
    enforce(call, "identity:update_domain", {"domain": {"id": call.params["domain_id"]}})
    idm = deps(call).idm
    with idm.db.session() as s:
        d = idm.resource.update_domain(s, call.params["domain_id"], call.body["domain"])
        out = {"domain": views.domain(call, d, idm.resource.tags(s, d.id))}
    idm.changed()
    return out


def delete_domain(call: Call) -> Response:
    enforce(call, "identity:delete_domain", {"domain": {"id": call.params["domain_id"]}})
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.resource.delete_domain(s, call.params["domain_id"])
    idm.changed()
    return Response(status_code=204)


# ---- projects ---------------------------------------------------------------------
def list_projects(call: Call) -> dict[str, Any]:
    q = scoped_domain_filter(call, dict(call.query))
    enforce(call, "identity:list_projects", list_target(call, q))
    idm = deps(call).idm
    with idm.db.session() as s:
        rows, trunc = idm.resource.list_projects(s, q)
        tags = idm.resource.tags_for(s, [p.id for p in rows])
        return views.collection(call, "projects", [views.project(call, p, tags[p.id]) for p in rows], trunc)


def create_project(call: Call) -> dict[str, Any]:
    body = dict(call.body["project"])
    idm = deps(call).idm
    default_domain = call.ctx.domain_id or call.ctx.project_domain_id or "default"
    if not body.get("domain_id") and not body.get("parent_id"):
        body["domain_id"] = default_domain
    target_domain = body.get("domain_id")
    if not target_domain:  # a parent alone: the project lands in the parent's domain
        with idm.db.session() as s:
            parent = s.get(Project, body["parent_id"]) if len(body["parent_id"]) <= 64 else None
            target_domain = (parent.id if parent.is_domain else parent.domain_id) if parent else None
    enforce(call, "identity:create_project", {"project": {"domain_id": target_domain,
                                                           "parent_id": body.get("parent_id")}})
    with idm.db.session() as s:
        try:
            p = idm.resource.create_project(s, body, default_domain)
        except NotFound as e:  # upstream: an unknown domain or parent is a validation error
            raise BadRequest(e.message) from None
        out = {"project": views.project(call, p, idm.resource.tags(s, p.id))}
    idm.changed()
    return out


def _flag(call: Call, name: str) -> bool:
    """Upstream's boolean query flags: present and not ``0`` means true."""
    return name in call.query and call.query[name] != "0"


def _hierarchy(call: Call, s: Any, p: Any, out: dict[str, Any]) -> None:
    idm = deps(call).idm
    as_list, as_ids = _flag(call, "parents_as_list"), _flag(call, "parents_as_ids")
    sub_list, sub_ids = _flag(call, "subtree_as_list"), _flag(call, "subtree_as_ids")
    if (as_list and as_ids) or (sub_list and sub_ids):
        raise BadRequest("Cannot use the _as_list and _as_ids forms of parents or subtree at the same time.")
    # upstream filters the _as_list forms to the projects the caller has a role on
    mine = idm.roles.project_ids_for_user(s, call.ctx.user_id or "") if (as_list or sub_list) else set()
    if as_list or as_ids:
        lineage = idm.resource.lineage(s, p)
        if as_list:
            out["parents"] = [{"project": views.project(call, x, [])} for x in lineage if x.id in mine]
        else:
            # as upstream, the chain of ids ends with the project's domain
            nested: Any = None
            for x in reversed(lineage):
                nested = {x.id: nested}
            out["parents"] = nested
    if sub_list or sub_ids:
        sub = idm.resource.subtree(s, p.id)
        if sub_list:
            out["subtree"] = [{"project": views.project(call, x, [])} for x in sub if x.id in mine]
        else:
            def build(pid: str) -> Any:
                kids = [x for x in sub if x.parent_id == pid]
                return {k.id: build(k.id) for k in kids} or None
            out["subtree"] = build(p.id)


def get_project(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:get_project", lambda: idm.resource.get_project(s, call.params["project_id"]))
        enforce(call, "identity:get_project", _ptarget(p))
        out = views.project(call, p, idm.resource.tags(s, p.id))
        _hierarchy(call, s, p, out)
        return {"project": out}


def update_project(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:update_project", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:update_project", _ptarget(p))
        p = idm.resource.update_project(s, p.id, call.body["project"])
        out = {"project": views.project(call, p, idm.resource.tags(s, p.id))}
    idm.changed()
    return out


def delete_project(call: Call) -> Response:
    idm = deps(call).idm
    cascade = parse_bool(call.query.get("cascade"), "cascade") if "cascade" in call.query else False
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:delete_project", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:delete_project", _ptarget(p))
        idm.resource.delete_project(s, p.id, cascade=bool(cascade))
    idm.changed()
    return Response(status_code=204)


# ---- tags ---------------------------------------------------------------------------
def list_tags(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:list_project_tags", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:list_project_tags", _ptarget(p))
        return {"tags": idm.resource.tags(s, p.id)}


def replace_tags(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:update_project_tags", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:update_project_tags", _ptarget(p))
        idm.resource.update_project(s, p.id, {"tags": call.body["tags"]})
        return {"tags": idm.resource.tags(s, p.id)}


def delete_tags(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:delete_project_tags", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:delete_project_tags", _ptarget(p))
        idm.resource.update_project(s, p.id, {"tags": []})
    return Response(status_code=204)


def check_tag(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:get_project_tag", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:get_project_tag", _ptarget(p))
        if call.params["tag"] not in idm.resource.tags(s, p.id):
            from onestack.core.errors import NotFound
            raise NotFound(f"Tag {call.params['tag']} was not found.")
    return Response(status_code=204)


def add_tag(call: Call) -> Response:
    idm = deps(call).idm
    tag = call.params["tag"]
    if "/" in tag or "," in tag or len(tag) > 255:
        raise BadRequest(f"Invalid tag {tag!r}.")
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:create_project_tag", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:create_project_tag", _ptarget(p))
        idm.resource.add_tag(s, p.id, tag)
    # a header is latin-1: the tag goes percent-encoded
    return Response(status_code=201, headers={"Location": f"{views.v3(call)}/projects/{p.id}/tags/{quote(tag, safe='')}"})


def remove_tag(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        p = fetch_or_deny(call, "identity:delete_project_tag", lambda: idm.resource.get_project_or_domain(s, call.params["project_id"]))
        enforce(call, "identity:delete_project_tag", _ptarget(p))
        idm.resource.remove_tag(s, p.id, call.params["tag"])
    return Response(status_code=204)


ROUTES = [
    Route("GET", "/v3/domains", list_domains),
    Route("POST", "/v3/domains", create_domain, schema=schemas.domain_create, status=201),
    Route("GET", "/v3/domains/{domain_id}", get_domain),
    Route("PATCH", "/v3/domains/{domain_id}", update_domain, schema=schemas.domain_update),
    Route("DELETE", "/v3/domains/{domain_id}", delete_domain),
    Route("GET", "/v3/projects", list_projects),
    Route("POST", "/v3/projects", create_project, schema=schemas.project_create, status=201),
    Route("GET", "/v3/projects/{project_id}", get_project),
    Route("PATCH", "/v3/projects/{project_id}", update_project, schema=schemas.project_update),
    Route("DELETE", "/v3/projects/{project_id}", delete_project),
    Route("GET", "/v3/projects/{project_id}/tags", list_tags),
    Route("PUT", "/v3/projects/{project_id}/tags", replace_tags, schema=schemas.tags_update),
    Route("DELETE", "/v3/projects/{project_id}/tags", delete_tags),
    Route("GET", "/v3/projects/{project_id}/tags/{tag}", check_tag, extra_methods=("HEAD",)),
    Route("PUT", "/v3/projects/{project_id}/tags/{tag}", add_tag),
    Route("DELETE", "/v3/projects/{project_id}/tags/{tag}", remove_tag),
]
