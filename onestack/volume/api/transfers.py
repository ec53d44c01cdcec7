"""/volume-transfers (3.55+) and the older /os-volume-transfer."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, json_response
from onestack.volume.api import views
from onestack.volume.api.deps import body_of, check_string, collection, list_query, mv, vm
from onestack.volume.manager.transfers import SORT_KEYS


def create(call: Call) -> Response:
    body = body_of(call, "transfer")
    check_string(body.get("name"), "name")
    if mv(call) < (3, 55) or call.request.url.path.rstrip("/").endswith("os-volume-transfer"):
        body.pop("no_snapshots", None)
    t, key = vm(call).transfers.create(call.ctx, body)
    return json_response({"transfer": views.transfer(call, t, True, auth_key=key)}, 202)


def _list(call: Call, detail: bool) -> dict[str, Any]:
    q = list_query(call, SORT_KEYS)
    items, _ = vm(call).transfers.list(call.ctx, q)
    coll = "volume-transfers" if mv(call) >= (3, 55) else "os-volume-transfer"
    return collection(call, "transfers", [views.transfer(call, t, detail) for t in items], items, q, None,
                      coll + ("/detail" if detail else ""), with_links=mv(call) >= (3, 59))


def index(call: Call) -> dict[str, Any]:
    return _list(call, False)


def detail(call: Call) -> dict[str, Any]:
    return _list(call, True)


def show(call: Call) -> dict[str, Any]:
    return {"transfer": views.transfer(call, vm(call).transfers.get(call.ctx, call.params["transfer_id"]))}


def delete(call: Call) -> Response:
    vm(call).transfers.delete(call.ctx, call.params["transfer_id"])
    return Response(status_code=202)


def accept(call: Call) -> Response:
    t = vm(call).transfers.accept(call.ctx, call.params["transfer_id"], body_of(call, "accept").get("auth_key"))
    return json_response({"transfer": views.transfer(call, t, detail=False)}, 202)
