"""/volumes: create, list (summary and detail), show, update, delete, summary
(metadata: ``metadata.py``; actions: ``volume_actions.py``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call
from onestack.volume.api import views
from onestack.volume.api.deps import (
    body_of,
    check_names,
    check_string,
    collection,
    list_query,
    mv,
    vm,
)
from onestack.volume.manager.common import parse_bool
from onestack.volume.manager.volumes import SORT_KEYS

_CREATE_KEYS = {"size", "name", "description", "display_name", "display_description", "volume_type",
                "availability_zone", "metadata", "snapshot_id", "source_volid", "imageRef", "image_id",
                "backup_id", "multiattach", "consistencygroup_id", "group_id", "source_replica",
                "scheduler_hints", "OS-SCH-HNT:scheduler_hints"}


def create(call: Call) -> dict[str, Any]:
    body = body_of(call, "volume")
    for k in ("name", "display_name", "volume_type", "availability_zone", "snapshot_id", "source_volid",
              "imageRef", "image_id", "backup_id"):
        check_string(body.get(k), k)
    check_string(body.get("description"), "description", 65535)
    if mv(call) >= (3, 53):
        extra = set(body) - _CREATE_KEYS
        if extra:
            raise BadRequest(f"Invalid input for field/attribute volume. Additional properties are not allowed "
                             f"({', '.join(sorted(extra))} were unexpected)")
    if mv(call) < (3, 47) and body.get("backup_id"):
        raise BadRequest("Invalid input: backup_id requires microversion 3.47.")
    v = vm(call).volumes.create(call.ctx, body)
    return {"volume": views.volume_detail(call, v, extended=False)}


def _list(call: Call, detail: bool) -> dict[str, Any]:
    q = list_query(call, SORT_KEYS)
    vols, count = vm(call).volumes.list(call.ctx, q)
    items = views.volumes_detail(call, vols) if detail else [views.volume_summary(call, v) for v in vols]
    return collection(call, "volumes", items, vols, q, count, "volumes/detail" if detail else "volumes")


def index(call: Call) -> dict[str, Any]:
    return _list(call, False)


def detail(call: Call) -> dict[str, Any]:
    return _list(call, True)


def show(call: Call) -> dict[str, Any]:
    v = vm(call).volumes.get(call.ctx, call.params["volume_id"])
    return {"volume": views.volume_detail(call, v)}


def update(call: Call) -> dict[str, Any]:
    body = body_of(call, "volume")
    allowed = {"name", "description", "display_name", "display_description", "metadata"}
    if not set(body) & allowed:
        raise BadRequest("Invalid input: one of name, description or metadata must be given.")
    check_names(body)
    v = vm(call).volumes.update(call.ctx, call.params["volume_id"], body)
    return {"volume": views.volume_detail(call, v, extended=False)}


def delete(call: Call) -> Response:
    cascade = parse_bool(call.query.get("cascade", "false"), "cascade")
    force = parse_bool(call.query.get("force", "false"), "force") if mv(call) >= (3, 23) else False
    vm(call).volumes.delete(call.ctx, call.params["volume_id"], cascade=cascade, force=force)
    return Response(status_code=202)


def summary(call: Call) -> dict[str, Any]:
    if mv(call) < (3, 12):
        raise NotFound("The resource could not be found.")
    all_tenants = parse_bool(call.query.get("all_tenants", "false"), "all_tenants")
    out = vm(call).volumes.summary(call.ctx, all_tenants)
    if mv(call) < (3, 36):
        out.pop("metadata", None)
    return {"volume-summary": out}
