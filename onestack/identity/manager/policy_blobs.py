"""OS-POLICY: opaque policy blobs stored for other services (upstream deprecated
the API in Queens but still serves it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.identity.manager.common import get_or_404, new_id
from onestack.identity.models import Policy

FIELDS = ("id", "type", "blob")


class PolicyBlobManager:
    def get(self, s: Session, policy_id: str) -> Policy:
        return get_or_404(s, Policy, policy_id, "policy")

    def list(self, s: Session, q: Mapping[str, str]) -> list[Policy]:
        stmt = sa.select(Policy).order_by(Policy.id)
        if "type" in q:
            stmt = stmt.where(Policy.type == q["type"])
        return list(s.scalars(stmt))

    def create(self, s: Session, body: Mapping[str, Any]) -> Policy:
        p = Policy(id=new_id(), type=body["type"], blob=body["blob"],
                   extra={k: v for k, v in body.items() if k not in FIELDS})
        s.add(p)
        s.flush()
        return p

    def update(self, s: Session, policy_id: str, body: Mapping[str, Any]) -> Policy:
        p = self.get(s, policy_id)
        for f in ("type", "blob"):
            if f in body:
                setattr(p, f, body[f])
        extra = {k: v for k, v in body.items() if k not in FIELDS}
        if extra:
            p.extra = {**(p.extra or {}), **extra}
        return p

    def delete(self, s: Session, policy_id: str) -> None:
        s.delete(self.get(s, policy_id))
