"""Roles, implied roles, grants (project, domain, system; OS-INHERIT) and
``GET /v3/role_assignments``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import NotFound
from onestack.core.web import Call, Route
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import deps, enforce
from onestack.identity.manager.roles import Grant
from onestack.identity.models import Group, Project, Role, User


def _rtarget(r: Role) -> dict[str, Any]:
    return {"role": {"id": r.id, "name": r.name, "domain_id": None if r.domain_id == "<<null>>" else r.domain_id}}


def _role_rule(r: Role, op: str) -> str:
    return f"identity:{op}_domain_role" if r.domain_id != "<<null>>" else f"identity:{op}_role"


def list_roles(call: Call) -> dict[str, Any]:
    rule = "identity:list_domain_roles" if call.query.get("domain_id") else "identity:list_roles"
    enforce(call, rule, {"domain_id": call.query["domain_id"]} if call.query.get("domain_id") else None)
    idm = deps(call).idm
    with idm.db.session() as s:
        rows, trunc = idm.roles.list_roles(s, call.query)
        return views.collection(call, "roles", [views.role(call, r) for r in rows], trunc)


def create_role(call: Call) -> dict[str, Any]:
    body = call.body["role"]
    rule = "identity:create_domain_role" if body.get("domain_id") else "identity:create_role"
    enforce(call, rule, {"role": {"domain_id": body.get("domain_id")}})
    idm = deps(call).idm
    with idm.db.session() as s:
        if body.get("domain_id"):
            idm.resource.get_domain(s, body["domain_id"])
        return {"role": views.role(call, idm.roles.create_role(s, body))}


def get_role(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        r = idm.roles.get_role(s, call.params["role_id"])
        enforce(call, _role_rule(r, "get"), _rtarget(r))
        return {"role": views.role(call, r)}


def update_role(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        r = idm.roles.get_role(s, call.params["role_id"])
        enforce(call, _role_rule(r, "update"), _rtarget(r))
        out = {"role": views.role(call, idm.roles.update_role(s, r.id, call.body["role"]))}
    idm.changed()
    return out


def delete_role(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        r = idm.roles.get_role(s, call.params["role_id"])
        enforce(call, _role_rule(r, "delete"), _rtarget(r))
        idm.roles.delete_role(s, r.id)
    idm.changed()
    return Response(status_code=204)


# ---- implied roles --------------------------------------------------------------------
def _inference(call: Call, prior: Role, implied: list[Role]) -> dict[str, Any]:
    return {"prior_role": views.role_ref(call, prior), "implies": [views.role_ref(call, r) for r in implied]}


def list_implied(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_implied_roles")
    idm = deps(call).idm
    with idm.db.session() as s:
        prior = idm.roles.get_role(s, call.params["prior_id"])
        ids = idm.roles.implications(s, prior.id).get(prior.id, [])
        implied = [idm.roles.get_role(s, i) for i in ids]
        return {"role_inference": _inference(call, prior, implied),
                "links": {"self": call.url_for_self()}}


def create_implied(call: Call) -> dict[str, Any]:
    enforce(call, "identity:create_implied_role")
    idm = deps(call).idm
    with idm.db.session() as s:
        prior, implied = idm.roles.create_implied(s, call.params["prior_id"], call.params["implied_id"])
        out = {"role_inference": {"prior_role": views.role_ref(call, prior), "implies": views.role_ref(call, implied)},
               "links": {"self": call.url_for_self()}}
    idm.changed()
    return out


def get_implied(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_implied_role")
    idm = deps(call).idm
    with idm.db.session() as s:
        prior, implied = idm.roles.get_implied(s, call.params["prior_id"], call.params["implied_id"])
        return {"role_inference": {"prior_role": views.role_ref(call, prior), "implies": views.role_ref(call, implied)},
                "links": {"self": call.url_for_self()}}


def check_implied(call: Call) -> Response:
    enforce(call, "identity:check_implied_role")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.roles.get_implied(s, call.params["prior_id"], call.params["implied_id"])
    return Response(status_code=204)


def delete_implied(call: Call) -> Response:
    enforce(call, "identity:delete_implied_role")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.roles.delete_implied(s, call.params["prior_id"], call.params["implied_id"])
    idm.changed()
    return Response(status_code=204)


def role_inferences(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_role_inference_rules")
    idm = deps(call).idm
    with idm.db.session() as s:
        out = []
        for prior_id, implied_ids in idm.roles.implications(s).items():
            prior = s.get(Role, prior_id)
            implied = [r for r in (s.get(Role, i) for i in implied_ids) if r is not None]
            if prior is not None:
                out.append(_inference(call, prior, implied))
        return {"role_inferences": out, "links": {"self": call.url_for_self()}}


# ---- grants -----------------------------------------------------------------------------
def _grant_target(call: Call, s: Any, actor: str, target: str) -> dict[str, Any]:
    p = call.params
    t: dict[str, Any] = {}
    if actor == "user":
        u = s.get(User, p["actor_id"]) if len(p["actor_id"]) <= 64 else None
        t["user"] = {"id": p["actor_id"], "domain_id": u.domain_id if u else None}
    else:
        g = s.get(Group, p["actor_id"]) if len(p["actor_id"]) <= 64 else None
        t["group"] = {"id": p["actor_id"], "domain_id": g.domain_id if g else None}
    if target == "project":
        pr = s.get(Project, p["target_id"]) if len(p["target_id"]) <= 64 else None
        t["project"] = {"id": p["target_id"], "domain_id": pr.domain_id if pr else None}
    elif target == "domain":
        t["domain"] = {"id": p["target_id"]}
    if "role_id" in p:
        r = s.get(Role, p["role_id"]) if len(p["role_id"]) <= 64 else None
        t["role"] = {"id": p["role_id"], "name": r.name if r else None,
                     "domain_id": (None if r.domain_id == "<<null>>" else r.domain_id) if r else None}
    return t


def _grant_routes(prefix: str, actor: str, target: str, inherited: bool) -> list[Route]:
    tgt_id = "all" if target == "system" else None

    def params(call: Call) -> tuple[str, str]:
        return call.params["actor_id"], tgt_id or call.params["target_id"]

    def rule(op: str) -> str:
        grant = "grants" if op == "list" else "grant"
        if target == "system":
            return f"identity:{op}_system_{grant}_for_{actor}"
        return f"identity:{op}_{grant}"

    def put(call: Call) -> Response:
        idm = deps(call).idm
        with idm.db.session() as s:
            enforce(call, rule("create"), _grant_target(call, s, actor, target))
            a, t = params(call)
            idm.roles.grant(s, actor, a, target, t, call.params["role_id"], inherited)
        idm.changed()
        return Response(status_code=204)

    def check(call: Call) -> Response:
        idm = deps(call).idm
        with idm.db.session() as s:
            enforce(call, rule("check"), _grant_target(call, s, actor, target))
            a, t = params(call)
            idm.roles.check(s, actor, a, target, t, call.params["role_id"], inherited)
        return Response(status_code=204)

    def delete(call: Call) -> Response:
        idm = deps(call).idm
        with idm.db.session() as s:
            enforce(call, rule("revoke"), _grant_target(call, s, actor, target))
            a, t = params(call)
            idm.roles.revoke(s, actor, a, target, t, call.params["role_id"], inherited)
        idm.changed()
        return Response(status_code=204)

    def listing(call: Call) -> dict[str, Any]:
        idm = deps(call).idm
        with idm.db.session() as s:
            enforce(call, rule("list"), _grant_target(call, s, actor, target))
            a, t = params(call)
            roles = idm.roles.list_grants(s, actor, a, target, t, inherited)
            return views.collection(call, "roles", [views.role(call, r) for r in roles])

    tpath = prefix.format(actor=f"{actor}s")
    suffix = "/inherited_to_projects" if inherited else ""
    return [
        Route("GET", f"{tpath}/roles{suffix}", listing),
        Route("PUT", f"{tpath}/roles/{{role_id}}{suffix}", put),
        Route("GET", f"{tpath}/roles/{{role_id}}{suffix}", check, extra_methods=("HEAD",)),
        Route("DELETE", f"{tpath}/roles/{{role_id}}{suffix}", delete),
    ]


GRANT_ROUTES: list[Route] = []
for _actor in ("user", "group"):
    GRANT_ROUTES += _grant_routes("/v3/projects/{{target_id}}/{actor}/{{actor_id}}", _actor, "project", False)
    GRANT_ROUTES += _grant_routes("/v3/domains/{{target_id}}/{actor}/{{actor_id}}", _actor, "domain", False)
    GRANT_ROUTES += _grant_routes("/v3/system/{actor}/{{actor_id}}", _actor, "system", False)
    GRANT_ROUTES += _grant_routes("/v3/OS-INHERIT/domains/{{target_id}}/{actor}/{{actor_id}}", _actor, "domain", True)
    GRANT_ROUTES += _grant_routes("/v3/OS-INHERIT/projects/{{target_id}}/{actor}/{{actor_id}}", _actor, "project", True)


# ---- role assignments ---------------------------------------------------------------
def _assignment(call: Call, g: Grant, names: dict[str, Any] | None) -> dict[str, Any]:
    base = views.v3(call)
    out: dict[str, Any] = {"role": {"id": g.role_id}}
    scope: dict[str, Any] = {}
    if g.project_id:
        scope["project"] = {"id": g.project_id}
    elif g.domain_id:
        scope["domain"] = {"id": g.domain_id}
    else:
        scope["system"] = {"all": True}
    if g.inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
    out["scope"] = scope
    if g.user_id:
        out["user"] = {"id": g.user_id}
    else:
        out["group"] = {"id": g.group_id}
    actor = f"users/{g.user_id}" if g.user_id else f"groups/{g.group_id}"
    if g.project_id:
        where = f"projects/{g.project_id}"
    elif g.domain_id:
        where = f"domains/{g.domain_id}"
    else:
        where = "system"
    prefix = "OS-INHERIT/" if g.inherited else ""
    link = f"{base}/{prefix}{where}/{actor}/roles/{g.role_id}" + ("/inherited_to_projects" if g.inherited else "")
    out["links"] = {"assignment": link}
    if g.via_group_id:
        out["links"]["membership"] = f"{base}/groups/{g.via_group_id}/users/{g.user_id}"
    if names is not None:
        _add_names(out, names)
    return out


def _add_names(out: dict[str, Any], names: dict[str, Any]) -> None:
    def dom(did: str | None) -> dict[str, Any]:
        d = names.get(did or "")
        return {"id": did, "name": d.name if d else None}

    r = names.get(out["role"]["id"])
    if r is not None:
        out["role"]["name"] = r.name
        if r.domain_id != "<<null>>":
            out["role"]["domain"] = dom(r.domain_id)
    for key in ("user", "group"):
        if key in out:
            o = names.get(out[key]["id"])
            if o is not None:
                out[key].update(name=o.name, domain=dom(o.domain_id))
    sc = out["scope"]
    if "project" in sc:
        p = names.get(sc["project"]["id"])
        if p is not None:
            sc["project"].update(name=p.name, domain=dom(p.domain_id))
    if "domain" in sc:
        d = names.get(sc["domain"]["id"])
        if d is not None:
            sc["domain"]["name"] = d.name


def role_assignments(call: Call) -> dict[str, Any]:
    q = dict(call.query)
    target: dict[str, Any] = {}
    if "scope.domain.id" in q:
        target["domain_id"] = q["scope.domain.id"]
    idm = deps(call).idm
    with idm.db.session() as s:
        if "scope.project.id" in q:
            pr = s.get(Project, q["scope.project.id"]) if len(q["scope.project.id"]) <= 64 else None
            target["project"] = {"id": q["scope.project.id"], "domain_id": pr.domain_id if pr else None}
            if pr is not None:
                target["project_id"] = pr.id
                target.setdefault("domain_id", pr.domain_id)
        tree = "include_subtree" in q
        if tree and "scope.project.id" in q and "project_id" not in target:
            # upstream looks the project up to build the target: an unknown one is a 404
            raise NotFound(f"Could not find project: {q['scope.project.id']}.")
        rule = "identity:list_role_assignments_for_tree" if tree else "identity:list_role_assignments"
        own = None if tree else call.ctx.domain_id
        if own:  # upstream: a domain-scoped caller is checked against, and sees, its own domain only
            target = {"domain_id": own}
        enforce(call, rule, target or None)
        grants = idm.roles.list_assignments(s, q)
        if own:
            in_domain = {pid for (pid,) in s.query(Project.id).filter(Project.domain_id == own)}
            grants = [g for g in grants if g.domain_id == own or g.project_id in in_domain]
        names: dict[str, Any] | None = None
        if "include_names" in q and q.get("include_names", "true").lower() not in ("0", "false"):
            names = {}
            ids = {x for g in grants for x in (g.role_id, g.user_id, g.group_id, g.project_id, g.domain_id) if x}
            for model in (Role, User, Group, Project):
                for o in s.query(model).filter(model.id.in_(ids)):
                    names[o.id] = o
            for o in list(names.values()):
                did = getattr(o, "domain_id", None)
                if did and did not in names:
                    d = s.get(Project, did)
                    if d is not None:
                        names[did] = d
        return views.collection(call, "role_assignments", [_assignment(call, g, names) for g in grants])


ROUTES = [
    Route("GET", "/v3/roles", list_roles),
    Route("POST", "/v3/roles", create_role, schema=schemas.role_create, status=201),
    Route("GET", "/v3/roles/{role_id}", get_role),
    Route("PATCH", "/v3/roles/{role_id}", update_role, schema=schemas.role_update),
    Route("DELETE", "/v3/roles/{role_id}", delete_role),
    Route("GET", "/v3/roles/{prior_id}/implies", list_implied),
    Route("PUT", "/v3/roles/{prior_id}/implies/{implied_id}", create_implied, status=201),
    Route("GET", "/v3/roles/{prior_id}/implies/{implied_id}", get_implied),
    Route("HEAD", "/v3/roles/{prior_id}/implies/{implied_id}", check_implied),
    Route("DELETE", "/v3/roles/{prior_id}/implies/{implied_id}", delete_implied),
    Route("GET", "/v3/role_inferences", role_inferences),
    Route("GET", "/v3/role_assignments", role_assignments),
    *GRANT_ROUTES,
]
