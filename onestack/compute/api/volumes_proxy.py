"""The volume proxy (``/os-volumes``, ``/os-snapshots``), removed at 2.36.

Nova reads and writes the block storage service on the caller's behalf (with
the caller's context: what may be seen or changed is Cinder's policy, after
nova's own rule); the views are nova's (``nova/api/openstack/compute/volumes.py``):
camelCase keys, one attachment shown, ``[{}]`` when there is none.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.manager.common import fmt_time
from onestack.compute.microversions import Version
from onestack.core.errors import ApiError, BadRequest, NotFound
from onestack.core.web import Call, json_response

_R = "os-volumes:"


def _volume_schema(v: Version) -> dict[str, Any]:
    return t.wrap("volume", t.obj({
        "volume_type": {"type": "string"}, "metadata": {"type": "object"},
        "snapshot_id": {"type": "string"},
        "size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
        "availability_zone": {"type": "string"}, "display_name": {"type": "string"},
        "display_description": {"type": "string"}}, ["size"]))


def _snapshot_schema(v: Version) -> dict[str, Any]:
    return t.wrap("snapshot", t.obj({
        "volume_id": {"type": "string"}, "force": t.boolean, "display_name": {"type": "string"},
        "display_description": {"type": "string"}}, ["volume_id"]))


def _authorized_vm(call: Call, rule: str) -> Any:
    if d.mv(call) > (2, 35):
        raise NotFound("The resource could not be found.")
    d.authorize(call, _R + rule)
    vm = d.cm(call).volume
    if vm is None:
        raise NotFound("The block storage service is not enabled in this cloud.")
    return vm


def _volume_view(vm: Any, vol: Any) -> dict[str, Any]:
    atts = vm.volumes.attachments_of([vol.id]).get(vol.id, [])
    attachments: list[dict[str, Any]] = [{}]
    if atts:
        a = atts[0]
        attachments = [{"id": vol.id, "volumeId": vol.id, "serverId": a.instance_uuid}]
        if a.mountpoint:
            attachments[0]["device"] = a.mountpoint
    vtype = None
    if vol.volume_type_id:
        types = vm.volumes.types_of({vol.volume_type_id})
        vtype = types[vol.volume_type_id].name if vol.volume_type_id in types else vol.volume_type_id
    return {"id": vol.id, "status": vol.status, "size": vol.size, "availabilityZone": vol.availability_zone,
            "createdAt": fmt_time(vol.created_at), "attachments": attachments, "displayName": vol.name,
            "displayDescription": vol.description, "volumeType": vtype, "snapshotId": vol.snapshot_id,
            "metadata": dict(vol.meta or {})}


def _snapshot_view(snap: Any) -> dict[str, Any]:
    return {"id": snap.id, "volumeId": snap.volume_id, "status": snap.status, "size": snap.size,
            "createdAt": fmt_time(snap.created_at), "displayName": snap.name,
            "displayDescription": snap.description}


def _query(call: Call) -> Any:
    from onestack.volume.manager.listing import ListQuery

    return ListQuery(limit=d.qint(call, "limit"), offset=d.qint(call, "offset") or 0,
                     sort=[("created_at", "desc")])


def _as_400(e: ApiError) -> ApiError:
    return BadRequest(str(e)) if e.status in (400, 409) else e


# ---- volumes ---------------------------------------------------------------------------
def volume_index(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "list")
    vols, _ = vm.volumes.list(call.ctx, _query(call))
    return {"volumes": [_volume_view(vm, v) for v in vols]}


def volume_detail(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "detail")
    vols, _ = vm.volumes.list(call.ctx, _query(call))
    return {"volumes": [_volume_view(vm, v) for v in vols]}


def volume_show(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "show")
    return {"volume": _volume_view(vm, vm.volumes.get(call.ctx, call.params["volume_id"]))}


def volume_create(call: Call) -> Response:
    vm = _authorized_vm(call, "create")
    body = d.validate(call, _volume_schema)["volume"]
    req: dict[str, Any] = {"size": int(body["size"]), "name": body.get("display_name"),
                           "description": body.get("display_description")}
    for key in ("volume_type", "metadata", "snapshot_id", "availability_zone"):
        if body.get(key) is not None:
            req[key] = body[key]
    if req.get("snapshot_id"):
        try:
            vm.snapshots.get(call.ctx, req["snapshot_id"])
        except NotFound:
            raise NotFound(f"Snapshot {req['snapshot_id']} could not be found.") from None
    try:
        vol = vm.volumes.create(call.ctx, req)
    except ApiError as e:
        raise _as_400(e) from None
    return json_response({"volume": _volume_view(vm, vol)}, 200,
                         {"Location": f"{d.root(call)}/os-volumes/{vol.id}"})


def volume_delete(call: Call) -> Response:
    vm = _authorized_vm(call, "delete")
    try:
        vm.volumes.delete(call.ctx, call.params["volume_id"])
    except ApiError as e:
        raise _as_400(e) from None
    return Response(status_code=202)


# ---- snapshots ---------------------------------------------------------------------------
def snapshot_index(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "snapshots:list")
    snaps, _ = vm.snapshots.list(call.ctx, _query(call))
    return {"snapshots": [_snapshot_view(s) for s in snaps]}


def snapshot_detail(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "snapshots:detail")
    snaps, _ = vm.snapshots.list(call.ctx, _query(call))
    return {"snapshots": [_snapshot_view(s) for s in snaps]}


def snapshot_show(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "snapshots:show")
    return {"snapshot": _snapshot_view(vm.snapshots.get(call.ctx, call.params["snapshot_id"]))}


def snapshot_create(call: Call) -> dict[str, Any]:
    vm = _authorized_vm(call, "snapshots:create")
    body = d.validate(call, _snapshot_schema)["snapshot"]
    force = body.get("force", False)
    if isinstance(force, str):
        force = force.lower() in ("true", "1", "on", "yes", "y", "t")
    req = {"volume_id": body["volume_id"], "name": body.get("display_name"),
           "description": body.get("display_description"), "force": bool(force)}
    try:
        snap = vm.snapshots.create(call.ctx, req, allow_in_use=bool(force))
    except ApiError as e:
        raise _as_400(e) from None
    return {"snapshot": _snapshot_view(snap)}


def snapshot_delete(call: Call) -> Response:
    vm = _authorized_vm(call, "snapshots:delete")
    try:
        vm.snapshots.delete(call.ctx, call.params["snapshot_id"])
    except ApiError as e:
        raise _as_400(e) from None
    return Response(status_code=202)
