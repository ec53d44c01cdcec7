"""/backups: create (full or incremental), list, show, update (3.9), delete,
restore, admin actions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call, json_response
from onestack.volume.api import views
from onestack.volume.api.deps import body_of, check_string, list_query, mv, next_links, vm
from onestack.volume.manager.backups import SORT_KEYS


def create(call: Call) -> Response:
    body = body_of(call, "backup")
    check_string(body.get("name"), "name")
    check_string(body.get("description"), "description", 255)
    if mv(call) < (3, 51):
        body.pop("availability_zone", None)
    b = vm(call).backups.create(call.ctx, body, with_meta=mv(call) >= (3, 43))
    return json_response({"backup": views.backup_summary(call, b)}, 202)


def _list(call: Call, detail: bool) -> dict[str, Any]:
    keys = SORT_KEYS if mv(call) >= (3, 37) else tuple(k for k in SORT_KEYS if k != "name")
    q = list_query(call, keys)
    items, count = vm(call).backups.list(call.ctx, q)
    if detail:
        deps = vm(call).backups.has_dependents([b.id for b in items])
        out: dict[str, Any] = {"backups": [views.backup(call, b, deps) for b in items]}
    else:
        out = {"backups": [views.backup_summary(call, b) for b in items]}
    nl = next_links(call, "backups/detail" if detail else "backups", items, q)
    if nl:
        out["backups_links"] = nl
    if count is not None and mv(call) >= (3, 45):
        out["count"] = count
    return out


def index(call: Call) -> dict[str, Any]:
    return _list(call, False)


def detail(call: Call) -> dict[str, Any]:
    return _list(call, True)


def show(call: Call) -> dict[str, Any]:
    b = vm(call).backups.get(call.ctx, call.params["backup_id"])
    return {"backup": views.backup(call, b, vm(call).backups.has_dependents([b.id]))}


def update(call: Call) -> dict[str, Any]:
    if mv(call) < (3, 9):
        raise NotFound("The resource could not be found.")
    body = body_of(call, "backup")
    check_string(body.get("name"), "name")
    check_string(body.get("description"), "description", 255)
    if mv(call) < (3, 43):
        body.pop("metadata", None)
    b = vm(call).backups.update(call.ctx, call.params["backup_id"], body)
    return {"backup": views.backup_summary(call, b)}


def delete(call: Call) -> Response:
    vm(call).backups.delete(call.ctx, call.params["backup_id"])
    return Response(status_code=202)


def restore(call: Call) -> Response:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("restore"), dict):
        raise BadRequest("Missing required element 'restore' in request body.")
    r = body["restore"]
    volume_id, name = r.get("volume_id"), r.get("name")
    check_string(volume_id, "volume_id")
    check_string(name, "name")
    m = vm(call)
    out = m.backups.restore(call.ctx, call.params["backup_id"], volume_id, name, m.volumes)
    return json_response({"restore": out}, 202)


def action(call: Call) -> Response:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: exactly one action is expected.")
    (name, arg), = body.items()
    bid = call.params["backup_id"]
    if name == "os-reset_status":
        if not isinstance(arg, dict) or "status" not in arg:
            raise BadRequest("Must specify 'status'")
        vm(call).backups.reset_status(call.ctx, bid, arg["status"])
    elif name == "os-force_delete":
        vm(call).backups.delete(call.ctx, bid, force=True)
    else:
        raise BadRequest(f"There is no such action: {name}")
    return Response(status_code=202)


def export_record(call: Call) -> dict[str, Any]:
    return {"backup-record": vm(call).backups.export_record(call.ctx, call.params["backup_id"])}


def import_record(call: Call) -> Response:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("backup-record"), dict):
        raise BadRequest("Missing required element 'backup-record' in request body.")
    rec = body["backup-record"]
    b = vm(call).backups.import_record(call.ctx, rec.get("backup_service"), rec.get("backup_url"))
    return json_response({"backup": views.backup_summary(call, b)}, 201)
