"""/servers/{id}/os-volume_attachments, and ``volumes_attached`` in server views.

Microversions: ``tag`` on create from 2.49 and in views from 2.70;
``delete_on_termination`` on create and in views from 2.79; PUT may change
``delete_on_termination`` from 2.85 (before it, PUT only swaps volumes, which
is Cinder's call during a volume migration: service role, 409 here as no
volume ever migrates); from 2.89 views carry ``attachment_id`` and ``bdm_uuid``
instead of ``id``; ``delete_on_termination`` in ``volumes_attached`` from 2.3.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.microversions import Version
from onestack.compute.models import BlockDeviceMapping, Instance
from onestack.core.errors import BadRequest
from onestack.core.web import Call, json_response

_DEVICE = {"type": ["string", "null"], "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"}
_VOLUME_ID = {"type": "string", "format": "uuid"}
_R = "os-volumes-attachments:"


def _create_schema(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"volumeId": _VOLUME_ID, "device": _DEVICE}
    if v >= (2, 49):
        props["tag"] = t.tag
    if v >= (2, 79):
        props["delete_on_termination"] = t.boolean
    return t.wrap("volumeAttachment", t.obj(props, ["volumeId"]))


def _update_schema(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"volumeId": _VOLUME_ID}
    if v >= (2, 85):
        props.update(device=_DEVICE, tag=t.tag, delete_on_termination=t.boolean,
                     serverId={"type": "string", "format": "uuid"}, id={"type": "string", "format": "uuid"})
    return t.wrap("volumeAttachment", t.obj(props, ["volumeId"]))


def _authorized(call: Call, rule: str) -> Instance:
    inst = d.cm(call).servers.get(call.ctx, call.params["server_id"])
    d.authorize(call, _R + rule, inst.project_id)
    return inst


def view(bdm: BlockDeviceMapping, v: Version) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if v < (2, 89):
        out["id"] = bdm.volume_id
    out["volumeId"] = bdm.volume_id
    out["serverId"] = bdm.instance_uuid
    if bdm.device_name:
        out["device"] = bdm.device_name
    if v >= (2, 70):
        out["tag"] = bdm.tag
    if v >= (2, 79):
        out["delete_on_termination"] = bool(bdm.delete_on_termination)
    if v >= (2, 89):
        out["attachment_id"] = bdm.attachment_id
        out["bdm_uuid"] = bdm.uuid
    return out


def index(call: Call) -> dict[str, Any]:
    v = d.mv(call)
    if v >= (2, 75):
        unknown = sorted(set(call.query) - {"limit", "offset"})
        if unknown:
            raise BadRequest(f"Invalid input for query parameters {unknown[0]}. Additional properties are "
                             f"not allowed ('{unknown[0]}' was unexpected)")
    inst = _authorized(call, "index")
    limit = d.qint(call, "limit")
    offset = d.qint(call, "offset") or 0
    bdms = d.cm(call).volume_attachments.list(call.ctx, inst.uuid, limit=limit, offset=offset)
    return {"volumeAttachments": [view(b, v) for b in bdms if v < (2, 89) or b.attachment_id]}


def show(call: Call) -> dict[str, Any]:
    inst = _authorized(call, "show")
    bdm = d.cm(call).volume_attachments.get(call.ctx, inst.uuid, call.params["volume_id"])
    return {"volumeAttachment": view(bdm, d.mv(call))}


def create(call: Call) -> Response:
    v = d.mv(call)
    body = d.validate(call, _create_schema)["volumeAttachment"]
    inst = _authorized(call, "create")
    dot = body.get("delete_on_termination", False)
    if isinstance(dot, str):
        dot = dot.lower() in ("true", "1", "on", "yes", "y", "t")
    bdm = d.cm(call).volume_attachments.attach(call.ctx, inst.uuid, body["volumeId"], body.get("device"),
                                               tag=body.get("tag"), delete_on_termination=bool(dot))
    out: dict[str, Any] = {"id": bdm.volume_id, "serverId": inst.uuid, "volumeId": bdm.volume_id,
                           "device": bdm.device_name}
    if v >= (2, 70):
        out["tag"] = bdm.tag
    if v >= (2, 79):
        out["delete_on_termination"] = bool(bdm.delete_on_termination)
    return json_response({"volumeAttachment": out}, 200)


def update(call: Call) -> Response:
    v = d.mv(call)
    att = d.validate(call, _update_schema)["volumeAttachment"]
    inst = d.cm(call).servers.get(call.ctx, call.params["server_id"])
    old, new = call.params["volume_id"], att["volumeId"]
    swap = v < (2, 85) or old != new
    d.authorize(call, _R + ("swap" if swap else "update"), None if swap else inst.project_id)
    va = d.cm(call).volume_attachments
    if not swap:
        va.update(call.ctx, inst.uuid, old, att)
    else:
        if v >= (2, 85):
            va.update(call.ctx, inst.uuid, old, {k: val for k, val in att.items() if k != "volumeId"})
        va.swap(call.ctx, inst.uuid, old, new)
    return Response(status_code=202)


def delete(call: Call) -> Response:
    inst = _authorized(call, "delete")
    d.cm(call).volume_attachments.detach(call.ctx, inst.uuid, call.params["volume_id"])
    return Response(status_code=202)


def add_volumes_attached(call: Call, servers: list[dict[str, Any]]) -> None:
    """``os-extended-volumes:volumes_attached`` ([{"id"}], + ``delete_on_termination`` from 2.3)."""
    if not servers or "os-extended-volumes:volumes_attached" not in servers[0]:
        return
    v = d.mv(call)
    attached = d.cm(call).volume_attachments.volumes_attached([srv["id"] for srv in servers])
    for srv in servers:
        vols = attached.get(srv["id"], [])
        srv["os-extended-volumes:volumes_attached"] = (
            vols if v >= (2, 3) else [{"id": x["id"]} for x in vols])
