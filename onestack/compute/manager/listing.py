"""GET /servers and /servers/detail: upstream's filters, sorting and
marker/limit paging, all in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from onestack.compute.manager import common as c
from onestack.compute.models import Instance, InstanceTag
from onestack.core.db import Database
from onestack.core.errors import BadRequest

SORT_KEYS: dict[str, Any] = {
    "created_at": Instance.created_at, "updated_at": Instance.updated_at, "uuid": Instance.uuid,
    "display_name": Instance.display_name, "display_description": Instance.display_description,
    "hostname": Instance.hostname, "vm_state": Instance.vm_state, "task_state": Instance.task_state,
    "power_state": Instance.power_state, "image_ref": Instance.image_ref, "key_name": Instance.key_name,
    "launched_at": Instance.launched_at, "terminated_at": Instance.terminated_at,
    "availability_zone": Instance.availability_zone, "locked": Instance.locked,
    "project_id": Instance.project_id, "user_id": Instance.user_id, "progress": Instance.progress,
    "launch_index": Instance.launch_index, "access_ip_v4": Instance.access_ip_v4,
    "access_ip_v6": Instance.access_ip_v6, "config_drive": Instance.config_drive,
    "instance_type_id": Instance.flavor_id, "root_device_name": Instance.root_device_name,
    "kernel_id": Instance.kernel_id, "ramdisk_id": Instance.ramdisk_id,
    "host": Instance.host, "node": Instance.node,
}
ADMIN_SORT_KEYS = {"host", "node"}
MAX_LIMIT = 1000


def parse_time(value: str, name: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"Invalid filter field: {name}. ({value} is not a valid ISO 8601 date)") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "t", "1", "yes", "y", "on"):
        return True
    if v in ("false", "f", "0", "no", "n", "off"):
        return False
    raise BadRequest(f"Invalid value '{value}' for '{name}': must be a boolean")


def _tags(value: str) -> list[str]:
    return [t for t in value.split(",") if t]


class ServerLister:
    def __init__(self, db: Database) -> None:
        self.db = db
        # with the network service: (ctx, ip regex, ip6 regex) -> uuids of the servers
        # holding a matching fixed IP (set by ComputeManager)
        self.ip_filter: Any = None

    def list(self, ctx: Any, q: dict[str, list[str]], *, admin: bool, version: tuple[int, int]
             ) -> list[Instance]:
        def one(name: str) -> str | None:
            vals = q.get(name)
            return vals[-1] if vals else None

        stmt = sa.select(Instance)
        all_tenants = "all_tenants" in q and admin and (one("all_tenants") or "").lower() not in (
            "false", "0", "f", "no", "off")
        project = one("project_id") or one("tenant_id")
        if admin and project:
            stmt = stmt.where(Instance.project_id == project)
        elif not all_tenants:
            stmt = stmt.where(Instance.project_id == ctx.project_id)
        # deleted rows: only with deleted=true (admins) or changes-since/before
        since, before = one("changes-since"), one("changes-before") if version >= (2, 66) else None
        deleted = one("deleted")
        if admin and deleted is not None and _bool(deleted, "deleted"):
            stmt = stmt.where(Instance.deleted.is_(True))
        elif since is None and before is None:
            stmt = stmt.where(Instance.deleted.is_(False))
        if since is not None:
            t = parse_time(since, "changes-since")
            stmt = stmt.where(Instance.updated_at >= t)
        if before is not None:
            t2 = parse_time(before, "changes-before")
            if since is not None and parse_time(since, "changes-since") > t2:
                raise BadRequest("The value of changes-since must be less than or equal to changes-before.")
            stmt = stmt.where(Instance.updated_at <= t2)
        status = one("status")
        if status is not None:
            states = c.STATUS_FILTER.get(status.upper())
            if states is None:
                if version >= (2, 38):
                    raise BadRequest(f"Invalid status value: {status}")
                return []
            vm, task = states
            stmt = stmt.where(Instance.vm_state.in_(vm))
            if task is not None:
                stmt = stmt.where(Instance.task_state.in_(task))
            elif status.upper() not in ("DELETED", "SOFT_DELETED", "ERROR"):
                pass
        name = one("name")
        if name:
            stmt = stmt.where(Instance.display_name.like(f"%{_like(name.strip('^$'))}%", escape="\\"))
        for key, col in (("image", Instance.image_ref), ("flavor", Instance.flavor_id),
                         ("reservation_id", Instance.reservation_id)):
            val = one(key)
            if val:
                stmt = stmt.where(col == val.rstrip("/").rsplit("/", 1)[-1])
        non_admin_283 = version >= (2, 83)
        for key, col in (("availability_zone", Instance.availability_zone), ("key_name", Instance.key_name),
                         ("user_id", Instance.user_id), ("description", Instance.display_description)):
            val = one(key)
            if val is not None and (admin or non_admin_283):
                stmt = stmt.where(col == val)
        if admin or non_admin_283:
            for key, col in (("config_drive", Instance.config_drive),):
                val = one(key)
                if val is not None:
                    stmt = stmt.where(col == ("True" if _bool(val, key) else ""))
        if admin:
            for key, col in (("host", Instance.host), ("node", Instance.node), ("hostname", Instance.hostname),
                             ("uuid", Instance.uuid), ("vm_state", Instance.vm_state),
                             ("task_state", Instance.task_state)):
                val = one(key)
                if val is not None:
                    stmt = stmt.where(col == val)
        ip, ip6 = one("ip"), one("ip6") if version >= (2, 5) or admin else None
        if (ip or ip6) and self.ip_filter is not None:
            stmt = stmt.where(Instance.uuid.in_(sorted(self.ip_filter(ctx, ip, ip6))))
        locked = one("locked")
        if locked is not None and version >= (2, 73):
            stmt = stmt.where(Instance.locked.is_(_bool(locked, "locked")))
        if version >= (2, 26):
            stmt = self._tag_filters(stmt, one)
        # sorting + paging
        keys = q.get("sort_key") or []
        dirs = q.get("sort_dir") or []
        if not keys:
            keys = ["created_at"]
        order: list[tuple[Any, str]] = []
        for i, k in enumerate(keys):
            if k not in SORT_KEYS or (k in ADMIN_SORT_KEYS and not admin):
                if version >= (2, 75) or k not in SORT_KEYS:
                    raise BadRequest(f"Invalid sort_key {k}")
                continue
            d = dirs[i] if i < len(dirs) else (dirs[0] if dirs else "desc")
            if d not in ("asc", "desc"):
                raise BadRequest(f"Invalid sort_dir {d}")
            order.append((SORT_KEYS[k], d))
        tie_dir = order[0][1] if order else "desc"
        order.append((Instance.uuid, tie_dir))
        limit = one("limit")
        n: int | None = None
        if limit is not None:
            try:
                n = int(limit)
            except ValueError:
                raise BadRequest("limit param must be an integer") from None
            if n < 0:
                raise BadRequest("limit param must be positive")
        n = min(n if n is not None else MAX_LIMIT, MAX_LIMIT)
        with self.db.session() as s:
            marker = one("marker")
            if marker is not None:
                m = s.get(Instance, marker)
                if m is None or (not admin and m.project_id != ctx.project_id):
                    raise BadRequest(f"marker [{marker}] not found")
                stmt = stmt.where(_after(order, m))
            stmt = stmt.order_by(*[col.asc() if d == "asc" else col.desc() for col, d in order]).limit(n)
            # read-only rows with the model's attribute names: a page of 1,000
            # servers should not build 1,000 ORM objects
            return s.execute(stmt.with_only_columns(*_ROW_COLUMNS)).all()  # type: ignore[return-value]

    @staticmethod
    def _tag_filters(stmt: Any, one: Any) -> Any:
        def having(tags: list[str]) -> Any:
            return sa.select(InstanceTag.instance_uuid).where(InstanceTag.tag.in_(tags)).group_by(
                InstanceTag.instance_uuid).having(sa.func.count(sa.distinct(InstanceTag.tag)) == len(tags))

        def anyof(tags: list[str]) -> Any:
            return sa.select(InstanceTag.instance_uuid).where(InstanceTag.tag.in_(tags))

        if one("tags"):
            stmt = stmt.where(Instance.uuid.in_(having(_tags(one("tags")))))
        if one("tags-any"):
            stmt = stmt.where(Instance.uuid.in_(anyof(_tags(one("tags-any")))))
        if one("not-tags"):
            stmt = stmt.where(Instance.uuid.not_in(having(_tags(one("not-tags")))))
        if one("not-tags-any"):
            stmt = stmt.where(Instance.uuid.not_in(anyof(_tags(one("not-tags-any")))))
        return stmt


_ROW_COLUMNS = [getattr(Instance, a.key).label(a.key) for a in Instance.__mapper__.column_attrs]


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _after(order: list[tuple[Any, str]], m: Instance) -> Any:
    """Keyset condition: rows strictly after the marker row in this order."""
    clauses = []
    for i, (col, d) in enumerate(order):
        v = getattr(m, col.key)
        eqs = [(pc == getattr(m, pc.key)) if getattr(m, pc.key) is not None else pc.is_(None)
               for pc, _ in order[:i]]
        if v is None:
            # NULLs sort first ascending (SQLite/PostgreSQL differ; keep it simple: skip)
            cmp = col.is_not(None) if d == "asc" else sa.false()
        else:
            cmp = col > v if d == "asc" else sa.or_(col < v, col.is_(None))
        clauses.append(sa.and_(*eqs, cmp))
    return sa.or_(*clauses)
