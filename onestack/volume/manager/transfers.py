"""Volume transfers: the owner offers a volume (it goes ``awaiting-transfer``)
and hands the ``auth_key`` to another project, which accepts it; the volume (and
its snapshots unless ``no_snapshots``) then belongs to the accepting project."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.retry import retry_transaction
from onestack.volume.manager.common import State, new_id, parse_bool
from onestack.volume.manager.listing import ListQuery, page
from onestack.volume.manager.quotas import QuotaManager
from onestack.volume.models import Snapshot, Transfer, Volume, VolumeType

SORT_KEYS = ("id", "name", "created_at", "volume_id")


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode()).hexdigest()


class TransferManager:
    def __init__(self, st: State, quotas: QuotaManager) -> None:
        self.st = st
        self.quotas = quotas

    def _get(self, s: Any, ctx: RequestContext, transfer_id: str) -> Transfer:
        t = s.get(Transfer, transfer_id) if len(transfer_id) <= 36 else None
        if t is None or (t.project_id != ctx.project_id and not self.st.is_admin(ctx)):
            raise NotFound(f"Transfer {transfer_id} could not be found.")
        return t

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> tuple[Transfer, str]:
        volume_id = body.get("volume_id")
        if not isinstance(volume_id, str) or not volume_id:
            raise BadRequest("Invalid input received: volume_id must be given.")
        no_snapshots = parse_bool(body.get("no_snapshots", False), "no_snapshots")
        with self.st.db.session() as s:
            v = self.st.volume(s, ctx, volume_id, lock=True)
            self.st.enforce(ctx, "volume:create_transfer", v.project_id)
            if v.status != "available":
                raise BadRequest(f"Invalid volume: status must be available, but is {v.status}.")
            if v.encrypted:
                raise BadRequest("Invalid volume: encrypted volumes cannot be transferred.")
            key = secrets.token_hex(8)
            salt = secrets.token_hex(8)
            t = Transfer(id=new_id(), volume_id=v.id, project_id=v.project_id, name=body.get("name"),
                         salt=salt, crypt_hash=_hash(salt, key), no_snapshots=no_snapshots, created_at=utcnow())
            s.add(t)
            v.status, v.updated_at = "awaiting-transfer", utcnow()
            return t, key

    def get(self, ctx: RequestContext, transfer_id: str) -> Transfer:
        with self.st.db.session() as s:
            t = self._get(s, ctx, transfer_id)
            self.st.enforce(ctx, "volume:get_transfer", t.project_id)
            return t

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[Transfer], int | None]:
        self.st.enforce(ctx, "volume:get_all_transfers")
        stmt = sa.select(Transfer)
        if not (q.all_tenants and self.st.is_admin(ctx)):
            stmt = stmt.where(Transfer.project_id == ctx.project_id)
        for key, val in q.filters.items():
            if key in ("name", "volume_id"):
                stmt = stmt.where(getattr(Transfer, key) == val)
        with self.st.db.session() as s:
            return page(s, stmt, Transfer, q, "transfer")

    def delete(self, ctx: RequestContext, transfer_id: str) -> None:
        with self.st.db.session() as s:
            t = self._get(s, ctx, transfer_id)
            self.st.enforce(ctx, "volume:delete_transfer", t.project_id)
            v = s.get(Volume, t.volume_id)
            if v is not None and v.status == "awaiting-transfer":
                v.status, v.updated_at = "available", utcnow()
            s.delete(t)

    @retry_transaction  # the quota check locks the project
    def accept(self, ctx: RequestContext, transfer_id: str, auth_key: Any) -> Transfer:
        self.st.enforce(ctx, "volume:accept_transfer")
        if not isinstance(auth_key, str) or not auth_key:
            raise BadRequest("Invalid input received: auth_key must be given.")
        with self.quotas.session() as s:
            t = s.get(Transfer, transfer_id) if len(transfer_id) <= 36 else None
            if t is None:
                raise NotFound(f"Transfer {transfer_id} could not be found.")
            if not hmac.compare_digest(_hash(t.salt, auth_key), t.crypt_hash):
                raise BadRequest(f"Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key.")
            v = s.get(Volume, t.volume_id, with_for_update=True)
            if v is None or v.status != "awaiting-transfer":
                raise BadRequest("Invalid volume: the volume is not awaiting a transfer.")
            snaps = [] if t.no_snapshots else list(s.scalars(sa.select(Snapshot).where(Snapshot.volume_id == v.id)))
            vt = s.get(VolumeType, v.volume_type_id) if v.volume_type_id else None
            dest = ctx.project_id or ""
            self.quotas.check(s, dest, vt.name if vt else None, volumes=1,
                              gigabytes=v.size + sum(x.size for x in snaps))
            if snaps:
                self.quotas.check(s, dest, vt.name if vt else None, snapshots=len(snaps))
            v.project_id, v.user_id, v.status, v.updated_at = dest, ctx.user_id or "", "available", utcnow()
            for x in snaps:
                x.project_id, x.user_id = dest, ctx.user_id or ""
            result = Transfer(id=t.id, volume_id=t.volume_id, project_id=t.project_id, name=t.name,
                              salt="", crypt_hash="", no_snapshots=t.no_snapshots, created_at=t.created_at)
            s.delete(t)
            return result
