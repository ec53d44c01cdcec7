"""/os-server-groups (2.64: 'policy' + 'rules' instead of 'policies')."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.microversions import Version
from onestack.compute.models import ServerGroup
from onestack.core.web import Call

_OLD = ["affinity", "anti-affinity"]
_SOFT = ["soft-affinity", "soft-anti-affinity"]


def _schema(v: Version) -> dict[str, Any]:
    if v >= (2, 64):
        rules = t.obj({"max_server_per_host": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1}})
        inner = t.obj({"name": t.name, "policy": {"type": "string", "enum": _OLD + _SOFT}, "rules": rules},
                      ["name", "policy"])
    else:
        allowed = _OLD + (_SOFT if v >= (2, 15) else [])
        inner = t.obj({"name": t.name, "policies": {"type": "array", "items": {"type": "string", "enum": allowed},
                                                    "minItems": 1, "maxItems": 1, "uniqueItems": True}},
                      ["name", "policies"])
    return t.wrap("server_group", inner)


def _view(g: ServerGroup, members: list[str], v: Version) -> dict[str, Any]:
    out: dict[str, Any] = {"id": g.uuid, "name": g.name, "members": members}
    if v >= (2, 64):
        out["policy"] = g.policy
        out["rules"] = dict(g.rules or {})
    else:
        out["policies"] = [g.policy]
        out["metadata"] = {}
    if v >= (2, 13):
        out["project_id"] = g.project_id
        out["user_id"] = g.user_id
    return out


def index(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-server-groups:index")
    all_projects = "all_projects" in call.query and d.allowed(call, "os-server-groups:index:all_projects")
    cm, v = d.cm(call), d.mv(call)
    groups = cm.groups.list(call.ctx, all_projects, d.qint(call, "limit"), d.qint(call, "offset"))
    members = cm.groups.members([g.uuid for g in groups])
    return {"server_groups": [_view(g, members[g.uuid], v) for g in groups]}


def show(call: Call) -> dict[str, Any]:
    cm = d.cm(call)
    g = cm.groups.get(call.ctx, call.params["group_id"])
    d.authorize(call, "os-server-groups:show", g.project_id)
    return {"server_group": _view(g, cm.groups.members([g.uuid])[g.uuid], d.mv(call))}


def create(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-server-groups:create")
    body = d.validate(call, _schema)["server_group"]
    v = d.mv(call)
    policy = body["policy"] if v >= (2, 64) else body["policies"][0]
    rules = {k: int(val) for k, val in (body.get("rules") or {}).items()}
    g = d.cm(call).groups.create(call.ctx, body["name"], policy, rules)
    return {"server_group": _view(g, [], v)}


def delete(call: Call) -> Response:
    cm = d.cm(call)
    g = cm.groups.get(call.ctx, call.params["group_id"])
    d.authorize(call, "os-server-groups:delete", g.project_id)
    cm.groups.delete(call.ctx, g.uuid)
    return Response(status_code=204)
