"""/backups: create (full or incremental), list, show, update (3.9), delete,
restore, admin actions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import NotFound
from onestack.core.web import Call, json_response
from onestack.volume.api import views
from onestack.volume.api.deps import (
    admin_action,
    body_of,
    check_string,
    collection,
    list_query,
    mv,
    vm,
)
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
        out = [views.backup(call, b, deps) for b in items]
    else:
        out = [views.backup_summary(call, b) for b in items]
    return collection(call, "backups", out, items, q, count, "backups/detail" if detail else "backups")


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
    r = body_of(call, "restore")
    volume_id, name = r.get("volume_id"), r.get("name")
    check_string(volume_id, "volume_id")
    check_string(name, "name")
    m = vm(call)
    out = m.backups.restore(call.ctx, call.params["backup_id"], volume_id, name, m.volumes)
    return json_response({"restore": out}, 202)


def action(call: Call) -> Response:
    return admin_action(call, vm(call).backups, call.params["backup_id"])


def export_record(call: Call) -> dict[str, Any]:
    return {"backup-record": vm(call).backups.export_record(call.ctx, call.params["backup_id"])}


def import_record(call: Call) -> Response:
    rec = body_of(call, "backup-record")
    b = vm(call).backups.import_record(call.ctx, rec.get("backup_service"), rec.get("backup_url"))
    return json_response({"backup": views.backup_summary(call, b)}, 201)
