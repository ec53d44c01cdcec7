"""/v3/OS-TRUST/trusts: create, list, show and delete trusts; the roles they delegate."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import Forbidden, NotFound
from onestack.core.web import Call, Route
from onestack.identity.api import views
from onestack.identity.api.deps import deps, enforce
from onestack.identity.manager.tokens import fmt_dt

_ROLE_REF = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
             "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 64},
                            "name": {"type": "string", "minLength": 1, "maxLength": 255}}}
trust_create = {
    "type": "object", "required": ["trust"], "additionalProperties": False,
    "properties": {"trust": {
        "type": "object", "additionalProperties": True,
        "required": ["trustor_user_id", "trustee_user_id", "impersonation"],
        "properties": {
            "trustor_user_id": {"type": "string"},
            "trustee_user_id": {"type": "string"},
            "impersonation": {"type": "boolean"},
            "project_id": {"type": ["string", "null"]},
            "remaining_uses": {"type": ["integer", "null"], "minimum": 1},
            "expires_at": {"type": ["string", "null"]},
            "allow_redelegation": {"type": ["boolean", "null"]},
            "redelegation_count": {"type": ["integer", "null"], "minimum": 0},
            "roles": {"type": "array", "items": _ROLE_REF},
        },
    }},
}


def _no_app_cred(call: Call) -> None:
    """Upstream: application credential tokens may not read or manage trusts."""
    if "application_credential" in call.ctx.methods:
        raise Forbidden("Using method 'application_credential' is not allowed for managing trusts.")


def _summary(call: Call, t: Any) -> dict[str, Any]:
    return {
        **(t.extra or {}), "id": t.id, "trustor_user_id": t.trustor_user_id,
        "trustee_user_id": t.trustee_user_id, "project_id": t.project_id,
        "impersonation": t.impersonation, "expires_at": fmt_dt(t.expires_at),
        "remaining_uses": t.remaining_uses, "redelegated_trust_id": t.redelegated_trust_id,
        "redelegation_count": t.redelegation_count, "deleted_at": None,
        "links": {"self": f"{views.v3(call)}/OS-TRUST/trusts/{t.id}"},
    }


def _full(call: Call, s: Any, t: Any) -> dict[str, Any]:
    out = _summary(call, t)
    out["roles"] = [views.role(call, r) for r in deps(call).idm.trusts.roles(s, t.id)]
    out["roles_links"] = {"self": f"{views.v3(call)}/OS-TRUST/trusts/{t.id}/roles", "previous": None, "next": None}
    return out


def _target(t: Any) -> dict[str, Any]:
    return {"trust": {"id": t.id, "trustor_user_id": t.trustor_user_id,
                      "trustee_user_id": t.trustee_user_id, "project_id": t.project_id}}


def list_trusts(call: Call) -> dict[str, Any]:
    trustor, trustee = call.query.get("trustor_user_id"), call.query.get("trustee_user_id")
    if trustor:
        enforce(call, "identity:list_trusts_for_trustor", {"trust": {"trustor_user_id": trustor}})
    elif trustee:
        enforce(call, "identity:list_trusts_for_trustee", {"trust": {"trustee_user_id": trustee}})
    else:
        enforce(call, "identity:list_trusts")
    _no_app_cred(call)
    idm = deps(call).idm
    with idm.db.session() as s:
        rows = idm.trusts.list(s, trustor=trustor, trustee=None if trustor else trustee)
        return views.collection(call, "trusts", [_summary(call, t) for t in rows])


def create_trust(call: Call) -> dict[str, Any]:
    body = call.body["trust"]
    enforce(call, "identity:create_trust", {"trust": body})
    _no_app_cred(call)
    idm = deps(call).idm
    with idm.db.session() as s:
        t = idm.trusts.create(s, call.ctx, body)
        return {"trust": _full(call, s, t)}


def get_trust(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        t = idm.trusts.get(s, call.params["trust_id"])  # 404 before 403, as upstream
        enforce(call, "identity:get_trust", _target(t))
        _no_app_cred(call)
        return {"trust": _full(call, s, t)}


def delete_trust(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        t = idm.trusts.get(s, call.params["trust_id"])
        enforce(call, "identity:delete_trust", _target(t))
        _no_app_cred(call)
        idm.trusts.delete(s, t.id)
    idm.changed()
    return Response(status_code=204)


def list_trust_roles(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        t = idm.trusts.get(s, call.params["trust_id"])
        enforce(call, "identity:list_roles_for_trust", _target(t))
        _no_app_cred(call)
        return {"roles": [views.role(call, r) for r in idm.trusts.roles(s, t.id)],
                "links": {"self": call.url_for_self(), "previous": None, "next": None}}


def get_trust_role(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        t = idm.trusts.get(s, call.params["trust_id"])
        enforce(call, "identity:get_role_for_trust", _target(t))
        _no_app_cred(call)
        role_id = call.params["role_id"]
        if role_id not in idm.trusts.role_ids(s, t.id):
            raise NotFound(f"Could not find role: {role_id}.")
        return {"role": views.role(call, idm.roles.get_role(s, role_id))}


ROUTES = [
    Route("GET", "/v3/OS-TRUST/trusts", list_trusts),
    Route("POST", "/v3/OS-TRUST/trusts", create_trust, schema=trust_create, status=201),
    Route("GET", "/v3/OS-TRUST/trusts/{trust_id}", get_trust),
    Route("DELETE", "/v3/OS-TRUST/trusts/{trust_id}", delete_trust),
    Route("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles", list_trust_roles),
    Route("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", get_trust_role, extra_methods=("HEAD",)),
]
