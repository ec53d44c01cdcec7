"""Attachments: the v3 API Nova uses (create -> update(connector) -> complete ->
delete) and the older volume actions (os-reserve, os-attach, os-begin_detaching,
os-roll_detaching, os-detach, os-unreserve, os-initialize_connection,
os-terminate_connection, os-force_detach).

Volume statuses as upstream: available -> reserved (attachment without a
connector) -> attaching (connector given) -> in-use (complete); in-use ->
detaching -> available when the last attachment goes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume.drivers.base import VolumeDriverError
from onestack.volume.manager.common import State, new_id
from onestack.volume.manager.listing import ListQuery, page
from onestack.volume.models import Attachment, Volume

SORT_KEYS = ("id", "created_at", "updated_at", "attach_status", "instance_uuid", "volume_id")


class AttachmentManager:
    def __init__(self, st: State) -> None:
        self.st = st

    # ---- helpers ----------------------------------------------------------------------
    def _live(self, s: Session, volume_id: str) -> list[Attachment]:
        return list(s.scalars(sa.select(Attachment).where(Attachment.volume_id == volume_id)))

    def _check_attachable(self, s: Session, v: Volume, instance_uuid: str | None) -> None:
        others = [a for a in self._live(s, v.id) if a.attach_status != "detached"]
        if v.status in ("available",) or (v.status in ("reserved", "attaching") and not others):
            return
        if v.status in ("in-use", "reserved", "attaching") and v.multiattach:
            if instance_uuid and any(a.instance_uuid == instance_uuid for a in others):
                raise BadRequest(f"Invalid volume: volume {v.id} is already attached to instance "
                                 f"{instance_uuid}.")
            return
        raise BadRequest(f"Invalid volume: Volume {v.id} status must be available or downloading to "
                         f"reserve, but the current status is {v.status}.")

    def _attachment(self, s: Session, ctx: RequestContext, attachment_id: str, *, lock: bool = False
                    ) -> tuple[Attachment, Volume]:
        a = s.get(Attachment, attachment_id, with_for_update=lock) if len(attachment_id) <= 64 else None
        if a is None or (a.project_id != ctx.project_id and not self.st.is_admin(ctx)):
            raise NotFound(f"Volume attachment could not be found with filter: attachment_id = {attachment_id}.")
        v = s.get(Volume, a.volume_id)
        assert v is not None
        return a, v

    def _settle(self, s: Session, v: Volume) -> None:
        """The volume's status from its remaining attachments."""
        live = [a for a in self._live(s, v.id) if a.attach_status != "detached"]
        if any(a.attach_status == "attached" for a in live):
            v.status, v.attach_status = "in-use", "attached"
        elif any(a.attach_status == "attaching" for a in live):
            v.status, v.attach_status = "attaching", "attaching"
        elif live:
            v.status, v.attach_status = "reserved", "reserved"
        else:
            v.status, v.attach_status = "available", "detached"
        v.updated_at = utcnow()

    def _connect(self, v: Volume, a: Attachment, connector: dict[str, Any]) -> None:
        try:
            info = self.st.driver.initialize_connection(v.id, connector)
        except VolumeDriverError as e:
            raise BadRequest(f"Invalid volume: unable to connect the volume: {e}") from None
        info = dict(info)
        data = dict(info.get("data") or {})
        data["access_mode"] = a.attach_mode
        data.setdefault("volume_id", v.id)
        info["data"] = data
        info.setdefault("attachment_id", a.id)
        info.setdefault("serial", v.id)
        a.connector, a.connection_info = connector, info
        a.attached_host = str(connector.get("host") or "") or a.attached_host
        if connector.get("mountpoint"):
            a.mountpoint = str(connector["mountpoint"])

    # ---- the v3 attachments API ------------------------------------------------------------
    def create(self, ctx: RequestContext, volume_id: str, instance_uuid: str | None,
               connector: dict[str, Any] | None = None, mode: str = "rw", mountpoint: str | None = None
               ) -> Attachment:
        """``mountpoint``: the device the instance will see the volume as (what
        compute has chosen, e.g. ``/dev/vdb``); a connector's ``mountpoint`` wins."""
        if mode not in ("rw", "ro"):
            raise BadRequest(f"Invalid input received: Invalid attachment mode {mode}.")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:attachment_create", v.project_id)
            self._check_attachable(s, v, instance_uuid)
            if v.admin_meta.get("readonly") == "True":
                mode = "ro"
            a = Attachment(id=new_id(), volume_id=v.id, project_id=v.project_id, instance_uuid=instance_uuid,
                           mountpoint=mountpoint, attach_mode=mode, attach_status="reserved", created_at=utcnow())
            s.add(a)
            if connector:
                self._connect(v, a, connector)
                a.attach_status = "attaching"
            s.flush()
            self._settle(s, v)
            return a

    def update(self, ctx: RequestContext, attachment_id: str, connector: dict[str, Any]) -> Attachment:
        if not isinstance(connector, dict) or not connector:
            raise BadRequest("Invalid input received: a connector is required.")
        with self.st.db.session() as s:
            a, v = self._attachment(s, ctx, attachment_id, lock=True)
            self.st.enforce(ctx, "volume:attachment_update", a.project_id)
            if a.attach_status not in ("reserved", "attaching", "attached"):
                raise BadRequest(f"Invalid volume: attachment {a.id} is {a.attach_status}.")
            self._connect(v, a, connector)
            if a.attach_status == "reserved":
                a.attach_status = "attaching"
            a.updated_at = utcnow()
            s.flush()
            self._settle(s, v)
            return a

    def complete(self, ctx: RequestContext, attachment_id: str) -> None:
        with self.st.db.session() as s:
            a, v = self._attachment(s, ctx, attachment_id, lock=True)
            self.st.enforce(ctx, "volume:attachment_complete", a.project_id)
            if a.connection_info is None:
                raise BadRequest("Invalid volume: the attachment has no connector: update it first.")
            a.attach_status, a.attach_time, a.updated_at = "attached", utcnow(), utcnow()
            s.flush()
            self._settle(s, v)

    def delete(self, ctx: RequestContext, attachment_id: str) -> None:
        with self.st.db.session() as s:
            a, v = self._attachment(s, ctx, attachment_id, lock=True)
            self.st.enforce(ctx, "volume:attachment_delete", a.project_id)
            if a.connector is not None:
                try:
                    self.st.driver.terminate_connection(v.id, a.connector)
                except VolumeDriverError as e:
                    raise BadRequest(f"Invalid volume: unable to disconnect the volume: {e}") from None
            s.delete(a)
            s.flush()
            self._settle(s, v)

    def get(self, ctx: RequestContext, attachment_id: str) -> Attachment:
        with self.st.db.session() as s:
            a, _ = self._attachment(s, ctx, attachment_id)
            return a

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Attachment], int | None]:
        admin = self.st.is_admin(ctx)
        stmt = sa.select(Attachment)
        if not (admin and q.all_tenants):
            stmt = stmt.where(Attachment.project_id == ctx.project_id)
        for key, val in q.filters.items():
            if key in ("volume_id", "instance_uuid", "instance_id"):
                stmt = stmt.where((Attachment.volume_id if key == "volume_id" else Attachment.instance_uuid) == val)
            elif key in ("status", "attach_status"):
                stmt = stmt.where(Attachment.attach_status == val)
        with self.st.db.session() as s:
            return page(s, stmt, Attachment, q, "attachment")

    # ---- the older volume actions -------------------------------------------------------------
    def reserve(self, ctx: RequestContext, volume_id: str) -> None:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_actions:reserve", v.project_id)
            if not (v.status == "available" or (v.multiattach and v.status in ("in-use", "attaching"))):
                raise BadRequest(f"Invalid volume: Volume {v.id} status must be available to reserve, but the "
                                 f"current status is {v.status}.")
            v.status, v.updated_at = "attaching", utcnow()

    def unreserve(self, ctx: RequestContext, volume_id: str) -> None:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_actions:unreserve", v.project_id)
            if v.status in ("attaching", "reserved"):
                for a in self._live(s, v.id):
                    if a.attach_status in ("reserved", "attaching"):
                        s.delete(a)
                s.flush()
                self._settle(s, v)

    def attach(self, ctx: RequestContext, volume_id: str, body: dict[str, Any]) -> None:
        instance_uuid = body.get("instance_uuid")
        host_name = body.get("host_name")
        if not instance_uuid and not host_name:
            raise BadRequest("Invalid request to attach volume to an invalid target")
        mode = body.get("mode", "rw")
        if mode not in ("rw", "ro"):
            raise BadRequest("Invalid request to attach volume with an invalid mode. Attaching mode should "
                             "be 'rw' or 'ro'")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_actions:attach", v.project_id)
            if v.status not in ("available", "attaching", "reserved") and not (
                    v.multiattach and v.status == "in-use"):
                raise BadRequest(f"Invalid volume: Volume {v.id} status must be available or attaching, but "
                                 f"the current status is {v.status}.")
            if v.admin_meta.get("readonly") == "True" and mode != "ro":
                raise BadRequest(f"Invalid volume: Volume {v.id} is read-only: attach it with mode 'ro'.")
            pending = [a for a in self._live(s, v.id) if a.attach_status in ("reserved", "attaching")
                       and (a.instance_uuid == instance_uuid or a.instance_uuid is None)]
            a = pending[0] if pending else Attachment(id=new_id(), volume_id=v.id, project_id=v.project_id,
                                                      created_at=utcnow())
            a.instance_uuid = instance_uuid
            a.attached_host = host_name
            a.mountpoint = body.get("mountpoint")
            a.attach_mode, a.attach_status, a.attach_time = mode, "attached", utcnow()
            if not pending:
                s.add(a)
            v.admin_meta = {**v.admin_meta, "attached_mode": mode}
            s.flush()
            self._settle(s, v)

    def begin_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_actions:begin_detaching", v.project_id)
            if v.status != "in-use" or v.attach_status != "attached":
                raise BadRequest(f"Invalid volume: Unable to detach volume. Volume status must be 'in-use' and "
                                 f"attach_status must be 'attached' to detach. Currently: status: "
                                 f"'{v.status}', attach_status: '{v.attach_status}.'")
            v.status, v.updated_at = "detaching", utcnow()

    def roll_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume_extension:volume_actions:roll_detaching", v.project_id)
            if v.status == "detaching":
                self._settle(s, v)

    def detach(self, ctx: RequestContext, volume_id: str, attachment_id: str | None, force: bool = False,
               connector: dict[str, Any] | None = None) -> None:
        rule = ("volume_extension:volume_admin_actions:force_detach" if force
                else "volume_extension:volume_actions:detach")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, rule, v.project_id)
            live = self._live(s, v.id)
            if attachment_id:
                # as Cinder: detaching what is not attached (any more) is not an error
                targets = [a for a in live if a.id == attachment_id]
            elif len(live) > 1 and not force:
                raise BadRequest("Invalid volume: Volume has more than one attachment: an attachment_id is "
                                 "required.")
            else:
                targets = live
            for a in targets:
                if a.connector is not None or connector is not None:
                    try:
                        self.st.driver.terminate_connection(v.id, connector or a.connector)
                    except VolumeDriverError as e:
                        if not force:
                            raise BadRequest(f"Invalid volume: unable to disconnect the volume: {e}") from None
                s.delete(a)
            s.flush()
            self._settle(s, v)
            if v.status == "available":
                v.admin_meta = {k: val for k, val in v.admin_meta.items() if k != "attached_mode"}

    def initialize_connection(self, ctx: RequestContext, volume_id: str, connector: Any) -> dict[str, Any]:
        if not isinstance(connector, dict):
            raise BadRequest("Invalid input received: connector must be an object.")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id)
            self.st.enforce(ctx, "volume_extension:volume_actions:initialize_connection", v.project_id)
            if v.status not in ("available", "attaching", "reserved", "in-use", "detaching"):
                raise BadRequest(f"Invalid volume: Volume {v.id} status must be available, attaching or "
                                 f"in-use, but is {v.status}.")
        try:
            info = dict(self.st.driver.initialize_connection(volume_id, connector))
        except VolumeDriverError as e:
            raise BadRequest(f"Invalid volume: unable to connect the volume: {e}") from None
        data = dict(info.get("data") or {})
        data["access_mode"] = "ro" if v.admin_meta.get("readonly") == "True" else "rw"
        info["data"] = data
        return info

    def terminate_connection(self, ctx: RequestContext, volume_id: str, connector: Any) -> None:
        if not isinstance(connector, dict):
            raise BadRequest("Invalid input received: connector must be an object.")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id)
            self.st.enforce(ctx, "volume_extension:volume_actions:terminate_connection", v.project_id)
        try:
            self.st.driver.terminate_connection(volume_id, connector)
        except VolumeDriverError as e:
            raise BadRequest(f"Invalid volume: unable to disconnect the volume: {e}") from None
