"""/limits and /os-quota-sets."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.manager.quotas import DEFAULTS, resources_for
from onestack.compute.microversions import Version
from onestack.core.web import Call


def limits(call: Call) -> dict[str, Any]:
    d.authorize(call, "limits")
    project = call.ctx.project_id or ""
    other = call.query.get("tenant_id")
    if other and other != project:
        d.authorize(call, "limits:other_project")
        project = other
    cm, v = d.cm(call), d.mv(call)
    lim = cm.quotas.limits(project)
    with cm.db.session() as s:
        used = cm.quotas.usage(s, project)
    a: dict[str, Any] = {
        "maxServerMeta": lim["metadata_items"], "maxTotalKeypairs": lim["key_pairs"],
        "maxServerGroups": lim["server_groups"], "maxServerGroupMembers": lim["server_group_members"],
        "maxTotalCores": lim["cores"], "maxTotalInstances": lim["instances"], "maxTotalRAMSize": lim["ram"],
        "totalCoresUsed": used["cores"], "totalInstancesUsed": used["instances"], "totalRAMUsed": used["ram"],
        "totalServerGroupsUsed": used["server_groups"],
    }
    if v < (2, 39):
        a["maxImageMeta"] = lim["metadata_items"]
    if v < (2, 57):
        a["maxPersonality"] = lim["injected_files"]
        a["maxPersonalitySize"] = lim["injected_file_content_bytes"]
    if v < (2, 36):
        a.update({"maxSecurityGroups": lim["security_groups"], "maxSecurityGroupRules": lim["security_group_rules"],
                  "maxTotalFloatingIps": lim["floating_ips"], "totalFloatingIpsUsed": 0,
                  "totalSecurityGroupsUsed": 0})
    return {"limits": {"rate": [], "absolute": a}}


def _quota_set(call: Call, project: str, values: dict[str, Any], detail: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    names = resources_for(d.mv(call))
    out: dict[str, Any] = {"id": project}
    for n in names:
        out[n] = detail[n] if detail else values[n]
    return {"quota_set": out}


def show(call: Call) -> dict[str, Any]:
    project = call.params["project_id"]
    d.authorize(call, "os-quota-sets:show", project_id=project)
    user = call.query.get("user_id")
    return _quota_set(call, project, d.cm(call).quotas.limits(project, user))


def detail(call: Call) -> dict[str, Any]:
    project = call.params["project_id"]
    d.authorize(call, "os-quota-sets:detail", project_id=project)
    cm = d.cm(call)
    user = call.query.get("user_id")
    lim = cm.quotas.limits(project, user)
    with cm.db.session() as s:
        used = cm.quotas.usage(s, project, user)
    det = {n: {"limit": lim[n], "in_use": used.get(n, 0), "reserved": 0} for n in lim}
    return _quota_set(call, project, lim, det)


def defaults(call: Call) -> dict[str, Any]:
    project = call.params["project_id"]
    d.authorize(call, "os-quota-sets:defaults", project_id=project)
    return _quota_set(call, project, dict(DEFAULTS))


def _update_schema(v: Version) -> dict[str, Any]:
    value = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": -1}
    props: dict[str, Any] = {n: value for n in resources_for(v)}
    props["force"] = t.boolean
    return t.wrap("quota_set", t.obj(props))


def update(call: Call) -> dict[str, Any]:
    project = call.params["project_id"]
    d.authorize(call, "os-quota-sets:update", project_id=project)
    body = dict(d.validate(call, _update_schema)["quota_set"])
    force = str(body.pop("force", False)).lower() in ("true", "1", "on", "yes", "y", "t")
    cm = d.cm(call)
    user = call.query.get("user_id")
    cm.quotas.update(project, user, {k: int(v) for k, v in body.items()}, force)
    out = _quota_set(call, project, cm.quotas.limits(project, user))
    out["quota_set"].pop("id")
    return out


def delete(call: Call) -> Response:
    project = call.params["project_id"]
    d.authorize(call, "os-quota-sets:delete", project_id=project)
    d.cm(call).quotas.delete(project, call.query.get("user_id"))
    return Response(status_code=202)
