"""The security-group proxy API (``/os-security-groups``, ``/os-security-group-rules``),
removed at 2.36, and ``/servers/{id}/os-security-groups``.  The groups live in
compute (``manager/secgroups.py``) until a network service owns them."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.servers import get_authorized
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call


def _proxy(call: Call) -> None:
    if d.mv(call) > (2, 35):
        raise NotFound("The resource could not be found.")


def _body(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"The request body must have a '{key}' object")
    return body[key]  # type: ignore[no-any-return]


def index(call: Call) -> dict[str, Any]:
    _proxy(call)
    d.authorize(call, "os-security-groups:get")
    all_tenants = call.query.get("all_tenants", "0").lower() in ("1", "true", "yes")
    groups = d.cm(call).secgroups.list(call.ctx, all_tenants=all_tenants)
    limit = d.qint(call, "limit")
    offset = d.qint(call, "offset") or 0
    groups = groups[offset:offset + limit if limit is not None else None]
    return {"security_groups": groups}


def show(call: Call) -> dict[str, Any]:
    _proxy(call)
    sg = d.cm(call).secgroups
    d.authorize(call, "os-security-groups:show", project_id=sg.project_of(call.ctx, call.params["group_id"]))
    return {"security_group": sg.get(call.ctx, call.params["group_id"])}


def create(call: Call) -> dict[str, Any]:
    _proxy(call)
    d.authorize(call, "os-security-groups:create")
    body = _body(call, "security_group")
    return {"security_group": d.cm(call).secgroups.create(call.ctx, body.get("name"), body.get("description"))}


def update(call: Call) -> dict[str, Any]:
    _proxy(call)
    sg = d.cm(call).secgroups
    d.authorize(call, "os-security-groups:update", project_id=sg.project_of(call.ctx, call.params["group_id"]))
    body = _body(call, "security_group")
    return {"security_group": sg.update(call.ctx, call.params["group_id"], body.get("name"),
                                        body.get("description"))}


def delete(call: Call) -> Response:
    _proxy(call)
    sg = d.cm(call).secgroups
    d.authorize(call, "os-security-groups:delete", project_id=sg.project_of(call.ctx, call.params["group_id"]))
    sg.delete(call.ctx, call.params["group_id"])
    return Response(status_code=202)


def rule_create(call: Call) -> dict[str, Any]:
    _proxy(call)
    d.authorize(call, "os-security-groups:rule:create")
    return {"security_group_rule": d.cm(call).secgroups.create_rule(call.ctx, _body(call, "security_group_rule"))}


def rule_delete(call: Call) -> Response:
    _proxy(call)
    d.authorize(call, "os-security-groups:rule:delete")
    d.cm(call).secgroups.delete_rule(call.ctx, call.params["rule_id"])
    return Response(status_code=202)


def server_index(call: Call) -> dict[str, Any]:
    inst = get_authorized(call, "os-security-groups:list")
    return {"security_groups": d.cm(call).secgroups.for_server(call.ctx, inst.uuid)}
