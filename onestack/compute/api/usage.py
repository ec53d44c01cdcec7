"""os-instance-actions, os-simple-tenant-usage, os-availability-zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onestack.compute.api import deps as d
from onestack.compute.manager.common import fmt_time
from onestack.compute.manager.listing import parse_time
from onestack.compute.models import InstanceAction, InstanceActionEvent
from onestack.core.db import utcnow
from onestack.core.web import Call


def _t(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=None).isoformat(timespec="microseconds")


def _action(a: InstanceAction, v: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"action": a.action, "instance_uuid": a.instance_uuid, "message": a.message,
                           "project_id": a.project_id, "request_id": a.request_id,
                           "start_time": _t(a.start_time), "user_id": a.user_id}
    if v >= (2, 58):
        out["updated_at"] = _t(a.updated_at)
    return out


def _event(e: InstanceActionEvent, v: Any, admin: bool, project_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"event": e.event, "start_time": _t(e.start_time), "finish_time": _t(e.finish_time),
                           "result": e.result}
    if admin:
        out["traceback"] = e.traceback
    if v >= (2, 62):
        import hashlib

        out["hostId"] = hashlib.sha224((project_id + (e.host or "")).encode()).hexdigest() if e.host else ""
        if admin:
            out["host"] = e.host or ""
    if v >= (2, 84) and admin:
        out["details"] = e.details
    return out


def actions_index(call: Call) -> dict[str, Any]:
    v = d.mv(call)
    cm = d.cm(call)
    uuid = call.params["server_id"]
    read_deleted = v >= (2, 21)
    inst = None
    with cm.db.session() as s:
        from onestack.compute.manager.common import get_instance

        inst = get_instance(s, call.ctx, uuid, read_deleted=read_deleted)
    d.authorize(call, "os-instance-actions:list", inst.project_id)
    limit = d.qint(call, "limit") if v >= (2, 58) else None
    since = parse_time(call.query["changes-since"], "changes-since") if v >= (2, 58) and "changes-since" in call.query else None
    before = parse_time(call.query["changes-before"], "changes-before") if v >= (2, 66) and "changes-before" in call.query else None
    items = cm.usage.actions(call.ctx, uuid, read_deleted=read_deleted, limit=limit,
                             marker=call.query.get("marker") if v >= (2, 58) else None, since=since, before=before)
    out: dict[str, Any] = {"instanceActions": [_action(a, v) for a in items]}
    nxt = d.next_link(call, f"servers/{uuid}/os-instance-actions", items, limit, lambda a: a.request_id)
    if nxt:
        out["links"] = nxt
    return out


def action_show(call: Call) -> dict[str, Any]:
    v = d.mv(call)
    cm = d.cm(call)
    uuid = call.params["server_id"]
    act, events = cm.usage.action(call.ctx, uuid, call.params["request_id"], read_deleted=v >= (2, 21))
    d.authorize(call, "os-instance-actions:show", act.project_id)
    out = _action(act, v)
    if v < (2, 51):
        if d.allowed(call, "os-instance-actions:events", act.project_id):
            out["events"] = [_event(e, v, True, act.project_id) for e in events]
    else:
        admin = d.allowed(call, "os-instance-actions:events", act.project_id)
        out["events"] = [_event(e, v, admin, act.project_id) for e in events]
    return {"instanceAction": out}


def _period(call: Call) -> tuple[dt.datetime, dt.datetime]:
    now = utcnow()
    start = parse_time(call.query["start"], "start") if "start" in call.query else now - dt.timedelta(days=1)
    end = parse_time(call.query["end"], "end") if "end" in call.query else now
    return start, end


def usage_index(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-simple-tenant-usage:list")
    start, end = _period(call)
    v = d.mv(call)
    limit = d.qint(call, "limit") if v >= (2, 40) else None
    usages = d.cm(call).usage.tenant_usage(None, start, end, limit, call.query.get("marker") if v >= (2, 40) else None)
    if call.query.get("detailed") not in ("1", "true", "True"):
        for u in usages:
            u.pop("server_usages", None)
    return {"tenant_usages": usages}


def usage_show(call: Call) -> dict[str, Any]:
    project = call.params["project_id"]
    d.authorize(call, "os-simple-tenant-usage:show", project)
    start, end = _period(call)
    v = d.mv(call)
    limit = d.qint(call, "limit") if v >= (2, 40) else None
    usages = d.cm(call).usage.tenant_usage(project, start, end, limit, call.query.get("marker") if v >= (2, 40) else None)
    return {"tenant_usage": usages[0] if usages else {}}


def az_index(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-availability-zone:list")
    zones = d.cm(call).hosts.availability_zones()
    return {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None}
                                     for z in zones]}


def az_detail(call: Call) -> dict[str, Any]:
    d.authorize(call, "os-availability-zone:detail")
    cm = d.cm(call)
    zones: dict[str, dict[str, Any]] = {}
    for n in cm.hosts.nodes():
        up = not n.forced_down
        zones.setdefault(n.availability_zone, {})[n.host] = {"nova-compute": {
            "available": up and not n.disabled, "active": not n.disabled,
            "updated_at": fmt_time(n.updated_at)}}
    out = [{"zoneName": "internal", "zoneState": {"available": True}, "hosts": {
        "onestack": {"nova-scheduler": {"available": True, "active": True, "updated_at": fmt_time(utcnow())},
                     "nova-conductor": {"available": True, "active": True, "updated_at": fmt_time(utcnow())}}}}]
    out += [{"zoneName": z, "zoneState": {"available": True}, "hosts": h} for z, h in sorted(zones.items())]
    return {"availabilityZoneInfo": out}
