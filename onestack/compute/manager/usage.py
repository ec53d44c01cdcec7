"""Instance actions (os-instance-actions) and os-simple-tenant-usage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from onestack.compute.manager import common as c
from onestack.compute.models import Instance, InstanceAction, InstanceActionEvent
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, NotFound


class UsageManager:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- instance actions -------------------------------------------------------------
    def actions(self, ctx: RequestContext, uuid: str, *, read_deleted: bool, limit: int | None,
                marker: str | None, since: dt.datetime | None, before: dt.datetime | None
                ) -> list[InstanceAction]:
        with self.db.session() as s:
            c.get_instance(s, ctx, uuid, read_deleted=read_deleted)
            q = sa.select(InstanceAction).where(InstanceAction.instance_uuid == uuid)
            if since is not None:
                q = q.where(InstanceAction.updated_at >= since)
            if before is not None:
                q = q.where(InstanceAction.updated_at <= before)
            if marker is not None:
                m = s.scalar(sa.select(InstanceAction).where(InstanceAction.instance_uuid == uuid,
                                                             InstanceAction.request_id == marker))
                if m is None:
                    raise BadRequest(f"Marker {marker} could not be found.")
                q = q.where(InstanceAction.id < m.id)
            q = q.order_by(InstanceAction.id.desc())
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    def action(self, ctx: RequestContext, uuid: str, request_id: str, read_deleted: bool
               ) -> tuple[InstanceAction, list[InstanceActionEvent]]:
        with self.db.session() as s:
            c.get_instance(s, ctx, uuid, read_deleted=read_deleted)
            act = s.scalar(sa.select(InstanceAction).where(InstanceAction.instance_uuid == uuid,
                                                           InstanceAction.request_id == request_id)
                           .order_by(InstanceAction.id.desc()))
            if act is None:
                raise NotFound(f"Action for request_id {request_id} on instance {uuid} not found")
            events = list(s.scalars(sa.select(InstanceActionEvent).where(
                InstanceActionEvent.action_id == act.id).order_by(InstanceActionEvent.id)))
            return act, events

    # ---- simple tenant usage -----------------------------------------------------------
    def tenant_usage(self, project_id: str | None, start: dt.datetime, end: dt.datetime,
                     limit: int | None = None, marker: str | None = None) -> list[dict[str, Any]]:
        if start > end:
            raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
        q = sa.select(Instance).where(
            sa.or_(Instance.terminated_at.is_(None), Instance.terminated_at >= start),
            Instance.created_at <= end).order_by(Instance.created_at, Instance.uuid)
        if project_id:
            q = q.where(Instance.project_id == project_id)
        with self.db.session() as s:
            if marker is not None:
                m = s.get(Instance, marker)
                if m is None:
                    raise BadRequest(f"Marker {marker} could not be found.")
                q = q.where(sa.or_(Instance.created_at > m.created_at,
                                   sa.and_(Instance.created_at == m.created_at, Instance.uuid > m.uuid)))
            if limit is not None:
                q = q.limit(limit)
            rows = list(s.scalars(q))
        now = utcnow()
        by_project: dict[str, dict[str, Any]] = {}
        for inst in rows:
            launched = inst.launched_at or inst.created_at
            stop = min(inst.terminated_at or now, end)
            hours = max((stop - max(launched, start)).total_seconds(), 0) / 3600.0
            f = inst.flavor or {}
            u = by_project.setdefault(inst.project_id, {
                "tenant_id": inst.project_id, "server_usages": [], "total_local_gb_usage": 0.0,
                "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0, "total_hours": 0.0,
                "start": start.replace(tzinfo=None).isoformat(), "stop": end.replace(tzinfo=None).isoformat()})
            state = "terminated" if inst.deleted else inst.vm_state
            u["server_usages"].append({
                "instance_id": inst.uuid, "name": inst.display_name, "hours": hours,
                "memory_mb": f.get("ram", inst.memory_mb), "local_gb": f.get("disk", inst.root_gb),
                "vcpus": f.get("vcpus", inst.vcpus), "tenant_id": inst.project_id,
                "flavor": f.get("name", ""), "started_at": launched.replace(tzinfo=None).isoformat(),
                "ended_at": inst.terminated_at.replace(tzinfo=None).isoformat() if inst.terminated_at else None,
                "state": state, "uptime": int((stop - launched).total_seconds())})
            u["total_hours"] += hours
            u["total_vcpus_usage"] += hours * f.get("vcpus", inst.vcpus)
            u["total_memory_mb_usage"] += hours * f.get("ram", inst.memory_mb)
            u["total_local_gb_usage"] += hours * f.get("disk", inst.root_gb)
        return list(by_project.values())
