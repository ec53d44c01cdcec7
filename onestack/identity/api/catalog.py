"""Regions, services and endpoints."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import deps, enforce


def _crud(kind: str, plural: str, mgr_get: str, view: Any, create_schema: Any, update_schema: Any) -> list[Route]:
    def listing(call: Call) -> dict[str, Any]:
        enforce(call, f"identity:list_{plural}")
        idm = deps(call).idm
        with idm.db.session() as s:
            rows = getattr(idm.catalog, f"list_{plural}")(s, call.query)
            return views.collection(call, plural, [view(call, r) for r in rows])

    def create(call: Call) -> dict[str, Any]:
        enforce(call, f"identity:create_{kind}")
        idm = deps(call).idm
        with idm.db.session() as s:
            obj = getattr(idm.catalog, f"create_{kind}")(s, call.body[kind])
            return {kind: view(call, obj)}

    def create_with_id(call: Call) -> dict[str, Any]:
        enforce(call, f"identity:create_{kind}")
        idm = deps(call).idm
        with idm.db.session() as s:
            obj = idm.catalog.create_region(s, call.body[kind], region_id=call.params["obj_id"])
            return {kind: view(call, obj)}

    def get(call: Call) -> dict[str, Any]:
        enforce(call, f"identity:get_{kind}")
        idm = deps(call).idm
        with idm.db.session() as s:
            return {kind: view(call, getattr(idm.catalog, mgr_get)(s, call.params["obj_id"]))}

    def update(call: Call) -> dict[str, Any]:
        enforce(call, f"identity:update_{kind}")
        idm = deps(call).idm
        with idm.db.session() as s:
            obj = getattr(idm.catalog, f"update_{kind}")(s, call.params["obj_id"], call.body[kind])
            return {kind: view(call, obj)}

    def delete(call: Call) -> Response:
        enforce(call, f"identity:delete_{kind}")
        idm = deps(call).idm
        with idm.db.session() as s:
            getattr(idm.catalog, f"delete_{kind}")(s, call.params["obj_id"])
        return Response(status_code=204)

    routes = [
        Route("GET", f"/v3/{plural}", listing),
        Route("POST", f"/v3/{plural}", create, schema=create_schema, status=201),
        Route("GET", f"/v3/{plural}/{{obj_id}}", get),
        Route("PATCH", f"/v3/{plural}/{{obj_id}}", update, schema=update_schema),
        Route("DELETE", f"/v3/{plural}/{{obj_id}}", delete),
    ]
    if kind == "region":
        routes.append(Route("PUT", f"/v3/{plural}/{{obj_id}}", create_with_id, schema=create_schema, status=201))
    return routes


ROUTES = [
    *_crud("region", "regions", "get_region", views.region, schemas.region_create, schemas.region_update),
    *_crud("service", "services", "get_service", views.service, schemas.service_create, schemas.service_update),
    *_crud("endpoint", "endpoints", "get_endpoint", views.endpoint, schemas.endpoint_create, schemas.endpoint_update),
]
