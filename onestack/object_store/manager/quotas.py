"""Container and account quotas, checked before a body is received and again in
the transaction that commits an object."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from onestack.core.errors import PayloadTooLarge
from onestack.object_store.manager.common import _Q, ContainerInfo
from onestack.object_store.models import SwiftContainer

# The account quotas set with X-Account-Quota-Bytes/-Count live in the account's
# metadata under "quota:<kind>": a header name cannot contain ":", so no
# X-Account-Meta-* header can read or write them.
QUOTA_KEY = "quota:"
QUOTA_KINDS = ("bytes", "count")


def check_quota(s: Session | Connection, project_id: str, container: ContainerInfo,
                add_bytes: int, add_count: int = 1) -> None:
    """Raise 413 if adding an object would pass a container or account quota."""
    qb = container.meta.get("quota-bytes")
    if qb and qb.isdigit() and container.bytes_used + add_bytes > int(qb):
        raise PayloadTooLarge("Upload exceeds quota.")
    qc = container.meta.get("quota-count")
    if qc and qc.isdigit() and container.object_count + add_count > int(qc):
        raise PayloadTooLarge("Upload exceeds quota.")
    ameta = s.execute(_Q.account_meta, {"p": project_id}).scalar() or {}
    limits = [int(q) for q in (ameta.get("quota-bytes"), ameta.get(QUOTA_KEY + "bytes"))
              if q and q.isdigit()]
    qcount = ameta.get(QUOTA_KEY + "count")
    if limits or (qcount and qcount.isdigit()):
        used, count = s.execute(
            sa.select(sa.func.coalesce(sa.func.sum(SwiftContainer.bytes_used), 0),
                      sa.func.coalesce(sa.func.sum(SwiftContainer.object_count), 0))
            .where(SwiftContainer.project_id == project_id)).one()
        if any(int(used) + add_bytes > q for q in limits):
            raise PayloadTooLarge("Upload exceeds quota.")
        if qcount and qcount.isdigit() and add_count and int(count) + add_count > int(qcount):
            raise PayloadTooLarge("Upload exceeds quota.")
