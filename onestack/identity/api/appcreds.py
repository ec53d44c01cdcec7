"""Application credentials, access rules, and credentials."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from starlette.responses import Response

from onestack.core.errors import Forbidden, NotFound, Unauthorized
from onestack.core.web import Call, Route
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import deps, enforce, fetch_or_deny
from onestack.identity.models import ApplicationCredential, Role


def _owner(call: Call) -> dict[str, Any]:
    # every application credential and access rule call: upstream refuses trust-scoped
    # tokens (a credential derived from a trust would outlive the delegation)
    if call.ctx.trust_id:
        raise Forbidden("Cannot manage application credentials or access rules with a trust-scoped token.")
    return {"user_id": call.params["user_id"], "user": {"id": call.params["user_id"]}}


def _render(call: Call, s: Any, ac: Any) -> dict[str, Any]:
    idm = deps(call).idm
    roles = [r for r in (s.get(Role, i) for i in ac.role_ids) if r is not None]
    return views.app_cred(call, ac, roles, idm.appcreds.access_rules(s, ac.id))


def create_app_cred(call: Call) -> dict[str, Any]:
    enforce(call, "identity:create_application_credential", _owner(call))
    ctx = call.ctx
    if call.params["user_id"] != ctx.user_id:
        raise Forbidden("You may only create application credentials for yourself.")
    if ctx.application_credential_id:
        idm = deps(call).idm
        with idm.db.session() as s:
            parent = s.get(ApplicationCredential, ctx.application_credential_id)
            if parent is None or not parent.unrestricted:
                raise Forbidden("Using method 'application_credential' is not allowed for managing additional application credentials.")
    if not ctx.project_id:
        raise Forbidden("Application credentials need a project-scoped token.")
    idm = deps(call).idm
    available = [{"id": i, "name": n} for i, n in zip(ctx.role_ids, ctx.roles, strict=True)]
    with idm.db.session() as s:
        ac, secret = idm.appcreds.create(s, ctx.user_id or "", ctx.project_id, call.body["application_credential"], available)
        out = _render(call, s, ac)
    out["secret"] = secret
    return {"application_credential": out}


def list_app_creds(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_application_credentials", _owner(call))
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.users.get_user(s, call.params["user_id"])
        rows = idm.appcreds.list(s, call.params["user_id"], call.query.get("name"))
        return views.collection(call, "application_credentials", [_render(call, s, a) for a in rows])


def get_app_cred(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_application_credential", _owner(call))
    idm = deps(call).idm
    with idm.db.session() as s:
        ac = idm.appcreds.get(s, call.params["user_id"], call.params["app_cred_id"])
        return {"application_credential": _render(call, s, ac)}


def delete_app_cred(call: Call) -> Response:
    enforce(call, "identity:delete_application_credential", _owner(call))
    idm = deps(call).idm
    if call.ctx.application_credential_id:
        with idm.db.session() as s:
            parent = s.get(ApplicationCredential, call.ctx.application_credential_id)
            if parent is None or not parent.unrestricted:
                raise Forbidden("Using method 'application_credential' is not allowed for managing additional application credentials.")
    with idm.db.session() as s:
        idm.appcreds.delete(s, call.params["user_id"], call.params["app_cred_id"])
    idm.changed()
    return Response(status_code=204)


def list_access_rules(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_access_rules", _owner(call))
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.users.get_user(s, call.params["user_id"])
        rows = idm.appcreds.list_rules(s, call.params["user_id"])
        return views.collection(call, "access_rules", [views.access_rule(call, r) for r in rows])


def get_access_rule(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_access_rule", _owner(call))
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"access_rule": views.access_rule(call, idm.appcreds.get_rule(s, call.params["user_id"], call.params["rule_id"]))}


def delete_access_rule(call: Call) -> Response:
    enforce(call, "identity:delete_access_rule", _owner(call))
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.appcreds.delete_rule(s, call.params["user_id"], call.params["rule_id"])
    return Response(status_code=204)


# ---- credentials -------------------------------------------------------------------
def _cred(call: Call, c: Any) -> dict[str, Any]:
    idm = deps(call).idm
    return {**(c.extra or {}), "id": c.id, "user_id": c.user_id, "project_id": c.project_id,
            "type": c.type, "blob": idm.credentials.decrypt(c),
            "links": {"self": f"{views.v3(call)}/credentials/{c.id}"}}


def _ctarget(c: Any) -> dict[str, Any]:
    return {"credential": {"id": c.id, "user_id": c.user_id, "project_id": c.project_id}}


def list_credentials(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    policy = deps(call).policy
    q = dict(call.query)
    # upstream: outside system scope the listing is checked against the caller's own
    # credentials, then each credential against identity:get_credential
    own = None if call.ctx.system_scope else {"credential": {"user_id": call.ctx.user_id}}
    enforce(call, "identity:list_credentials", own)
    with idm.db.session() as s:
        rows = idm.credentials.list(s, q)
        visible = [c for c in rows if policy.check(call.ctx, "identity:get_credential", _ctarget(c), call.params)]
        return views.collection(call, "credentials", [_cred(call, c) for c in visible])


def create_credential(call: Call) -> dict[str, Any]:
    body = call.body["credential"]
    enforce(call, "identity:create_credential", {"credential": {"user_id": body["user_id"], "project_id": body.get("project_id")}})
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"credential": _cred(call, idm.credentials.create(s, body))}


def get_credential(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        c = fetch_or_deny(call, "identity:get_credential", lambda: idm.credentials.get(s, call.params["credential_id"]))
        enforce(call, "identity:get_credential", _ctarget(c))
        return {"credential": _cred(call, c)}


def update_credential(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        c = fetch_or_deny(call, "identity:update_credential", lambda: idm.credentials.get(s, call.params["credential_id"]))
        enforce(call, "identity:update_credential", _ctarget(c))
        # upstream: the credential as it would be after the change must pass too (no
        # handing a credential to another user or project)
        after = {**_ctarget(c)["credential"], **{k: v for k, v in call.body["credential"].items()
                                                 if k in ("user_id", "project_id")}}
        enforce(call, "identity:update_credential", {"credential": after})
        return {"credential": _cred(call, idm.credentials.update(s, c.id, call.body["credential"]))}


def delete_credential(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        c = fetch_or_deny(call, "identity:delete_credential", lambda: idm.credentials.get(s, call.params["credential_id"]))
        enforce(call, "identity:delete_credential", _ctarget(c))
        idm.credentials.delete(s, c.id)
    return Response(status_code=204)


# ---- EC2 credentials (OS-EC2): ec2 credentials addressed by their access key ----------
EC2_CREATE = {"type": "object", "properties": {"tenant_id": {"type": ["string", "null"]}}}


def _ec2(call: Call, c: Any) -> dict[str, Any]:
    blob = json.loads(deps(call).idm.credentials.decrypt(c))
    return {"user_id": c.user_id, "tenant_id": c.project_id, "access": blob.get("access"),
            "secret": blob.get("secret"), "trust_id": blob.get("trust_id"),
            "links": {"self": f"{views.v3(call)}/users/{c.user_id}/credentials/OS-EC2/{blob.get('access')}"}}


def _ec2_delegation_ok(call: Call, project_id: str | None) -> bool:
    """Upstream: a delegated token (application credential or trust) only reaches
    ec2 credentials of the project it is scoped to."""
    delegated = call.ctx.application_credential_id or call.ctx.trust_id
    return not delegated or project_id == call.ctx.project_id


def _ec2_cred(call: Call, s: Any) -> Any:
    from onestack.identity.models import Credential

    cid = hashlib.sha256(call.params["access"].encode()).hexdigest()
    c = s.get(Credential, cid)
    if c is None or c.user_id != call.params["user_id"]:
        raise NotFound(f"Could not find credential: {cid}.")
    if c.type != "ec2":
        raise Unauthorized("EC2 access key not found.")
    return c


def list_ec2(call: Call) -> dict[str, Any]:
    enforce(call, "identity:ec2_list_credentials")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.users.get_user(s, call.params["user_id"])
        rows = idm.credentials.list(s, {"user_id": call.params["user_id"], "type": "ec2"})
        return views.collection(call, "credentials", [_ec2(call, c) for c in rows if _ec2_delegation_ok(call, c.project_id)])


def create_ec2(call: Call) -> dict[str, Any]:
    user_id = call.params["user_id"]
    enforce(call, "identity:ec2_create_credential", {"credential": {"user_id": user_id}})
    idm = deps(call).idm
    tenant_id = (call.body or {}).get("tenant_id")
    with idm.db.session() as s:
        if call.ctx.application_credential_id:
            parent = s.get(ApplicationCredential, call.ctx.application_credential_id)
            if parent is None or not parent.unrestricted:
                raise Forbidden("Using method 'application_credential' is not allowed for managing additional application credentials.")
        idm.users.get_user(s, user_id)
        if not tenant_id:
            raise NotFound("Could not find project: None.")
        idm.resource.get_project(s, tenant_id)
        if not _ec2_delegation_ok(call, tenant_id):
            raise Forbidden("EC2 credential project does not match the project scope of the delegated token")
        blob = {"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex, "trust_id": call.ctx.trust_id}
        c = idm.credentials.create(s, {"user_id": user_id, "project_id": tenant_id, "type": "ec2",
                                       "blob": json.dumps(blob)})
        return {"credential": _ec2(call, c)}


def get_ec2(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.users.get_user(s, call.params["user_id"])
        c = _ec2_cred(call, s)
        enforce(call, "identity:ec2_get_credential", _ctarget(c))
        if not _ec2_delegation_ok(call, c.project_id):
            raise Forbidden("EC2 credential project does not match the project scope of the delegated token")
        return {"credential": _ec2(call, c)}


def delete_ec2(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.users.get_user(s, call.params["user_id"])
        c = _ec2_cred(call, s)
        enforce(call, "identity:ec2_delete_credential", _ctarget(c))
        if not _ec2_delegation_ok(call, c.project_id):
            raise Forbidden("EC2 credential project does not match the project scope of the delegated token")
        idm.credentials.delete(s, c.id)
    return Response(status_code=204)


ROUTES = [
    Route("GET", "/v3/users/{user_id}/credentials/OS-EC2", list_ec2),
    Route("POST", "/v3/users/{user_id}/credentials/OS-EC2", create_ec2, schema=EC2_CREATE, status=201, body_optional=True),
    Route("GET", "/v3/users/{user_id}/credentials/OS-EC2/{access}", get_ec2),
    Route("DELETE", "/v3/users/{user_id}/credentials/OS-EC2/{access}", delete_ec2),
    Route("GET", "/v3/users/{user_id}/application_credentials", list_app_creds),
    Route("POST", "/v3/users/{user_id}/application_credentials", create_app_cred, schema=schemas.app_cred_create, status=201),
    Route("GET", "/v3/users/{user_id}/application_credentials/{app_cred_id}", get_app_cred),
    Route("DELETE", "/v3/users/{user_id}/application_credentials/{app_cred_id}", delete_app_cred),
    Route("GET", "/v3/users/{user_id}/access_rules", list_access_rules),
    Route("GET", "/v3/users/{user_id}/access_rules/{rule_id}", get_access_rule),
    Route("DELETE", "/v3/users/{user_id}/access_rules/{rule_id}", delete_access_rule),
    Route("GET", "/v3/credentials", list_credentials),
    Route("POST", "/v3/credentials", create_credential, schema=schemas.credential_create, status=201),
    Route("GET", "/v3/credentials/{credential_id}", get_credential),
    Route("PATCH", "/v3/credentials/{credential_id}", update_credential, schema=schemas.credential_update),
    Route("DELETE", "/v3/credentials/{credential_id}", delete_credential),
]
