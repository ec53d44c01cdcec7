"""/snapshots: create, list, show, update, delete, metadata, admin actions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call
from onestack.volume.api import views
from onestack.volume.api.deps import body_of, check_string, list_query, mv, next_links, vm
from onestack.volume.manager.snapshots import SORT_KEYS


def create(call: Call) -> dict[str, Any]:
    body = body_of(call, "snapshot")
    for k in ("name", "display_name"):
        check_string(body.get(k), k)
    check_string(body.get("description"), "description", 65535)
    snap = vm(call).snapshots.create(call.ctx, body, allow_in_use=mv(call) >= (3, 66))
    return {"snapshot": views.snapshot(call, snap, detail=False)}


def _list(call: Call, detail: bool) -> dict[str, Any]:
    q = list_query(call, SORT_KEYS)
    if "metadata" in q.filters and mv(call) < (3, 22):
        q.filters.pop("metadata")
    snaps, count = vm(call).snapshots.list(call.ctx, q)
    out: dict[str, Any] = {"snapshots": [views.snapshot(call, s, detail) for s in snaps]}
    nl = next_links(call, "snapshots/detail" if detail else "snapshots", snaps, q)
    if nl:
        out["snapshots_links"] = nl
    if count is not None and mv(call) >= (3, 45):
        out["count"] = count
    return out


def index(call: Call) -> dict[str, Any]:
    return _list(call, False)


def detail(call: Call) -> dict[str, Any]:
    return _list(call, True)


def show(call: Call) -> dict[str, Any]:
    return {"snapshot": views.snapshot(call, vm(call).snapshots.get(call.ctx, call.params["snapshot_id"]))}


def update(call: Call) -> dict[str, Any]:
    body = body_of(call, "snapshot")
    if not set(body) & {"name", "description", "display_name", "display_description"}:
        raise BadRequest("Invalid input: name or description must be given.")
    for k in ("name", "display_name"):
        check_string(body.get(k), k)
    check_string(body.get("description"), "description", 65535)
    snap = vm(call).snapshots.update(call.ctx, call.params["snapshot_id"], body)
    return {"snapshot": views.snapshot(call, snap, detail=False)}


def delete(call: Call) -> Response:
    vm(call).snapshots.delete(call.ctx, call.params["snapshot_id"])
    return Response(status_code=202)


def action(call: Call) -> Response:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: exactly one action is expected.")
    (name, arg), = body.items()
    sid = call.params["snapshot_id"]
    if name == "os-reset_status":
        if not isinstance(arg, dict) or "status" not in arg:
            raise BadRequest("Must specify 'status'")
        vm(call).snapshots.reset_status(call.ctx, sid, arg["status"])
    elif name == "os-force_delete":
        vm(call).snapshots.delete(call.ctx, sid, force=True)
    elif name == "os-update_snapshot_status":
        if not isinstance(arg, dict) or "status" not in arg:
            raise BadRequest("Must specify 'status'")
        vm(call).snapshots.update_status(call.ctx, sid, arg["status"], arg.get("progress"))
    else:
        raise BadRequest(f"There is no such action: {name}")
    return Response(status_code=202)


# ---- metadata --------------------------------------------------------------------------------------
def _meta(call: Call, key: str = "metadata") -> Any:
    body = call.body
    if not isinstance(body, dict) or key not in body:
        raise BadRequest(f"Malformed request body: '{key}' is required.")
    return body[key]


def metadata_show(call: Call) -> dict[str, Any]:
    return {"metadata": vm(call).snapshots.get_metadata(call.ctx, call.params["snapshot_id"])}


def metadata_create(call: Call) -> dict[str, Any]:
    return {"metadata": vm(call).snapshots.set_metadata(call.ctx, call.params["snapshot_id"], _meta(call),
                                                        replace=False)}


def metadata_replace(call: Call) -> dict[str, Any]:
    return {"metadata": vm(call).snapshots.set_metadata(call.ctx, call.params["snapshot_id"], _meta(call),
                                                        replace=True)}


def metadata_item_show(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    meta = vm(call).snapshots.get_metadata(call.ctx, call.params["snapshot_id"])
    if key not in meta:
        raise NotFound(f"Snapshot {call.params['snapshot_id']} has no metadata with key {key}.")
    return {"meta": {key: meta[key]}}


def metadata_item_update(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    meta = _meta(call, "meta")
    if not isinstance(meta, dict) or len(meta) != 1:
        raise BadRequest("Malformed request body: 'meta' must hold exactly one item.")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    vm(call).snapshots.set_metadata(call.ctx, call.params["snapshot_id"], meta, replace=False)
    return {"meta": meta}


def metadata_item_delete(call: Call) -> Response:
    vm(call).snapshots.delete_metadata_item(call.ctx, call.params["snapshot_id"], call.params["key"])
    return Response(status_code=200)
