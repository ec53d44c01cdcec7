"""Admin views of the hosts: /os-hypervisors and /os-services."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.manager.common import fmt_time
from onestack.compute.microversions import Version
from onestack.compute.models import ComputeNode
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest
from onestack.core.web import Call

DOWN_AFTER = 60  # seconds without a heartbeat


def _state(n: ComputeNode) -> str:
    if n.forced_down or n.updated_at is None:
        return "down"
    return "up" if (utcnow() - n.updated_at).total_seconds() < DOWN_AFTER else "down"


def _hyp(call: Call, n: ComputeNode, v: Version, detail: bool, usage: dict[str, Any],
         servers: list[tuple[str, str]] | None) -> dict[str, Any]:
    uuids = v >= (2, 53)
    out: dict[str, Any] = {"id": n.uuid if uuids else n.id, "hypervisor_hostname": n.host,
                           "state": _state(n), "status": "disabled" if n.disabled else "enabled"}
    if detail:
        c, r, dk, count = usage.get(n.host, (0, 0, 0, 0))
        out.update({"hypervisor_type": n.hypervisor_type, "hypervisor_version": n.hypervisor_version,
                    "host_ip": n.host_ip,
                    "service": {"host": n.host, "id": n.service_uuid if uuids else n.id,
                                "disabled_reason": n.disabled_reason}})
        if v < (2, 88):
            out.update({"vcpus": n.vcpus, "memory_mb": n.memory_mb, "local_gb": n.local_gb,
                        "vcpus_used": c, "memory_mb_used": r, "local_gb_used": dk,
                        "free_ram_mb": n.memory_mb - r, "free_disk_gb": n.local_gb - dk,
                        "current_workload": 0, "running_vms": count, "disk_available_least": n.local_gb - dk,
                        "cpu_info": n.cpu_info if v >= (2, 28) else __import__("json").dumps(n.cpu_info)})
        else:
            out["uptime"] = None
    if servers is not None and (servers or v >= (2, 75)):
        out["servers"] = [{"uuid": u, "name": name} for u, name in servers]
    return out


def _nodes(call: Call) -> tuple[list[ComputeNode], Version]:
    v = d.mv(call)
    pattern = call.query.get("hypervisor_hostname_pattern") if v >= (2, 53) else None
    limit = d.qint(call, "limit") if v >= (2, 33) else None
    marker = call.query.get("marker") if v >= (2, 33) else None
    return d.cm(call).hosts.nodes(host=pattern, limit=limit, marker=marker, by_uuid=v >= (2, 53)), v


def hypervisors(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-hypervisors:list")
    nodes, v = _nodes(call)
    with_servers = v >= (2, 53) and call.query.get("with_servers", "").lower() in ("true", "1")
    hm = d.cm(call).hosts
    return {"hypervisors": [_hyp(call, n, v, False, {}, hm.servers_on(n.host) if with_servers else None)
                            for n in nodes]}


def hypervisors_detail(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-hypervisors:list-detail")
    nodes, v = _nodes(call)
    hm = d.cm(call).hosts
    usage = hm.usage()
    with_servers = v >= (2, 53) and call.query.get("with_servers", "").lower() in ("true", "1")
    return {"hypervisors": [_hyp(call, n, v, True, usage, hm.servers_on(n.host) if with_servers else None)
                            for n in nodes]}


def hypervisor_show(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-hypervisors:show")
    v = d.mv(call)
    hm = d.cm(call).hosts
    n = hm.node(call.params["hypervisor_id"], v >= (2, 53))
    with_servers = v >= (2, 53) and call.query.get("with_servers", "").lower() in ("true", "1")
    return {"hypervisor": _hyp(call, n, v, True, hm.usage(), hm.servers_on(n.host) if with_servers else None)}


def hypervisor_statistics(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-hypervisors:statistics")
    if d.mv(call) >= (2, 88):
        from onestack.core.errors import NotFound

        raise NotFound("The resource could not be found.")
    hm = d.cm(call).hosts
    usage = hm.usage()
    nodes = hm.nodes()
    tot = {"count": len(nodes), "vcpus": 0, "memory_mb": 0, "local_gb": 0, "vcpus_used": 0,
           "memory_mb_used": 0, "local_gb_used": 0, "free_ram_mb": 0, "free_disk_gb": 0,
           "current_workload": 0, "running_vms": 0, "disk_available_least": 0}
    for n in nodes:
        c, r, dk, count = usage.get(n.host, (0, 0, 0, 0))
        tot["vcpus"] += n.vcpus
        tot["memory_mb"] += n.memory_mb
        tot["local_gb"] += n.local_gb
        tot["vcpus_used"] += c
        tot["memory_mb_used"] += r
        tot["local_gb_used"] += dk
        tot["free_ram_mb"] += n.memory_mb - r
        tot["free_disk_gb"] += n.local_gb - dk
        tot["disk_available_least"] += n.local_gb - dk
        tot["running_vms"] += count
    return {"hypervisor_statistics": tot}


# ---- services -----------------------------------------------------------------------
def _service(n: ComputeNode, v: Version) -> dict[str, Any]:
    out: dict[str, Any] = {"id": n.service_uuid if v >= (2, 53) else n.id, "binary": "nova-compute",
                           "host": n.host, "zone": n.availability_zone,
                           "status": "disabled" if n.disabled else "enabled", "state": _state(n),
                           "updated_at": fmt_time(n.updated_at), "disabled_reason": n.disabled_reason}
    if v >= (2, 11):
        out["forced_down"] = n.forced_down
    return out


def services(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-services:list")
    v = d.mv(call)
    binary, host = call.query.get("binary"), call.query.get("host")
    nodes = [n for n in d.cm(call).hosts.nodes() if (not host or n.host == host)]
    if binary and binary != "nova-compute":
        nodes = []
    return {"services": [_service(n, v) for n in nodes]}


def _update_schema(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"status": {"type": "string", "enum": ["enabled", "disabled"]},
                             "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
                             "forced_down": t.boolean, "host": {"type": "string"}, "binary": {"type": "string"}}
    return t.obj(props)


def service_update(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-services:update")
    v = d.mv(call)
    if v < (2, 53):
        raise BadRequest("Updating a service by id needs microversion 2.53 or later; use "
                         "PUT /os-services/{enable,disable,...} before that")
    body = d.validate(call, _update_schema)
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["disabled"] = body["status"] == "disabled"
        changes["disabled_reason"] = body.get("disabled_reason") if changes["disabled"] else None
    elif "disabled_reason" in body:
        raise BadRequest("disabled_reason needs status 'disabled'")
    if "forced_down" in body:
        changes["forced_down"] = str(body["forced_down"]).lower() in ("true", "1", "on", "yes", "y", "t")
    n = d.cm(call).hosts.update_service(call.params["service_id"], True, changes)
    return {"service": _service(n, v)}


def _legacy_schema(v: Version) -> dict[str, Any]:
    return t.obj({"host": {"type": "string"}, "binary": {"type": "string"},
                  "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
                  "forced_down": t.boolean}, ["host", "binary"])


def service_legacy_action(call: Call) -> dict[str, Any]:
    """PUT /os-services/enable | disable | disable-log-reason | force-down (before 2.53)."""
    d.authorize(call, "os-services:update")
    v = d.mv(call)
    action = call.params["action"]
    body = d.validate(call, _legacy_schema)
    hm = d.cm(call).hosts
    n = hm.service_by_host(body["host"])
    changes: dict[str, Any]
    if action == "enable":
        changes = {"disabled": False, "disabled_reason": None}
    elif action == "disable":
        changes = {"disabled": True}
    elif action == "disable-log-reason":
        changes = {"disabled": True, "disabled_reason": body.get("disabled_reason")}
    elif action == "force-down" and v >= (2, 11):
        changes = {"forced_down": str(body.get("forced_down")).lower() in ("true", "1", "on", "yes", "y", "t")}
    else:
        from onestack.core.errors import NotFound

        raise NotFound("Unknown action")
    n = hm.update_service(str(n.id), False, changes)
    out: dict[str, Any] = {"host": n.host, "binary": "nova-compute",
                           "status": "disabled" if n.disabled else "enabled"}
    if action == "disable-log-reason":
        out["disabled_reason"] = n.disabled_reason
    if action == "force-down":
        out = {"host": n.host, "binary": "nova-compute", "forced_down": n.forced_down}
    return {"service": out}


def service_delete(call: Call) -> Response:
    d.authorize(call, "os-services:delete")
    d.cm(call).hosts.delete_service(call.params["service_id"], d.mv(call) >= (2, 53))
    return Response(status_code=204)
