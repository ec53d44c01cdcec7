"""/v3/auth/*: tokens (issue, validate, check, revoke), the catalog, what a token
may scope to; and the v2.0 token call older clients use."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.core.web import Call, Route, json_response
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import deps, enforce
from onestack.identity.manager.common import parse_bool
from onestack.identity.manager.tokens import fmt_time
from onestack.identity.models import Project


def _issue(call: Call) -> Response:
    d = deps(call)
    token, v = d.idm.tokens.issue(call.body["auth"])
    nocatalog = "nocatalog" in call.query
    body = d.idm.tokens.with_catalog(v, nocatalog)
    return json_response(body, 201, {"X-Subject-Token": token})


async def issue_token(call: Call) -> Response:
    """Password and application-credential checks cost a bcrypt hash: they run in
    the thread pool.  Rescoping a token is a few cached lookups: done on the loop."""
    identity = call.body["auth"].get("identity")
    if isinstance(identity, dict) and identity.get("methods") == ["token"]:
        return _issue(call)
    return await run_in_threadpool(_issue, call)


async def validate_token(call: Call) -> Response:
    d = deps(call)
    subject = call.headers.get("x-subject-token")
    if not subject:
        raise NotFound("Could not find token: X-Subject-Token header missing.")
    allow_expired = parse_bool(call.query.get("allow_expired"), "allow_expired") or False
    # upstream: HEAD is identity:check_token (no service role), GET identity:validate_token
    rule = "identity:check_token" if call.request.method == "HEAD" else "identity:validate_token"
    try:
        v = d.idm.tokens.validate(subject, allow_expired=allow_expired)
    except NotFound:  # upstream reads the subject token before the policy check: a 404
        raise NotFound(f"Could not find token: {subject}") from None
    enforce(call, rule, {"token": {"user_id": v.payload["user_id"]}})
    body = d.idm.tokens.with_catalog(v, "nocatalog" in call.query)
    return json_response(body, 200, {"X-Subject-Token": subject})


def revoke_token(call: Call) -> Response:
    d = deps(call)
    subject = call.headers.get("x-subject-token")
    if not subject:
        raise NotFound("Could not find token: X-Subject-Token header missing.")
    try:
        v = d.idm.tokens.validate(subject)
    except NotFound:
        raise NotFound(f"Could not find token: {subject}") from None
    enforce(call, "identity:revoke_token", {"token": {"user_id": v.payload["user_id"]}})
    with d.idm.db.session() as s:
        d.idm.tokens.revoke(s, audit_id=v.payload["audit_ids"][0])
    return Response(status_code=204)


def auth_catalog(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_auth_catalog")
    if not call.ctx.project_id:  # upstream: only a project-scoped token has one here
        raise Forbidden("A project-scoped token is required to produce a service catalog.")
    cat = deps(call).idm.catalog_for(call.ctx.project_id)
    return {"catalog": cat, "links": {"self": call.url_for_self(), "previous": None, "next": None}}


def auth_projects(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_auth_projects")
    idm = deps(call).idm
    with idm.db.session() as s:
        ids = idm.roles.project_ids_for_user(s, call.ctx.user_id or "")
        projects, _ = idm.resource.list_projects(s, {"enabled": "true"}, only_ids=ids)
        tags = idm.resource.tags_for(s, [p.id for p in projects])
        return views.collection(call, "projects", [views.project(call, p, tags[p.id]) for p in projects])


def auth_domains(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_auth_domains")
    idm = deps(call).idm
    with idm.db.session() as s:
        ids = idm.roles.domain_ids_for_user(s, call.ctx.user_id or "")
        doms = [s.get(Project, i) for i in sorted(ids)]
        return views.collection(call, "domains", [views.domain(call, x, []) for x in doms if x is not None and x.enabled])


def auth_system(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_auth_system")
    idm = deps(call).idm
    with idm.db.session() as s:
        has = bool(idm.roles.direct_role_ids(s, call.ctx.user_id or "", system=True))
    return {"system": [{"all": True}] if has else [], "links": {"self": call.url_for_self(), "previous": None, "next": None}}


# ---- v2.0 -------------------------------------------------------------------------
def v2_tokens(call: Call) -> Response:
    """POST /v2.0/tokens: users and projects of the default domain, as older clients expect."""
    idm = deps(call).idm
    a = call.body["auth"]
    identity: dict[str, Any]
    if "passwordCredentials" in a:
        pc = a["passwordCredentials"]
        user: dict[str, Any] = {"password": pc["password"]}
        if "userId" in pc:
            user["id"] = pc["userId"]
        elif "username" in pc:
            user.update(name=pc["username"], domain={"id": "default"})
        else:
            raise BadRequest("Invalid input: passwordCredentials needs username or userId.")
        identity = {"methods": ["password"], "password": {"user": user}}
    elif "token" in a:
        identity = {"methods": ["token"], "token": {"id": a["token"]["id"]}}
    else:
        raise BadRequest("Invalid input: auth needs passwordCredentials or token.")
    scope: Any = None
    if "tenantId" in a:
        scope = {"project": {"id": a["tenantId"]}}
    elif "tenantName" in a:
        scope = {"project": {"name": a["tenantName"], "domain": {"id": "default"}}}
    auth: dict[str, Any] = {"identity": identity}
    if scope:
        auth["scope"] = scope
    else:
        auth["scope"] = "unscoped"
    token_id, v = idm.tokens.issue(auth)
    t = v.body["token"]
    token: dict[str, Any] = {
        "id": token_id, "expires": fmt_time(v.payload["expires_at"])[:19] + "Z",
        "issued_at": fmt_time(v.payload["issued_at"]), "audit_ids": t["audit_ids"],
    }
    access: dict[str, Any] = {"token": token, "serviceCatalog": [], "metadata": {"is_admin": 0, "roles": []}}
    if "project" in t:
        token["tenant"] = {"id": t["project"]["id"], "name": t["project"]["name"], "enabled": True, "description": None}
        cat = []
        for svc in idm.catalog_for(t["project"]["id"]):
            by_region: dict[str, dict[str, Any]] = {}
            for ep in svc["endpoints"]:
                entry = by_region.setdefault(ep["region_id"] or "", {"region": ep["region_id"], "id": ep["id"]})
                entry[f"{ep['interface']}URL"] = ep["url"]
            cat.append({"type": svc["type"], "name": svc["name"], "endpoints": list(by_region.values()),
                        "endpoints_links": []})
        access["serviceCatalog"] = cat
        access["metadata"]["roles"] = [r["id"] for r in t.get("roles", [])]
        access["metadata"]["is_admin"] = 0
    access["user"] = {"id": t["user"]["id"], "name": t["user"]["name"], "username": t["user"]["name"],
                      "roles": [{"name": r["name"]} for r in t.get("roles", [])], "roles_links": []}
    return json_response({"access": access}, 200)


ROUTES = [
    Route("POST", "/v3/auth/tokens", issue_token, schema=schemas.auth_tokens, public=True, status=201),
    Route("GET", "/v3/auth/tokens", validate_token, extra_methods=("HEAD",)),
    Route("DELETE", "/v3/auth/tokens", revoke_token),
    Route("GET", "/v3/auth/catalog", auth_catalog),
    Route("GET", "/v3/auth/projects", auth_projects),
    Route("GET", "/v3/auth/domains", auth_domains),
    Route("GET", "/v3/auth/system", auth_system),
    Route("POST", "/v2.0/tokens", v2_tokens, schema=schemas.v2_tokens, public=True),
]
