"""User messages (3.3+): what Cinder tells a project when something it asked for
failed in the background (no valid backend, a driver error, ...), with Cinder's
event ids (``VOLUME_<resource>_<action>_<detail>``) and texts."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import NotFound
from onestack.volume.manager.common import State, new_id
from onestack.volume.manager.listing import ListQuery, page
from onestack.volume.models import Message

LOG = logging.getLogger(__name__)
TTL = dt.timedelta(days=30)
SORT_KEYS = ("id", "created_at", "event_id", "message_level", "resource_type", "resource_uuid", "request_id")

# (id, text) as upstream's message_field.Action / Detail
SCHEDULE_ALLOCATE_VOLUME = ("001", "schedule allocate volume")
COPY_VOLUME_TO_IMAGE = ("003", "copy volume to image")
COPY_IMAGE_TO_VOLUME = ("005", "copy image to volume")
EXTEND_VOLUME = ("007", "extend volume")
CREATE_VOLUME_FROM_BACKEND = ("008", "create volume from backend storage")
SNAPSHOT_CREATE = ("009", "create snapshot")
SNAPSHOT_DELETE = ("010", "delete snapshot")
BACKUP_CREATE = ("013", "create backup")
BACKUP_DELETE = ("014", "delete backup")
BACKUP_RESTORE = ("015", "restore backup")

UNKNOWN_ERROR = ("001", "An unknown error occurred.")
NO_BACKEND_AVAILABLE = ("003", "Could not find any available weighted backend.")
FAILED_TO_UPLOAD_VOLUME = ("004", "Failed to upload volume to image at image service.")
SNAPSHOT_CREATE_ERROR = ("013", "Snapshot failed to create.")
SNAPSHOT_DELETE_ERROR = ("016", "Snapshot failed to delete.")


class MessageManager:
    def __init__(self, st: State) -> None:
        self.st = st

    def record(self, project_id: str, request_id: str, resource_type: str, resource_uuid: str | None,
               action: tuple[str, str], detail: tuple[str, str]) -> None:
        """Never raises: a message is a courtesy, the status already tells the truth."""
        now = utcnow()
        try:
            with self.st.db.session() as s:
                s.add(Message(id=new_id(), project_id=project_id, request_id=request_id or "",
                              resource_type=resource_type, resource_uuid=resource_uuid,
                              event_id=f"VOLUME_{resource_type}_{action[0]}_{detail[0]}", message_level="ERROR",
                              user_message=f"{action[1]}: {detail[1]}", created_at=now, expires_at=now + TTL))
                s.execute(sa.delete(Message).where(Message.expires_at < now))
        except Exception:
            LOG.exception("could not record a user message for %s %s", resource_type, resource_uuid)

    def _get(self, s: sa.orm.Session, ctx: RequestContext, message_id: str) -> Message:
        m = s.get(Message, message_id) if len(message_id) <= 36 else None
        if m is None or (m.project_id != ctx.project_id and not self.st.is_admin(ctx)):
            raise NotFound(f"Message {message_id} could not be found.")
        return m

    def get(self, ctx: RequestContext, message_id: str) -> Message:
        with self.st.db.session() as s:
            m = self._get(s, ctx, message_id)
            self.st.enforce(ctx, "message:get", m.project_id)
            return m

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Message], int | None]:
        self.st.enforce(ctx, "message:get_all")
        stmt = sa.select(Message).where(Message.expires_at >= utcnow())
        if not (q.all_tenants and self.st.is_admin(ctx)):
            stmt = stmt.where(Message.project_id == ctx.project_id)
        for key, val in q.filters.items():
            if key in ("event_id", "resource_type", "resource_uuid", "message_level", "request_id"):
                stmt = stmt.where(getattr(Message, key) == val)
        with self.st.db.session() as s:
            return page(s, stmt, Message, q, "message")

    def delete(self, ctx: RequestContext, message_id: str) -> None:
        with self.st.db.session() as s:
            m = self._get(s, ctx, message_id)
            self.st.enforce(ctx, "message:delete", m.project_id)
            s.delete(m)
