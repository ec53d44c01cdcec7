"""/messages (3.3+): list, show, delete user messages."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import NotFound
from onestack.core.web import Call
from onestack.volume.api.deps import collection, links, list_query, mv, vm
from onestack.volume.api.views import _t
from onestack.volume.manager.messages import SORT_KEYS
from onestack.volume.models import Message


def _need(call: Call) -> None:
    if mv(call) < (3, 3):
        raise NotFound("The resource could not be found.")


def view(call: Call, m: Message) -> dict[str, Any]:
    d: dict[str, Any] = {"id": m.id, "event_id": m.event_id, "user_message": m.user_message,
                         "message_level": m.message_level, "created_at": _t(m.created_at),
                         "guaranteed_until": _t(m.expires_at), "request_id": m.request_id,
                         "links": links(call, "messages", m.id)}
    if m.resource_type:
        d["resource_type"] = m.resource_type
    if m.resource_uuid:
        d["resource_uuid"] = m.resource_uuid
    return d


def index(call: Call) -> dict[str, Any]:
    _need(call)
    q = list_query(call, SORT_KEYS)
    items, count = vm(call).messages.list(call.ctx, q)
    return collection(call, "messages", [view(call, m) for m in items], items, q, count, "messages",
                      with_links=mv(call) >= (3, 5))


def show(call: Call) -> dict[str, Any]:
    _need(call)
    return {"message": view(call, vm(call).messages.get(call.ctx, call.params["message_id"]))}


def delete(call: Call) -> Response:
    _need(call)
    vm(call).messages.delete(call.ctx, call.params["message_id"])
    return Response(status_code=204)
