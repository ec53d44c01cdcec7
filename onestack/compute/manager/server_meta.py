"""Server metadata and server tags."""

from __future__ import annotations

import sqlalchemy as sa

from onestack.compute.manager import common as c
from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.models import InstanceTag
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, NotFound

META_STATES = (c.ACTIVE, c.PAUSED, c.SUSPENDED, c.STOPPED, c.SHELVED, c.SHELVED_OFFLOADED)
TAG_STATES = (c.ACTIVE, c.BUILDING, c.PAUSED, c.SUSPENDED, c.STOPPED, c.SHELVED, c.SHELVED_OFFLOADED)
MAX_TAGS = 50


class ServerMetaManager:
    def __init__(self, db: Database, quotas: QuotaManager) -> None:
        self.db = db
        self.quotas = quotas

    # ---- metadata ---------------------------------------------------------------
    def metadata(self, ctx: RequestContext, uuid: str) -> dict[str, str]:
        with self.db.session() as s:
            return dict(c.get_instance(s, ctx, uuid).metadata_ or {})

    def set_metadata(self, ctx: RequestContext, uuid: str, items: dict[str, str], replace: bool
                     ) -> dict[str, str]:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_lock(ctx, inst)
            c.check_state(inst, "update metadata", META_STATES, None)
            meta = {} if replace else dict(inst.metadata_ or {})
            meta.update(items)
            self.quotas.check_metadata(inst.project_id, len(meta))
            inst.metadata_ = meta
            inst.updated_at = utcnow()
            return dict(meta)

    def delete_metadata(self, ctx: RequestContext, uuid: str, key: str) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_lock(ctx, inst)
            c.check_state(inst, "delete metadata", META_STATES, None)
            meta = dict(inst.metadata_ or {})
            if key not in meta:
                raise NotFound("Metadata item was not found")
            del meta[key]
            inst.metadata_ = meta
            inst.updated_at = utcnow()

    # ---- tags ---------------------------------------------------------------------
    def tags(self, ctx: RequestContext, uuid: str) -> list[str]:
        with self.db.session() as s:
            c.get_instance(s, ctx, uuid)
            return list(s.scalars(sa.select(InstanceTag.tag).where(InstanceTag.instance_uuid == uuid)
                                  .order_by(InstanceTag.tag)))

    def has_tag(self, ctx: RequestContext, uuid: str, tag: str) -> None:
        with self.db.session() as s:
            c.get_instance(s, ctx, uuid)
            if s.get(InstanceTag, (uuid, tag)) is None:
                raise NotFound(f"Tag {tag} could not be found.")

    def add_tag(self, ctx: RequestContext, uuid: str, tag: str) -> bool:
        """True if the tag was new."""
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_state(inst, "update tag", TAG_STATES, None)
            if s.get(InstanceTag, (uuid, tag)) is not None:
                return False
            n = s.scalar(sa.select(sa.func.count()).select_from(InstanceTag).where(
                InstanceTag.instance_uuid == uuid)) or 0
            if n >= MAX_TAGS:
                raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
            s.add(InstanceTag(instance_uuid=uuid, tag=tag))
            inst.updated_at = utcnow()
            return True

    def replace_tags(self, ctx: RequestContext, uuid: str, tags: list[str]) -> list[str]:
        tags = sorted(set(tags))
        if len(tags) > MAX_TAGS:
            raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_state(inst, "update tags", TAG_STATES, None)
            s.execute(sa.delete(InstanceTag).where(InstanceTag.instance_uuid == uuid))
            for t in tags:
                s.add(InstanceTag(instance_uuid=uuid, tag=t))
            inst.updated_at = utcnow()
        return tags

    def delete_tag(self, ctx: RequestContext, uuid: str, tag: str | None) -> None:
        with self.db.session() as s:
            inst = c.get_instance(s, ctx, uuid, for_update=True)
            c.check_state(inst, "delete tags", TAG_STATES, None)
            q = sa.delete(InstanceTag).where(InstanceTag.instance_uuid == uuid)
            if tag is not None:
                if s.get(InstanceTag, (uuid, tag)) is None:
                    raise NotFound(f"Tag {tag} could not be found.")
                q = q.where(InstanceTag.tag == tag)
            s.execute(q)
            inst.updated_at = utcnow()
