"""/flavors, flavor access (os-flavor-access) and extra specs (os-extra_specs)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api import views
from onestack.compute.api.schemas import common as t
from onestack.compute.microversions import Version
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call, json_response


def _list(call: Call) -> list[Any]:
    q = call.query
    return d.cm(call).flavors.list(
        call.ctx, is_public=q.get("is_public"), min_ram=d.qint(call, "minRam"), min_disk=d.qint(call, "minDisk"),
        sort_key=q.get("sort_key", "flavorid"), sort_dir=q.get("sort_dir", "asc"),
        limit=d.qint(call, "limit"), marker=q.get("marker"))


def index(call: Call) -> dict[str, Any]:
    items, v = _list(call), d.mv(call)
    out: dict[str, Any] = {"flavors": [views.flavor_brief(call, f, v) for f in items]}
    nxt = d.next_link(call, "flavors", items, d.qint(call, "limit"), lambda f: f.flavorid)
    if nxt:
        out["flavors_links"] = nxt
    return out


def detail(call: Call) -> dict[str, Any]:
    items, v = _list(call), d.mv(call)
    specs = d.allowed(call, "os-flavor-extra-specs:index")
    out: dict[str, Any] = {"flavors": [views.flavor_detail(call, f, v, specs) for f in items]}
    nxt = d.next_link(call, "flavors/detail", items, d.qint(call, "limit"), lambda f: f.flavorid)
    if nxt:
        out["flavors_links"] = nxt
    return out


def show(call: Call) -> dict[str, Any]:
    f = d.cm(call).flavors.get(call.ctx, call.params["flavor_id"])
    return {"flavor": views.flavor_detail(call, f, d.mv(call), d.allowed(call, "os-flavor-extra-specs:index"))}


def _create_schema(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": t.name,
        # nova's parameter_types.flavor_id: a number is accepted too (Tempest sends ints)
        "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
               "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
        "ram": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1, "maximum": 2**31 - 1},
        "vcpus": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1, "maximum": 2**31 - 1},
        "disk": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0, "maximum": 2**31 - 1},
        "OS-FLV-EXT-DATA:ephemeral": {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 0},
        "swap": {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 0},
        "rxtx_factor": {"type": ["number", "string"], "minimum": 0, "exclusiveMinimum": True},
        "os-flavor-access:is_public": t.boolean,
    }
    if v >= (2, 55):
        props["description"] = {"type": ["string", "null"], "maxLength": 65535}
    return t.wrap("flavor", t.obj(props, ["name", "ram", "vcpus", "disk"]))


def create(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-flavor-manage:create")
    body = d.validate(call, _create_schema)["flavor"]
    if isinstance(body.get("id"), int | float) and not isinstance(body.get("id"), bool):
        body["id"] = str(body["id"])
    if isinstance(body.get("os-flavor-access:is_public"), str):
        body["os-flavor-access:is_public"] = body["os-flavor-access:is_public"].lower() in (
            "true", "1", "on", "yes", "y", "t")
    f = d.cm(call).flavors.create(body)
    return {"flavor": views.flavor_detail(call, f, d.mv(call))}


def _update_schema(v: Version) -> dict[str, Any]:
    return t.wrap("flavor", t.obj({"description": {"type": ["string", "null"], "maxLength": 65535}},
                                  ["description"]))


def update(call: Call) -> dict[str, Any]:
    if d.mv(call) < (2, 55):
        raise NotFound("The resource could not be found.")  # upstream: 405 via missing route
    d.authorize(call, "os-flavor-manage:update")
    body = d.validate(call, _update_schema)
    f = d.cm(call).flavors.update(call.params["flavor_id"], body["flavor"]["description"])
    return {"flavor": views.flavor_detail(call, f, d.mv(call))}


def delete(call: Call) -> Response:
    d.authorize(call, "os-flavor-manage:delete")
    d.cm(call).flavors.delete(call.params["flavor_id"])
    return Response(status_code=202)


# ---- access ---------------------------------------------------------------------
def _access(flavor_id: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in projects]}


def access_list(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-flavor-access")
    fid = call.params["flavor_id"]
    return _access(fid, d.cm(call).flavors.access(fid))


def _access_schema(v: Version) -> dict[str, Any]:
    tenant = t.obj({"tenant": {"type": "string", "minLength": 1, "maxLength": 255}}, ["tenant"])
    return {"type": "object", "oneOf": [t.wrap("addTenantAccess", tenant), t.wrap("removeTenantAccess", tenant)]}


def flavor_action(call: Call) -> dict[str, Any]:
    body = d.validate(call, _access_schema)
    fid = call.params["flavor_id"]
    fm = d.cm(call).flavors
    if "addTenantAccess" in body:
        d.authorize(call, "os-flavor-access:add_tenant_access")
        return _access(fid, fm.add_access(fid, body["addTenantAccess"]["tenant"]))
    d.authorize(call, "os-flavor-access:remove_tenant_access")
    return _access(fid, fm.remove_access(fid, body["removeTenantAccess"]["tenant"]))


# ---- extra specs ----------------------------------------------------------------
_KEY = r"^[a-zA-Z0-9-_:. ]{1,255}$"


def _specs_schema(v: Version) -> dict[str, Any]:
    value = {"type": ["string", "number", "boolean"], "maxLength": 255}
    return t.wrap("extra_specs", {"type": "object", "patternProperties": {_KEY: value},
                                  "additionalProperties": False, "minProperties": 1})


def _spec_item_schema(v: Version) -> dict[str, Any]:
    value = {"type": ["string", "number", "boolean"], "maxLength": 255}
    return {"type": "object", "patternProperties": {_KEY: value}, "additionalProperties": False,
            "minProperties": 1, "maxProperties": 1}


def _str(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def specs_index(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-flavor-extra-specs:index")
    return {"extra_specs": d.cm(call).flavors.extra_specs(call.ctx, call.params["flavor_id"])}


def specs_create(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-flavor-extra-specs:create")
    body = d.validate(call, _specs_schema)
    specs = {k: _str(v) for k, v in body["extra_specs"].items()}
    d.cm(call).flavors.set_extra_specs(call.params["flavor_id"], specs)
    return {"extra_specs": specs}


def spec_show(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-flavor-extra-specs:show")
    specs = d.cm(call).flavors.extra_specs(call.ctx, call.params["flavor_id"])
    key = call.params["key"]
    if key not in specs:
        raise NotFound(f"Flavor {call.params['flavor_id']} has no extra specs with key {key}.")
    return {key: specs[key]}


def spec_update(call: Call) -> Any:
    d.authorize(call, "os-flavor-extra-specs:update")
    body = d.validate(call, _spec_item_schema)
    key = call.params["key"]
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    d.cm(call).flavors.set_extra_specs(call.params["flavor_id"], {key: _str(body[key])})
    return json_response({key: _str(body[key])})


def spec_delete(call: Call) -> Response:
    d.authorize(call, "os-flavor-extra-specs:delete")
    d.cm(call).flavors.delete_extra_spec(call.params["flavor_id"], call.params["key"])
    return Response(status_code=200)   # nova answers 200 here (Tempest checks it)
