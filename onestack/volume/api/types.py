"""/types (+ extra specs, access, encryption) and /qos-specs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound, NotImplementedYet
from onestack.core.web import Call, json_response
from onestack.volume.api import views
from onestack.volume.api.deps import action_of, body_of, links, member_of, vm
from onestack.volume.manager.listing import parse_query


def index(call: Call) -> dict[str, Any]:
    q = parse_query([(k, v) for k, v in call.query.multi_items() if k not in ("is_public", "extra_specs")],
                    ("id", "name", "created_at", "description"))
    if not any(k in call.query for k in ("sort", "sort_key", "sort_dir")):
        q.sort = [("created_at", "asc")]
    filters = {k: v for k, v in call.query.items() if k == "extra_specs"}
    types = vm(call).types.list(call.ctx, call.query.get("is_public"), filters, q.sort)
    if q.marker:
        ids = [t.id for t in types]
        if q.marker not in ids:
            raise NotFound(f"Marker {q.marker} could not be found.")
        types = types[ids.index(q.marker) + 1:]
    types = types[q.offset:]
    if q.limit is not None:
        types = types[:q.limit]
    return {"volume_types": [views.volume_type(call, t) for t in types]}


def show(call: Call) -> dict[str, Any]:
    return {"volume_type": views.volume_type(call, vm(call).types.get(call.ctx, call.params["type_id"]))}


def create(call: Call) -> dict[str, Any]:
    body = body_of(call, "volume_type")
    return {"volume_type": views.volume_type(call, vm(call).types.create(call.ctx, body), "create")}


def update(call: Call) -> dict[str, Any]:
    body = body_of(call, "volume_type")
    if not set(body) & {"name", "description", "is_public", "os-volume-type-access:is_public"}:
        raise BadRequest("Specify volume type name, description, is_public or a combination thereof.")
    t = vm(call).types.update(call.ctx, call.params["type_id"], body)
    return {"volume_type": views.volume_type(call, t, "update")}


def delete(call: Call) -> Response:
    vm(call).types.delete(call.ctx, call.params["type_id"])
    return Response(status_code=202)


def extra_specs(call: Call) -> dict[str, Any]:
    return {"extra_specs": vm(call).types.extra_specs(call.ctx, call.params["type_id"])}


def extra_specs_create(call: Call) -> dict[str, Any]:
    specs = vm(call).types.set_extra_specs(call.ctx, call.params["type_id"], member_of(call, "extra_specs"))
    return {"extra_specs": specs}


def extra_spec_show(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    specs = vm(call).types.extra_specs(call.ctx, call.params["type_id"])
    if key not in specs:
        raise NotFound(f"Volume Type {call.params['type_id']} has no extra specs with key {key}.")
    return {key: specs[key]}


def extra_spec_update(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Request body contains too many items.")
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    vm(call).types.set_extra_specs(call.ctx, call.params["type_id"], body)
    return dict(body)


def extra_spec_delete(call: Call) -> Response:
    vm(call).types.delete_extra_spec(call.ctx, call.params["type_id"], call.params["key"])
    return Response(status_code=202)


def access_list(call: Call) -> dict[str, Any]:
    tid = call.params["type_id"]
    return {"volume_type_access": [{"volume_type_id": tid, "project_id": p}
                                   for p in vm(call).types.access(call.ctx, tid)]}


def action(call: Call) -> Response:
    name, arg = action_of(call)
    if name not in ("addProjectAccess", "removeProjectAccess"):
        raise BadRequest(f"There is no such action: {name}")
    if not isinstance(arg, dict) or "project" not in arg:
        raise BadRequest("Missing required element 'project' in request body.")
    if name == "addProjectAccess":
        vm(call).types.add_access(call.ctx, call.params["type_id"], arg["project"])
    else:
        vm(call).types.remove_access(call.ctx, call.params["type_id"], arg["project"])
    return Response(status_code=202)


# ---- encryption: not supported, said so honestly ------------------------------------------------------
def encryption_show(call: Call) -> dict[str, Any]:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:volume_type_encryption:get")
    m.types.get(call.ctx, call.params["type_id"])
    return {}


def encryption_spec(call: Call) -> dict[str, Any]:
    encryption_show(call)
    raise NotFound(f"Volume type encryption for type {call.params['type_id']} does not exist.")


def encryption_create(call: Call) -> Response:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:volume_type_encryption:create")
    m.types.get(call.ctx, call.params["type_id"])
    raise NotImplementedYet("Volume encryption is not supported by this cloud (no key manager).")


def encryption_update(call: Call) -> Response:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:volume_type_encryption:update")
    m.types.get(call.ctx, call.params["type_id"])
    raise NotFound(f"Volume type encryption for type {call.params['type_id']} does not exist.")


def encryption_delete(call: Call) -> Response:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:volume_type_encryption:delete")
    m.types.get(call.ctx, call.params["type_id"])
    raise NotFound(f"Volume type encryption for type {call.params['type_id']} does not exist.")


# ---- QoS specs -----------------------------------------------------------------------------------------
def qos_index(call: Call) -> dict[str, Any]:
    return {"qos_specs": [views.qos(call, q) for q in vm(call).qos.list(call.ctx)]}


def qos_create(call: Call) -> dict[str, Any]:
    body = body_of(call, "qos_specs")
    q = vm(call).qos.create(call.ctx, body)
    return {"qos_specs": views.qos(call, q), "links": links(call, "qos-specs", q.id)}


def qos_show(call: Call) -> dict[str, Any]:
    q = vm(call).qos.get(call.ctx, call.params["qos_id"])
    return {"qos_specs": views.qos(call, q), "links": links(call, "qos-specs", q.id)}


def qos_update(call: Call) -> dict[str, Any]:
    body = body_of(call, "qos_specs")
    return {"qos_specs": vm(call).qos.update(call.ctx, call.params["qos_id"], body)}


def qos_delete(call: Call) -> Response:
    from onestack.volume.manager.common import parse_bool

    force = parse_bool(call.query.get("force", "false"), "force")
    vm(call).qos.delete(call.ctx, call.params["qos_id"], force)
    return Response(status_code=202)


def qos_delete_keys(call: Call) -> Response:
    body = call.body
    if not isinstance(body, dict) or "keys" not in body:
        raise BadRequest("Missing required element 'keys' in request body.")
    vm(call).qos.delete_keys(call.ctx, call.params["qos_id"], body["keys"])
    return Response(status_code=202)


def qos_associations(call: Call) -> dict[str, Any]:
    types = vm(call).qos.associations(call.ctx, call.params["qos_id"])
    return {"qos_associations": [{"association_type": "volume_type", "name": t.name, "id": t.id}
                                 for t in types]}


def qos_associate(call: Call) -> Response:
    vm(call).qos.associate(call.ctx, call.params["qos_id"], call.query.get("vol_type_id"))
    return Response(status_code=202)


def qos_disassociate(call: Call) -> Response:
    vm(call).qos.disassociate(call.ctx, call.params["qos_id"], call.query.get("vol_type_id"))
    return Response(status_code=202)


def qos_disassociate_all(call: Call) -> Response:
    vm(call).qos.disassociate_all(call.ctx, call.params["qos_id"])
    return Response(status_code=202)


__all__ = ["json_response"]
