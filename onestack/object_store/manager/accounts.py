"""Accounts: their metadata, totals and container listing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.object_store.manager.common import (
    AccountInfo,
    ContainerInfo,
    ListParams,
    Part,
    Subdir,
    apply_updates,
    check_meta,
    container_info,
    now_ts,
)
from onestack.object_store.manager.listing import listing
from onestack.object_store.models import SwiftAccount, SwiftContainer


def account_row(s: Session, project_id: str) -> SwiftAccount:
    """The account's row, made on first use."""
    acct = s.get(SwiftAccount, project_id)
    if acct is None:
        acct = SwiftAccount(project_id=project_id, meta={}, created_at=now_ts())
        s.add(acct)
        s.flush()
    return acct


class Accounts(Part):
    def account_info(self, project_id: str) -> AccountInfo:
        with self.session() as s:
            acct = s.get(SwiftAccount, project_id)
            count, objects, used = s.execute(
                sa.select(sa.func.count(SwiftContainer.id),
                          sa.func.coalesce(sa.func.sum(SwiftContainer.object_count), 0),
                          sa.func.coalesce(sa.func.sum(SwiftContainer.bytes_used), 0))
                .where(SwiftContainer.project_id == project_id)
            ).one()
            return AccountInfo(project_id, dict(acct.meta) if acct else {},
                               acct.created_at if acct else now_ts(), int(count), int(objects),
                               int(used))

    def update_account(self, project_id: str, updates: dict[str, str | None]) -> None:
        with self.session(write=True) as s:
            acct = account_row(s, project_id)
            meta = apply_updates(acct.meta or {}, updates)
            check_meta(meta)
            acct.meta = meta

    def list_containers(self, project_id: str, p: ListParams) -> list[ContainerInfo | Subdir]:
        with self.session() as s:
            rows = listing(s, SwiftContainer, [SwiftContainer.project_id == project_id], p)
            return [r if isinstance(r, Subdir) else container_info(r) for r in rows]
