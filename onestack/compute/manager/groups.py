"""Server groups (affinity, anti-affinity, soft-*)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import sqlalchemy as sa

from onestack.compute.manager.common import is_admin
from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.models import Instance, ServerGroup, ServerGroupMember
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest, NotFound
from onestack.core.retry import retry_transaction


class GroupManager:
    def __init__(self, db: Database, quotas: QuotaManager) -> None:
        self.db = db
        self.quotas = quotas

    def members(self, uuids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {u: [] for u in uuids}
        with self.db.session() as s:
            rows = s.execute(sa.select(ServerGroupMember.group_uuid, ServerGroupMember.instance_uuid)
                             .join(Instance, Instance.uuid == ServerGroupMember.instance_uuid)
                             .where(ServerGroupMember.group_uuid.in_(uuids), Instance.deleted.is_(False)))
            for g, i in rows:
                out[g].append(i)
        return out

    def list(self, ctx: RequestContext, all_projects: bool, limit: int | None, offset: int | None
             ) -> list[ServerGroup]:
        q = sa.select(ServerGroup).order_by(ServerGroup.created_at, ServerGroup.uuid)
        if not all_projects:
            q = q.where(ServerGroup.project_id == ctx.project_id)
        if offset:
            q = q.offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.db.session() as s:
            return list(s.scalars(q))

    def get(self, ctx: RequestContext, uuid: str) -> ServerGroup:
        with self.db.session() as s:
            g = s.get(ServerGroup, uuid)
            if g is None or (g.project_id != ctx.project_id and not is_admin(ctx)):
                raise NotFound(f"Instance group {uuid} could not be found.")
            return g

    def create(self, ctx: RequestContext, name: str, policy: str, rules: dict[str, Any]) -> ServerGroup:
        if rules and policy != "anti-affinity":
            raise BadRequest(f"Only anti-affinity policy supports rules, not {policy}")
        return self._insert(ctx, name, policy, rules)

    @retry_transaction
    def _insert(self, ctx: RequestContext, name: str, policy: str, rules: dict[str, Any]) -> ServerGroup:
        """The quota check and the insert, one transaction under the project's quota lock."""
        with self.quotas.session() as s:
            self.quotas.check_server_groups(s, ctx.project_id or "")
            g = ServerGroup(uuid=str(uuidlib.uuid4()), project_id=ctx.project_id or "",
                            user_id=ctx.user_id or "", name=name, policy=policy, rules=dict(rules))
            s.add(g)
            s.flush()
            return g

    def delete(self, ctx: RequestContext, uuid: str) -> None:
        self.get(ctx, uuid)
        with self.db.session() as s:
            s.execute(sa.delete(ServerGroupMember).where(ServerGroupMember.group_uuid == uuid))
            s.execute(sa.delete(ServerGroup).where(ServerGroup.uuid == uuid))
