"""/snapshots: create, list, show, update, delete, admin actions (metadata:
``metadata.py``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.core.web import Call
from onestack.volume.api import views
from onestack.volume.api.deps import (
    admin_action,
    body_of,
    check_names,
    collection,
    list_query,
    mv,
    status_of,
    vm,
)
from onestack.volume.manager.snapshots import SORT_KEYS


def create(call: Call) -> dict[str, Any]:
    body = body_of(call, "snapshot")
    check_names(body)
    snap = vm(call).snapshots.create(call.ctx, body, allow_in_use=mv(call) >= (3, 66))
    return {"snapshot": views.snapshot(call, snap, detail=False)}


def _list(call: Call, detail: bool) -> dict[str, Any]:
    q = list_query(call, SORT_KEYS)
    if "metadata" in q.filters and mv(call) < (3, 22):
        q.filters.pop("metadata")
    snaps, count = vm(call).snapshots.list(call.ctx, q)
    return collection(call, "snapshots", [views.snapshot(call, s, detail) for s in snaps], snaps, q, count,
                      "snapshots/detail" if detail else "snapshots")


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
    check_names(body)
    snap = vm(call).snapshots.update(call.ctx, call.params["snapshot_id"], body)
    return {"snapshot": views.snapshot(call, snap, detail=False)}


def delete(call: Call) -> Response:
    vm(call).snapshots.delete(call.ctx, call.params["snapshot_id"])
    return Response(status_code=202)


def action(call: Call) -> Response:
    sid, snaps = call.params["snapshot_id"], vm(call).snapshots

    def update_status(arg: Any) -> None:
        snaps.update_status(call.ctx, sid, status_of(arg), arg.get("progress"))

    return admin_action(call, snaps, sid, {"os-update_snapshot_status": update_status})
