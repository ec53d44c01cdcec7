"""``/v2/info/*``: import methods, stores, usage."""

from __future__ import annotations

from typing import Any

from onestack.core.errors import Forbidden
from onestack.core.web import Call, Route
from onestack.image.api.common import mgr


def import_info(call: Call) -> dict[str, Any]:
    return {"import-methods": {
        "description": "Import methods available.",
        "type": "array",
        "value": mgr(call).import_methods(),
    }}


def stores(call: Call) -> dict[str, Any]:
    return {"stores": mgr(call).stores()}


def stores_detail(call: Call) -> dict[str, Any]:
    m = mgr(call)
    if not m.policy.check(call.ctx, "stores_info_detail", extra={"project_id": call.ctx.project_id}):
        raise Forbidden("You are not authorized to complete stores_info_detail action.")
    return {"stores": [{**s, "type": m.store.name, "properties": {}} for s in m.stores()]}


def usage(call: Call) -> dict[str, Any]:
    return {"usage": mgr(call).usage(call.ctx)}


ROUTES = [
    Route("GET", "/v2/info/import", import_info),
    Route("GET", "/v2/info/stores", stores),
    Route("GET", "/v2/info/stores/detail", stores_detail),
    Route("GET", "/v2/info/usage", usage),
]
