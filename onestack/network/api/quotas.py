"""``/v2.0/quotas``: per-project limits (``quotas``, ``quota_details``)."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route
from onestack.network.api.common import strip_json


def list_quotas(call: Call) -> Any:
    return {"quotas": call.services.quotas.list(call.ctx)}


def show(call: Call) -> Any:
    return {"quota": call.services.quotas.show(call.ctx, strip_json(call.params["project_id"]))}


def default(call: Call) -> Any:
    return {"quota": call.services.quotas.default(call.ctx, call.params["project_id"])}


def details(call: Call) -> Any:
    return {"quota": call.services.quotas.details(call.ctx, call.params["project_id"])}


def update(call: Call) -> Any:
    return {"quota": call.services.quotas.update(call.ctx, strip_json(call.params["project_id"]), call.body)}


def delete(call: Call) -> Any:
    call.services.quotas.delete(call.ctx, strip_json(call.params["project_id"]))


def tenant(call: Call) -> Any:
    return {"tenant": {"tenant_id": call.ctx.project_id, "project_id": call.ctx.project_id}}


_Q = "/v2.0/quotas"
ROUTES: list[Route] = [
    Route("GET", _Q, list_quotas),
    Route("GET", _Q + ".json", list_quotas),
    Route("GET", _Q + "/tenant", tenant),
    Route("GET", _Q + "/project", tenant),
    Route("GET", _Q + "/{project_id}", show),
    Route("PUT", _Q + "/{project_id}", update, schema={"type": "object"}),
    Route("DELETE", _Q + "/{project_id}", delete, status=204),
    Route("GET", _Q + "/{project_id}/default", default),
    Route("GET", _Q + "/{project_id}/default.json", default),
    Route("GET", _Q + "/{project_id}/details", details),
    Route("GET", _Q + "/{project_id}/details.json", details),
]
