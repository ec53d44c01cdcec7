"""Per-project quotas (``/v2.0/quotas``), counted from the resource tables.

Resources register a default and a counter; the L3 side registers ``router``,
``floatingip``, ``security_group``, ``security_group_rule`` with
``mgr.quotas.register(name, default, count)``.  ``check(s, project_id, name, delta)``
raises 409 ``OverQuota`` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.network.manager import attrs
from onestack.network.manager.common import bad_request, over_quota
from onestack.network.models import Network, Port, Quota, Subnet, SubnetPool

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

Counter = Callable[[Session, str], int]


def counter(model: Any) -> Counter:
    """How many rows of ``model`` a project has (for ``register``)."""
    def count(s: Session, project_id: str) -> int:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)
                            .where(model.project_id == project_id)) or 0)
    return count


class Quotas:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr
        self.defaults: dict[str, int] = {}
        self.counters: dict[str, Counter] = {}
        self.register("network", 100, counter(Network))
        self.register("subnet", 100, counter(Subnet))
        self.register("port", 500, counter(Port))
        self.register("subnetpool", -1, counter(SubnetPool))

    def register(self, resource: str, default: int, count: Counter) -> None:
        self.defaults[resource] = default
        self.counters[resource] = count

    def limits(self, s: Session, project_id: str) -> dict[str, int]:
        out = dict(self.defaults)
        for q in s.scalars(sa.select(Quota).where(Quota.project_id == project_id)):
            if q.resource in out:
                out[q.resource] = q.hard_limit
        return out

    def check(self, s: Session, project_id: str, resource: str, delta: int = 1) -> None:
        limit = self.defaults.get(resource, -1)
        q = s.get(Quota, (project_id, resource))
        if q is not None:
            limit = q.hard_limit
        if limit < 0:
            return
        used = self.counters[resource](s, project_id)
        if used + delta > limit:
            raise over_quota(resource)

    # ---- the API -----------------------------------------------------------------------
    def _target(self, project_id: str) -> dict[str, Any]:
        return {"project_id": project_id, "tenant_id": project_id}

    def show(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.mgr.enforce(ctx, "get_quota", self._target(project_id))
        with self.mgr.db.session() as s:
            return self.limits(s, project_id)

    def default(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.mgr.enforce(ctx, "get_quota", self._target(project_id))
        return dict(self.defaults)

    def details(self, ctx: RequestContext, project_id: str) -> dict[str, dict[str, int]]:
        self.mgr.enforce(ctx, "get_quota", self._target(project_id))
        with self.mgr.db.session() as s:
            lim = self.limits(s, project_id)
            return {r: {"limit": lim[r], "used": self.counters[r](s, project_id), "reserved": 0}
                    for r in lim}

    def list(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self.mgr.enforce(ctx, "get_quota", self._target(ctx.project_id or ""))
        with self.mgr.db.session() as s:
            if not ctx.is_admin:
                pids = [ctx.project_id]
            else:
                pids = list(s.scalars(sa.select(Quota.project_id).distinct()))
            out = []
            for pid in pids:
                if pid is None or not s.scalar(sa.select(Quota.project_id).where(Quota.project_id == pid)):
                    continue
                out.append({**self.limits(s, pid), "project_id": pid, "tenant_id": pid})
            return out

    def update(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, int]:
        self.mgr.enforce(ctx, "update_quota", self._target(project_id))
        if not isinstance(body, dict) or not isinstance(body.get("quota"), dict):
            raise bad_request("Invalid input for operation: 'quota' must be an object.", "InvalidInput")
        values = body["quota"]
        values.pop("force", None)
        for k, v in values.items():
            if k not in self.defaults:
                raise bad_request(f"Unrecognized attribute(s) '{k}'")
            values[k] = attrs.integer(-1, 2**31 - 1)(k, v)
        with self.mgr.db.session() as s:
            for k, v in values.items():
                q = s.get(Quota, (project_id, k))
                if q is None:
                    s.add(Quota(project_id=project_id, resource=k, hard_limit=v))
                else:
                    q.hard_limit = v
            s.flush()
            return self.limits(s, project_id)

    def delete(self, ctx: RequestContext, project_id: str) -> None:
        self.mgr.enforce(ctx, "delete_quota", self._target(project_id))
        with self.mgr.db.session() as s:
            s.execute(sa.delete(Quota).where(Quota.project_id == project_id))
