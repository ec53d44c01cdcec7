"""Quota sets and classes, limits, availability zones, services, pools,
extensions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call
from onestack.volume.api.deps import body_of, mv, vm
from onestack.volume.manager.common import parse_bool


def quota_show(call: Call) -> dict[str, Any]:
    usage = parse_bool(call.query.get("usage", "false"), "usage")
    return {"quota_set": vm(call).quotas.show(call.ctx, call.params["target_project"], usage)}


def quota_defaults(call: Call) -> dict[str, Any]:
    return {"quota_set": vm(call).quotas.defaults(call.ctx, call.params["target_project"])}


def quota_update(call: Call) -> dict[str, Any]:
    values = {k: v for k, v in body_of(call, "quota_set").items() if k not in ("id", "tenant_id")}
    return {"quota_set": vm(call).quotas.update(call.ctx, call.params["target_project"], values)}


def quota_delete(call: Call) -> Response:
    vm(call).quotas.delete(call.ctx, call.params["target_project"])
    return Response(status_code=200)


def quota_class_show(call: Call) -> dict[str, Any]:
    return {"quota_class_set": vm(call).quotas.class_defaults(call.ctx, call.params["class_name"])}


def quota_class_update(call: Call) -> dict[str, Any]:
    out = vm(call).quotas.update_class_defaults(call.ctx, call.params["class_name"],
                                                body_of(call, "quota_class_set"))
    out.pop("id", None)
    return {"quota_class_set": out}


def limits(call: Call) -> dict[str, Any]:
    m = vm(call)
    project = call.ctx.project_id or ""
    if mv(call) >= (3, 39) and call.query.get("project_id") and m.st.is_admin(call.ctx):
        project = call.query["project_id"]
    m.st.enforce(call.ctx, "limits_extension:used_limits", project)
    with m.db.session() as s:
        lim = m.quotas.limits(s, project)
        used = m.quotas.usage(s, project)
    return {"limits": {"rate": [], "absolute": {
        "maxTotalVolumes": lim["volumes"], "maxTotalSnapshots": lim["snapshots"],
        "maxTotalVolumeGigabytes": lim["gigabytes"], "maxTotalBackups": lim["backups"],
        "maxTotalBackupGigabytes": lim["backup_gigabytes"],
        "totalVolumesUsed": used["volumes"], "totalGigabytesUsed": used["gigabytes"],
        "totalSnapshotsUsed": used["snapshots"], "totalBackupsUsed": used["backups"],
        "totalBackupGigabytesUsed": used["backup_gigabytes"]}}}


def availability_zones(call: Call) -> dict[str, Any]:
    m = vm(call)
    return {"availabilityZoneInfo": [{"zoneName": m.conf.volume.availability_zone,
                                      "zoneState": {"available": True}}]}


def services(call: Call) -> dict[str, Any]:
    from onestack.volume.api.views import _t

    out = vm(call).services(call.ctx, call.query.get("binary"), call.query.get("host"))
    for sv in out:
        sv["updated_at"] = _t(sv["updated_at"])
        if mv(call) >= (3, 7):
            sv["cluster"] = None
        if mv(call) >= (3, 49):
            sv["backend_state"] = "up" if sv["binary"] == "cinder-volume" else None
            if sv["backend_state"] is None:
                del sv["backend_state"]
    return {"services": out}


def service_update(call: Call) -> dict[str, Any]:
    action = call.params["action"]
    body = call.body if isinstance(call.body, dict) else {}
    m = vm(call)
    if action in ("freeze", "thaw"):
        host = body.get("host")
        m.st.enforce(call.ctx, "volume_extension:services:update")
        if not isinstance(host, str) or not any(
                sv["binary"] == "cinder-volume" and host in (sv["host"], sv["host"].split("@")[0])
                for sv in m.services(call.ctx)):
            raise BadRequest(f"Invalid input received: host {host!r} does not run a volume service.")
        raise BadRequest(f"Invalid input received: the backend of host {host} does not support "
                         f"{action} (no replication).")
    if action not in ("enable", "disable", "disable-log-reason"):
        raise NotFound(f"Unknown action {action}")
    binary, host = body.get("binary"), body.get("host")
    if not isinstance(binary, str) or not isinstance(host, str):
        raise BadRequest("Missing required element 'binary' and 'host' in request body.")
    reason = body.get("disabled_reason") if action == "disable-log-reason" else None
    if action == "disable-log-reason" and (not isinstance(reason, str) or not reason.strip() or len(reason) > 255):
        raise BadRequest("Disabled reason contains invalid characters or is too long")
    out = m.set_service(call.ctx, binary, host, action != "enable", reason)
    out["service"] = binary
    if action == "enable":
        out["disabled_reason"] = None
    return out


def hosts(call: Call) -> dict[str, Any]:
    from onestack.volume.api.views import _t

    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:hosts")
    return {"hosts": [{"service-status": "available", "service": sv["binary"], "zone": sv["zone"],
                       "service-state": sv["status"], "host_name": sv["host"], "last-update": _t(sv["updated_at"])}
                      for sv in m.services(call.ctx)]}


def host_show(call: Call) -> dict[str, Any]:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:hosts")
    host = call.params["host"]
    if not any(sv["binary"] == "cinder-volume" and sv["host"] == host and sv["status"] == "enabled"
               for sv in m.services(call.ctx)):
        raise NotFound(f"Host {host} could not be found.")
    rows = m.host_usage()

    def res(project: str, v: tuple[int, int, int, int]) -> dict[str, Any]:
        return {"resource": {"volume_count": str(v[0]), "total_volume_gb": str(v[1]),
                             "snapshot_count": str(v[2]), "total_snapshot_gb": str(v[3]),
                             "project": project, "host": host}}

    total = tuple(sum(r[i] for r in rows.values()) for i in range(4))
    return {"host": [res("(total)", total), *(res(p, v) for p, v in sorted(rows.items()))]}  # type: ignore[arg-type]


def pools(call: Call) -> dict[str, Any]:
    from onestack.volume.api.views import _t

    detail = parse_bool(call.query.get("detail", "false"), "detail")
    out = vm(call).pools(call.ctx)
    if not detail:
        return {"pools": [{"name": p["name"]} for p in out]}
    for p in out:
        p["capabilities"]["timestamp"] = _t(p["capabilities"]["timestamp"])
        if mv(call) < (3, 49):
            p["capabilities"].pop("backend_state", None)
    return {"pools": out}


def capabilities(call: Call) -> dict[str, Any]:
    m = vm(call)
    m.st.enforce(call.ctx, "volume_extension:capabilities")
    p = m.pools(call.ctx)[0]["capabilities"]
    return {"namespace": "OS::Storage::Capabilities::" + call.params["hostname"],
            "volume_backend_name": p["volume_backend_name"], "pool_name": p["pool_name"],
            "driver_version": p["driver_version"], "storage_protocol": p["storage_protocol"],
            "display_name": None, "description": None, "visibility": None, "replication_targets": [],
            "vendor_name": p["vendor_name"], "properties": {
                "thin_provisioning": {"title": "Thin Provisioning", "description": "Sets thin provisioning.",
                                      "type": "boolean"}}}


_EXT = [
    ("AvailabilityZones", "os-availability-zone", "Describe Availability Zones."),
    ("Backups", "backups", "Backups support."),
    ("Qos_specs_manage", "qos-specs", "QoS specs support."),
    ("Quotas", "os-quota-sets", "Quota management support."),
    ("QuotaClasses", "os-quota-class-sets", "Quota classes management support."),
    ("SchedulerStats", "scheduler-stats", "Scheduler stats support."),
    ("Services", "os-services", "Services support."),
    ("SnapshotActions", "os-snapshot-actions", "Enable snapshot manager actions."),
    ("Types_extra_specs", "os-types-extra-specs", "Type extra specs support."),
    ("Types_manage", "os-types-manage", "Types manage support."),
    ("VolumeActions", "os-volume-actions", "Enable volume actions."),
    ("VolumeImageMetadata", "os-vol-image-meta", "Show image metadata associated with the volume."),
    ("VolumeHostAttribute", "os-vol-host-attr", "Expose host as an attribute of a volume."),
    ("VolumeTenantAttribute", "os-vol-tenant-attr", "Expose the internal project_id as an attribute of a "
                                                      "volume."),
    ("VolumeTransfer", "os-volume-transfer", "Volume transfer management support."),
    ("VolumeTypeAccess", "os-volume-type-access", "Volume type access support."),
    ("AdminActions", "os-admin-actions", "Enable admin actions."),
    ("ExtendedSnapshotAttributes", "os-extended-snapshot-attributes", "Extended SnapshotAttributes support."),
    ("UsedLimits", "os-used-limits", "Provide data on limited resources that are being used."),
    ("Capabilities", "capabilities", "Capabilities support."),
    ("Hosts", "os-hosts", "Admin-only host administration."),
]


def extensions(call: Call) -> dict[str, Any]:
    return {"extensions": [{"name": n, "alias": a, "description": d, "links": [],
                            "namespace": f"https://docs.openstack.org/volume/ext/{a}/api/v1",
                            "updated": "2023-01-01T00:00:00+00:00"} for n, a, d in _EXT]}
