"""Cinder's JSON shapes, by microversion."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call
from onestack.volume.api.deps import is_admin, links, mv, vm
from onestack.volume.models import (
    Attachment,
    Backup,
    QosSpecs,
    Snapshot,
    Transfer,
    Volume,
    VolumeType,
)


def _t(v: Any) -> Any:
    """Cinder's times: ISO 8601 with microseconds, no zone."""
    if v is None:
        return None
    return v.replace(tzinfo=None).isoformat(timespec="microseconds")


# ---- volumes --------------------------------------------------------------------------------
def volume_summary(call: Call, v: Volume) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "links": links(call, "volumes", v.id)}


def volumes_detail(call: Call, vols: list[Volume], extended: bool = True) -> list[dict[str, Any]]:
    """``extended``: with the attributes Cinder's API extensions add to show and
    detail (host, tenant, migration status, image metadata), not to create or
    update."""
    m = vm(call)
    atts = m.volumes.attachments_of([v.id for v in vols])
    types = m.volumes.types_of({v.volume_type_id for v in vols if v.volume_type_id})
    admin = is_admin(call)
    show_tenant = m.st.allowed(call.ctx, "volume_extension:volume_tenant_attribute")
    service = admin or "service" in call.ctx.roles
    version = mv(call)
    out = []
    for v in vols:
        t = types.get(v.volume_type_id or "")
        d: dict[str, Any] = {
            "id": v.id, "status": v.status, "size": v.size, "availability_zone": v.availability_zone,
            "created_at": _t(v.created_at), "updated_at": _t(v.updated_at), "name": v.name,
            "description": v.description, "volume_type": t.name if t else v.volume_type_id,
            "snapshot_id": v.snapshot_id, "source_volid": v.source_volid,
            # as upstream: the visible admin metadata (readonly, attached_mode) shows among the metadata
            "metadata": {**v.meta, **{k: val for k, val in v.admin_meta.items()
                                      if k in ("readonly", "attached_mode")}},
            "links": links(call, "volumes", v.id), "user_id": v.user_id,
            "bootable": "true" if v.bootable else "false", "encrypted": v.encrypted,
            "replication_status": None, "consistencygroup_id": None, "multiattach": v.multiattach,
            "attachments": [
                {"id": v.id, "attachment_id": a.id, "volume_id": v.id, "server_id": a.instance_uuid,
                 "host_name": a.attached_host if service else None, "device": a.mountpoint,
                 "attached_at": _t(a.attach_time)}
                for a in atts.get(v.id, [])],
        }
        if admin:
            d["migration_status"] = v.migration_status
        if admin and extended:
            d["os-vol-host-attr:host"] = v.host
            d["os-vol-mig-status-attr:migstat"] = v.migration_status
            d["os-vol-mig-status-attr:name_id"] = None
        if show_tenant and extended:
            d["os-vol-tenant-attr:tenant_id"] = v.project_id
        if v.image_meta and extended:
            d["volume_image_metadata"] = dict(v.image_meta)
        if version >= (3, 13):
            d["group_id"] = None
        if admin and version >= (3, 21):
            d["provider_id"] = None
        if version >= (3, 48):
            d["shared_targets"] = None if version >= (3, 69) else False
            d["service_uuid"] = None
        if admin and version >= (3, 61):
            d["cluster_name"] = None
        if version >= (3, 63):
            d["volume_type_id"] = v.volume_type_id
        if version >= (3, 65):
            d["consumes_quota"] = True
        out.append(d)
    return out


def volume_detail(call: Call, v: Volume, extended: bool = True) -> dict[str, Any]:
    return volumes_detail(call, [v], extended)[0]


