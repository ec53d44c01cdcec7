"""/attachments (3.27+): create, update (connector), complete (3.44), delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call
from onestack.volume.api import views
from onestack.volume.api.deps import body_of, collection, list_query, mv, vm
from onestack.volume.manager.attachments import SORT_KEYS


def _need(call: Call, minimum: tuple[int, int] = (3, 27)) -> None:
    if mv(call) < minimum:
        raise NotFound("The resource could not be found.")


def create(call: Call) -> dict[str, Any]:
    _need(call)
    body = body_of(call, "attachment")
    volume_id = body.get("volume_uuid")
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest("Invalid input received: volume_uuid is required.")
    instance = body.get("instance_uuid")
    if instance is not None and not isinstance(instance, str):
        raise BadRequest("Invalid input received: instance_uuid must be a string.")
    connector = body.get("connector")
    if connector is not None and not isinstance(connector, dict):
        raise BadRequest("Invalid input received: connector must be an object.")
    mode = body.get("mode", "rw") if mv(call) >= (3, 54) else "rw"
    a = vm(call).attachments.create(call.ctx, volume_id, instance, connector or None, mode)
    return {"attachment": views.attachment(a)}


def update(call: Call) -> dict[str, Any]:
    _need(call)
    body = body_of(call, "attachment")
    a = vm(call).attachments.update(call.ctx, call.params["attachment_id"], body.get("connector"))
    return {"attachment": views.attachment(a)}


def delete(call: Call) -> dict[str, Any]:
    _need(call)
    a = vm(call).attachments.get(call.ctx, call.params["attachment_id"])
    vm(call).attachments.delete(call.ctx, call.params["attachment_id"])
    return {"attachments": [views.attachment(a, detail=False) | {"status": "detached"}]}


def show(call: Call) -> dict[str, Any]:
    _need(call)
    return {"attachment": views.attachment(vm(call).attachments.get(call.ctx, call.params["attachment_id"]))}


def _list(call: Call, detail: bool) -> dict[str, Any]:
    _need(call)
    q = list_query(call, SORT_KEYS)
    items, count = vm(call).attachments.list(call.ctx, q)
    return collection(call, "attachments", [views.attachment(a, detail) for a in items], items, q, count,
                      "attachments/detail" if detail else "attachments")


def index(call: Call) -> dict[str, Any]:
    return _list(call, False)


def detail(call: Call) -> dict[str, Any]:
    return _list(call, True)


def action(call: Call) -> Response:
    _need(call, (3, 44))
    body = call.body
    if not isinstance(body, dict) or list(body) != ["os-complete"]:
        raise BadRequest("Malformed request body: the only action is 'os-complete'.")
    vm(call).attachments.complete(call.ctx, call.params["attachment_id"])
    return Response(status_code=204)
