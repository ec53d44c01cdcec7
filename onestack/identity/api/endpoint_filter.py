"""/v3/OS-EP-FILTER: endpoint groups, and which endpoints (directly or through
endpoint groups) a project's catalog is limited to."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.core.web import Call, Route
from onestack.identity.api import views
from onestack.identity.api.deps import deps, enforce
from onestack.identity.models import Project

_FILTERS = {"type": "object", "properties": {
    "interface": {"type": "string", "enum": ["admin", "internal", "public"]},
    "service_id": {"type": "string"},
    "region_id": {"type": ["string", "null"]},
}}
_GROUP = {"name": {"type": "string", "minLength": 1, "maxLength": 255}, "description": {"type": ["string", "null"]},
          "filters": _FILTERS}
group_create = {"type": "object", "required": ["endpoint_group"], "additionalProperties": False, "properties": {
    "endpoint_group": {"type": "object", "properties": _GROUP, "required": ["name", "filters"],
                       "additionalProperties": False}}}
group_update = {"type": "object", "required": ["endpoint_group"], "additionalProperties": False, "properties": {
    "endpoint_group": {"type": "object", "properties": {**_GROUP, "id": {"type": "string"}}, "minProperties": 1,
                       "additionalProperties": False}}}

BASE = "/v3/OS-EP-FILTER"


def _group(call: Call, g: Any) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "description": g.description, "filters": dict(g.filters or {}),
            "links": {"self": f"{views.v3(call)}/OS-EP-FILTER/endpoint_groups/{g.id}"}}


def _projects(call: Call, s: Any, ids: list[str]) -> dict[str, Any]:
    idm = deps(call).idm
    rows = list(s.scalars(sa.select(Project).where(Project.id.in_(ids), Project.is_domain.is_(False))
                          .order_by(Project.name))) if ids else []
    tags = idm.resource.tags_for(s, [p.id for p in rows])
    return views.collection(call, "projects", [views.project(call, p, tags[p.id]) for p in rows])


# ---- endpoint groups ----------------------------------------------------------------
def list_groups(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_endpoint_groups")
    idm = deps(call).idm
    with idm.db.session() as s:
        return views.collection(call, "endpoint_groups",
                                [_group(call, g) for g in idm.endpoint_filter.list_groups(s, call.query)])


def create_group(call: Call) -> dict[str, Any]:
    enforce(call, "identity:create_endpoint_group")
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"endpoint_group": _group(call, idm.endpoint_filter.create_group(s, call.body["endpoint_group"]))}


def get_group(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_endpoint_group")
    idm = deps(call).idm
    with idm.db.session() as s:
        return {"endpoint_group": _group(call, idm.endpoint_filter.get_group(s, call.params["group_id"]))}


def update_group(call: Call) -> dict[str, Any]:
    enforce(call, "identity:update_endpoint_group")
    body = call.body["endpoint_group"]
    if "id" in body and body["id"] != call.params["group_id"]:
        raise BadRequest("Cannot change the ID of an endpoint group.")
    idm = deps(call).idm
    with idm.db.session() as s:
        g = idm.endpoint_filter.update_group(s, call.params["group_id"], body)
        return {"endpoint_group": _group(call, g)}


def delete_group(call: Call) -> Response:
    enforce(call, "identity:delete_endpoint_group")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.delete_group(s, call.params["group_id"])
    return Response(status_code=204)


def group_endpoints(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_endpoints_associated_with_endpoint_group")
    idm = deps(call).idm
    with idm.db.session() as s:
        g = idm.endpoint_filter.get_group(s, call.params["group_id"])
        return views.collection(call, "endpoints",
                                [views.endpoint(call, e) for e in idm.endpoint_filter.group_endpoints(s, g)])


def group_projects(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_projects_associated_with_endpoint_group")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.get_group(s, call.params["group_id"])
        return _projects(call, s, idm.endpoint_filter.group_project_ids(s, call.params["group_id"]))


def _group_and_project(call: Call, s: Any) -> tuple[str, str]:
    idm = deps(call).idm
    idm.resource.get_project(s, call.params["project_id"])
    idm.endpoint_filter.get_group(s, call.params["group_id"])
    return call.params["group_id"], call.params["project_id"]


def get_group_in_project(call: Call) -> dict[str, Any]:
    enforce(call, "identity:get_endpoint_group_in_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        gid, pid = _group_and_project(call, s)
        idm.endpoint_filter.check_group_in_project(s, gid, pid)
        return {"project_endpoint_group": {
            "endpoint_group_id": gid, "project_id": pid,
            "links": {"self": f"{views.v3(call)}/OS-EP-FILTER/endpoint_groups/{gid}/projects/{pid}"}}}


def add_group_to_project(call: Call) -> Response:
    enforce(call, "identity:add_endpoint_group_to_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.add_group_to_project(s, *_group_and_project(call, s))
    return Response(status_code=204)


def remove_group_from_project(call: Call) -> Response:
    enforce(call, "identity:remove_endpoint_group_from_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.remove_group_from_project(s, *_group_and_project(call, s))
    return Response(status_code=204)


def project_groups(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_endpoint_groups_for_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.resource.get_project(s, call.params["project_id"])
        return views.collection(call, "endpoint_groups",
                                [_group(call, g) for g in idm.endpoint_filter.project_groups(s, call.params["project_id"])])


# ---- endpoints <-> projects -------------------------------------------------------------
def endpoint_projects(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_projects_for_endpoint")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.catalog.get_endpoint(s, call.params["endpoint_id"])
        return _projects(call, s, idm.endpoint_filter.endpoint_project_ids(s, call.params["endpoint_id"]))


def project_endpoints(call: Call) -> dict[str, Any]:
    enforce(call, "identity:list_endpoints_for_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.resource.get_project(s, call.params["project_id"])
        eps = idm.endpoint_filter.project_endpoints(s, call.params["project_id"])
        return views.collection(call, "endpoints", [views.endpoint(call, e) for e in eps])


def _endpoint_and_project(call: Call, s: Any) -> tuple[str, str]:
    idm = deps(call).idm
    idm.catalog.get_endpoint(s, call.params["endpoint_id"])
    idm.resource.get_project(s, call.params["project_id"])
    return call.params["endpoint_id"], call.params["project_id"]


def check_endpoint_in_project(call: Call) -> Response:
    enforce(call, "identity:check_endpoint_in_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.check_endpoint_in_project(s, *_endpoint_and_project(call, s))
    return Response(status_code=204)


def add_endpoint_to_project(call: Call) -> Response:
    enforce(call, "identity:add_endpoint_to_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.add_endpoint_to_project(s, *_endpoint_and_project(call, s))
    return Response(status_code=204)


def remove_endpoint_from_project(call: Call) -> Response:
    enforce(call, "identity:remove_endpoint_from_project")
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.endpoint_filter.remove_endpoint_from_project(s, call.params["endpoint_id"], call.params["project_id"])
    return Response(status_code=204)


ROUTES = [
    Route("GET", f"{BASE}/endpoint_groups", list_groups),
    Route("POST", f"{BASE}/endpoint_groups", create_group, schema=group_create, status=201),
    Route("GET", f"{BASE}/endpoint_groups/{{group_id}}", get_group, extra_methods=("HEAD",)),
    Route("PATCH", f"{BASE}/endpoint_groups/{{group_id}}", update_group, schema=group_update),
    Route("DELETE", f"{BASE}/endpoint_groups/{{group_id}}", delete_group),
    Route("GET", f"{BASE}/endpoint_groups/{{group_id}}/endpoints", group_endpoints),
    Route("GET", f"{BASE}/endpoint_groups/{{group_id}}/projects", group_projects),
    Route("GET", f"{BASE}/endpoint_groups/{{group_id}}/projects/{{project_id}}", get_group_in_project,
          extra_methods=("HEAD",)),
    Route("PUT", f"{BASE}/endpoint_groups/{{group_id}}/projects/{{project_id}}", add_group_to_project),
    Route("DELETE", f"{BASE}/endpoint_groups/{{group_id}}/projects/{{project_id}}", remove_group_from_project),
    Route("GET", f"{BASE}/projects/{{project_id}}/endpoint_groups", project_groups),
    Route("GET", f"{BASE}/endpoints/{{endpoint_id}}/projects", endpoint_projects),
    Route("GET", f"{BASE}/projects/{{project_id}}/endpoints", project_endpoints),
    Route("GET", f"{BASE}/projects/{{project_id}}/endpoints/{{endpoint_id}}", check_endpoint_in_project,
          extra_methods=("HEAD",)),
    Route("PUT", f"{BASE}/projects/{{project_id}}/endpoints/{{endpoint_id}}", add_endpoint_to_project),
    Route("DELETE", f"{BASE}/projects/{{project_id}}/endpoints/{{endpoint_id}}", remove_endpoint_from_project),
]
