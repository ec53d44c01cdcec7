"""Quota sets: limits per project (defaults unless set), usage summed in SQL,
and the check made before anything that consumes quota.

The check holds under concurrency.  It takes the project's quota lock first (a row
of ``volume_quotas`` held until the commit, ``QuotaManager.lock``): the
transactions that consume a project's quota take turns from their check to their
commit, and each one counts what those before it committed, as it runs in a
``QuotaManager.session`` (read committed on every backend).  The callers run under
``retry_transaction``: a deadlock, or two first creates of the lock row, runs the
unit of work again instead of failing it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import ApiError, BadRequest
from onestack.core.quota_lock import LOCK_ROW, quota_session, take_lock
from onestack.core.retry import retry_transaction
from onestack.volume.manager.common import EXTENDING_TO, State
from onestack.volume.models import Backup, Quota, Snapshot, Volume, VolumeType

DEFAULTS: dict[str, int] = {
    "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10, "backup_gigabytes": 1000,
    "per_volume_gigabytes": -1, "groups": 10,
}
PER_TYPE = ("volumes", "gigabytes", "snapshots")
# the resource of a project's lock row: no limit has this name, so no view shows it


class OverQuota(ApiError):
    status, title = 413, "Request Entity Too Large"


class QuotaManager:
    def __init__(self, st: State) -> None:
        self.st = st

    def resources(self, s: Session) -> list[str]:
        names = list(DEFAULTS)
        for t in s.scalars(sa.select(VolumeType.name).order_by(VolumeType.name)):
            names += [f"{r}_{t}" for r in PER_TYPE]
        return names

    def limits(self, s: Session, project_id: str) -> dict[str, int]:
        out = {r: DEFAULTS.get(r, -1) for r in self.resources(s)}
        for q in s.scalars(sa.select(Quota).where(Quota.project_id.in_((project_id, "__default__")))):
            if q.project_id == "__default__" and q.resource in out:
                out[q.resource] = q.hard_limit
        for q in s.scalars(sa.select(Quota).where(Quota.project_id == project_id)):
            if q.resource in out:
                out[q.resource] = q.hard_limit
        return out

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """A unit of work that consumes quota (``check``): ``core.quota_lock``."""
        return quota_session(self.st.db)

    def lock(self, s: Session, project_id: str) -> None:
        """Hold the project's quota lock until ``s`` commits (``core.quota_lock``)."""
        take_lock(s, Quota, project_id=project_id, resource=LOCK_ROW)

    def usage(self, s: Session, project_id: str) -> dict[str, int]:
        vols, gbs = s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Volume.size), 0))
                              .where(Volume.project_id == project_id)).one()
        snaps, sgbs = s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Snapshot.size), 0))
                                .where(Snapshot.project_id == project_id)).one()
        backups, bgbs = s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Backup.size), 0))
                                  .where(Backup.project_id == project_id)).one()
        out = {"volumes": int(vols), "gigabytes": int(gbs) + int(sgbs), "snapshots": int(snaps),
               "backups": int(backups), "backup_gigabytes": int(bgbs), "per_volume_gigabytes": 0, "groups": 0}
        names = _type_names(s)
        for name in names.values():
            for r in PER_TYPE:
                out[f"{r}_{name}"] = 0
        for tid, n, g in s.execute(sa.select(Volume.volume_type_id, sa.func.count(), sa.func.sum(Volume.size))
                                   .where(Volume.project_id == project_id).group_by(Volume.volume_type_id)):
            if tid in names:
                out[f"volumes_{names[tid]}"] += int(n)
                out[f"gigabytes_{names[tid]}"] += int(g or 0)
        for tid, n, g in s.execute(
                sa.select(Volume.volume_type_id, sa.func.count(), sa.func.sum(Snapshot.size))
                .join(Volume, Volume.id == Snapshot.volume_id)
                .where(Snapshot.project_id == project_id).group_by(Volume.volume_type_id)):
            if tid in names:
                out[f"snapshots_{names[tid]}"] += int(n)
                out[f"gigabytes_{names[tid]}"] += int(g or 0)
        return out

    def reserved(self, s: Session, project_id: str, *, hold: bool = False) -> dict[str, int]:
        """What extends in progress hold (Cinder's reservations): a volume's size
        changes when its extend completes, the target is kept in its admin metadata
        meanwhile.  ``hold``: those volumes stay as they are until ``s`` commits (their
        extends complete after it), so a count that follows finds each extend once."""
        stmt = (sa.select(Volume.size, Volume.admin_meta, Volume.volume_type_id)
                .where(Volume.project_id == project_id, Volume.status == "extending"))
        rows = list(s.execute(stmt.with_for_update(read=True) if hold else stmt))
        out: dict[str, int] = {}
        if not rows:
            return out
        names = _type_names(s)
        for size, admin_meta, type_id in rows:
            grow = max(0, int((admin_meta or {}).get(EXTENDING_TO, size)) - size)
            for res in ("gigabytes", f"gigabytes_{names[type_id]}") if type_id in names else ("gigabytes",):
                out[res] = out.get(res, 0) + grow
        return out

    def consumed(self, s: Session, project_id: str) -> dict[str, int]:
        """Used and reserved, as the latest commits have them: what a check counts
        (under the project's lock: nothing else adds to it meanwhile)."""
        held = self.reserved(s, project_id, hold=True)
        out = self.usage(s, project_id)
        for res, n in held.items():
            out[res] = out.get(res, 0) + n
        return out

    def check(self, s: Session, project_id: str, type_name: str | None = None, **deltas: int) -> None:
        """Raise 413 when adding ``deltas`` (e.g. ``volumes=1, gigabytes=10``) would
        exceed a limit (the per-type limits too, when ``type_name`` is given).  Else
        the project's lock is held until ``s`` commits: insert what was checked in
        the same transaction (and run it under ``retry_transaction``)."""
        self.lock(s, project_id)
        limits = self.limits(s, project_id)
        if "gigabytes" in deltas and "volumes" in deltas:
            per = limits.get("per_volume_gigabytes", -1)
            if per >= 0 and deltas["gigabytes"] > per:
                raise OverQuota(f"VolumeSizeExceedsLimit: Requested volume size {deltas['gigabytes']}G is "
                                f"larger than maximum allowed limit {per}G.")
        used = self.consumed(s, project_id)
        checks = dict(deltas)
        if type_name:
            for r in PER_TYPE:
                if r in deltas:
                    checks[f"{r}_{type_name}"] = deltas[r]
        for res, add in checks.items():
            limit = limits.get(res, -1)
            if limit < 0 or add <= 0:
                continue
            if used.get(res, 0) + add > limit:
                base = res.split("_", 1)[0] if res not in DEFAULTS else res
                if base in ("gigabytes", "backup") or res.startswith(("gigabytes", "backup_gigabytes")):
                    raise OverQuota(
                        f"VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
                        f"{res} quota. Requested {add}G, quota is {limit}G and {used.get(res, 0)}G "
                        "has been consumed.")
                raise OverQuota(f"Maximum number of {res} allowed ({limit}) exceeded for quota '{res}'.")

    # ---- the API -----------------------------------------------------------------------
    def show(self, ctx: RequestContext, project_id: str, usage: bool = False) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:quotas:show", project_id)
        with self.st.db.session() as s:
            limits = self.limits(s, project_id)
            if not usage:
                return {"id": project_id, **limits}
            used, held = self.usage(s, project_id), self.reserved(s, project_id)
            return {"id": project_id, **{r: {"limit": lim, "in_use": used.get(r, 0), "reserved": held.get(r, 0),
                                              "allocated": 0}
                                         for r, lim in limits.items()}}

    def defaults(self, ctx: RequestContext, project_id: str) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:quotas:show", project_id)
        with self.st.db.session() as s:
            return {"id": project_id, **self.limits(s, "__default__")}

    @retry_transaction
    def update(self, ctx: RequestContext, project_id: str, values: dict[str, Any]) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:quotas:update", project_id)
        with self.session() as s:
            # in turn with the project's creates: a limit is never set below what they made
            self.lock(s, project_id)
            known = set(self.resources(s))
            used = self.consumed(s, project_id)
            for res, val in values.items():
                if res not in known:
                    raise BadRequest(f"Bad key(s) in quota set: {res}")
                try:
                    n = int(val)
                except (TypeError, ValueError):
                    raise BadRequest(f"Quota limit {val!r} for {res} must be an integer.") from None
                if isinstance(val, bool) or n < -1 or n > 2**31 - 1:
                    raise BadRequest(f"Quota limit {val!r} for {res} must be -1 or a non-negative integer.")
                if 0 <= n < used.get(res, 0) and res != "per_volume_gigabytes":
                    raise BadRequest(f"Quota limit {n} for {res} must be greater than or equal to already "
                                     f"used and reserved {used.get(res, 0)}.")
                q = s.get(Quota, (project_id, res))
                if q is None:
                    s.add(Quota(project_id=project_id, resource=res, hard_limit=n))
                else:
                    q.hard_limit = n
            s.flush()
            return self.limits(s, project_id)

    def delete(self, ctx: RequestContext, project_id: str) -> None:
        self.st.enforce(ctx, "volume_extension:quotas:delete", project_id)
        with self.st.db.session() as s:
            s.execute(sa.delete(Quota).where(Quota.project_id == project_id))

    def class_defaults(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:quota_classes:get")
        with self.st.db.session() as s:
            return {"id": name, **self.limits(s, "__default__")}

    def update_class_defaults(self, ctx: RequestContext, name: str, values: dict[str, Any]) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:quota_classes:update")
        if name != "default":
            raise BadRequest("Only the 'default' quota class is supported.")
        with self.st.db.session() as s:
            known = set(self.resources(s))
            for res, val in values.items():
                if res not in known:
                    continue
                try:
                    n = int(val)
                except (TypeError, ValueError):
                    raise BadRequest(f"Quota limit {val!r} for {res} must be an integer.") from None
                if n < -1:
                    raise BadRequest(f"Quota limit {val!r} for {res} must be -1 or more.")
                q = s.get(Quota, ("__default__", res))
                if q is None:
                    s.add(Quota(project_id="__default__", resource=res, hard_limit=n))
                else:
                    q.hard_limit = n
            s.flush()
            return {"id": name, **self.limits(s, "__default__")}


def _type_names(s: Session) -> dict[str, str]:
    return {r[0]: r[1] for r in s.execute(sa.select(VolumeType.id, VolumeType.name))}