# ---- snapshots ------------------------------------------------------------------------------
def snapshot(call: Call, s: Snapshot, detail: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": s.id, "created_at": _t(s.created_at), "updated_at": _t(s.updated_at), "name": s.name,
        "description": s.description, "volume_id": s.volume_id, "status": s.status, "size": s.size,
        "metadata": dict(s.meta),
    }
    if mv(call) >= (3, 14):
        d["group_snapshot_id"] = None
    if mv(call) >= (3, 41):
        d["user_id"] = s.user_id
    if mv(call) >= (3, 65):
        d["consumes_quota"] = True
    if detail and vm(call).st.allowed(call.ctx, "volume_extension:extended_snapshot_attributes", s.project_id):
        d["os-extended-snapshot-attributes:progress"] = s.progress
        d["os-extended-snapshot-attributes:project_id"] = s.project_id
    return d


# ---- types and qos ---------------------------------------------------------------------------------
def volume_type(call: Call, t: VolumeType, kind: str = "show") -> dict[str, Any]:
    """``kind``: "show" (show and list: Cinder's v3 view plus the access extension),
    "create" (the base view plus the access extension) or "update" (the base view)."""
    m = vm(call)
    d: dict[str, Any] = {"id": t.id, "name": t.name, "description": t.description, "is_public": t.is_public}
    if kind != "show" or m.st.allowed(call.ctx, "volume_extension:access_types_extra_specs"):
        d["extra_specs"] = dict(t.extra_specs)
    if kind == "show" and m.st.allowed(call.ctx, "volume_extension:access_types_qos_specs_id"):
        d["qos_specs_id"] = t.qos_specs_id
    if kind != "update":
        d["os-volume-type-access:is_public"] = t.is_public
    return d


def qos(call: Call, q: QosSpecs) -> dict[str, Any]:
    return {"id": q.id, "name": q.name, "consumer": q.consumer, "specs": dict(q.specs)}


# ---- attachments -------------------------------------------------------------------------------------
def attachment(a: Attachment, detail: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {"id": a.id, "status": a.attach_status, "instance": a.instance_uuid,
                         "volume_id": a.volume_id}
    if detail:
        d.update({"attached_at": _t(a.attach_time), "detached_at": _t(a.detach_time),
                  "attach_mode": a.attach_mode, "connection_info": a.connection_info or {}})
    return d


# ---- backups -------------------------------------------------------------------------------------------
def backup_summary(call: Call, b: Backup) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "links": links(call, "backups", b.id)}


def backup(call: Call, b: Backup, dependents: set[str]) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": b.id, "status": b.status, "size": b.size, "object_count": b.object_count,
        "availability_zone": b.availability_zone, "container": b.container, "created_at": _t(b.created_at),
        "updated_at": _t(b.updated_at), "name": b.name, "description": b.description,
        "fail_reason": b.fail_reason, "volume_id": b.volume_id, "links": links(call, "backups", b.id),
        "is_incremental": b.is_incremental, "has_dependent_backups": b.id in dependents,
        "snapshot_id": b.snapshot_id, "data_timestamp": _t(b.data_timestamp),
    }
    version = mv(call)
    if version >= (3, 18) and vm(call).st.allowed(call.ctx, "backup:backup_project_attribute", b.project_id):
        d["os-backup-project-attr:project_id"] = b.project_id
    if version >= (3, 43):
        d["metadata"] = dict(b.meta)
    if version >= (3, 56):
        d["user_id"] = b.user_id
    if version >= (3, 64):
        d["encryption_key_id"] = None
    return d


# ---- transfers ------------------------------------------------------------------------------------------
def transfer(call: Call, t: Transfer, detail: bool = True, auth_key: str | None = None) -> dict[str, Any]:
    coll = "volume-transfers" if mv(call) >= (3, 55) else "os-volume-transfer"
    d: dict[str, Any] = {"id": t.id, "name": t.name, "volume_id": t.volume_id, "links": links(call, coll, t.id)}
    if detail:
        d["created_at"] = _t(t.created_at)
        if mv(call) >= (3, 55):
            d["no_snapshots"] = t.no_snapshots
        if mv(call) >= (3, 57):
            d.update({"destination_project_id": None, "source_project_id": t.project_id, "accepted": False})
    if auth_key is not None:
        d["auth_key"] = auth_key
    return d
