"""/v3/policies (OS-POLICY): CRUD of opaque policy blobs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.core.web import Call, Route
from onestack.identity.api import views
from onestack.identity.api.deps import deps, enforce

_PROPS = {"blob": {"type": "string"}, "type": {"type": "string", "maxLength": 255}}
policy_create = {"type": "object", "required": ["policy"], "properties": {"policy": {
    "type": "object", "properties": _PROPS, "required": ["blob", "type"], "additionalProperties": True}}}
policy_update = {"type": "object", "required": ["policy"], "properties": {"policy": {
    "type": "object", "properties": _PROPS, "minProperties": 1, "additionalProperties": True}}}


def _view(call: Call, p: Any) -> dict[str, Any]:
    return {**(p.extra or {}), "id": p.id, "type": p.type, "blob": p.blob,
            "links": {"self": f"{views.v3(call)}/policies/{p.id}"}}


def list_policies(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_policies")
    idm = deps(call).idm
    with idm.db.session() as s:
        return views.collection(call, "policies", [_view(call, p) for p in idm.policy_blobs.list(s, call.query)])


def create_policy(call: Call) -> dict[str, Any]:
    enforce(call, "identity:create_policy")
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"policy": _view(call, idm.policy_blobs.create(s, call.body["policy"]))}


def get_policy(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_policy")
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"policy": _view(call, idm.policy_blobs.get(s, call.params["policy_id"]))}


def update_policy(call: Call) -> dict[str, Any]:
    enforce(call, "identity:update_policy")
    body = call.body["policy"]
    if "id" in body and body["id"] != call.params["policy_id"]:
        raise BadRequest("Cannot change the ID of a policy.")
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"policy": _view(call, idm.policy_blobs.update(s, call.params["policy_id"], body))}


def delete_policy(call: Call) -> Response:
    enforce(call, "identity:delete_policy")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.policy_blobs.delete(s, call.params["policy_id"])
    return Response(status_code=204)


ROUTES = [
    Route("GET", "/v3/policies", list_policies),
    Route("POST", "/v3/policies", create_policy, schema=policy_create, status=201),
    Route("GET", "/v3/policies/{policy_id}", get_policy),
    Route("PATCH", "/v3/policies/{policy_id}", update_policy, schema=policy_update),
    Route("DELETE", "/v3/policies/{policy_id}", delete_policy),
]
