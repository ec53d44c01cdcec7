"""OS-TRUST: a trustor delegates some of its roles on a project to a trustee, who
then gets trust-scoped tokens (optionally impersonating the trustor).

Upstream's rules, kept here:
- only the trustor creates a trust, with roles it holds (effectively) on the project;
- a trust may be redelegated by its trustee (from a trust-scoped token) when it
  allows redelegation; the chain gets shorter by one each time, may not outlive its
  parent, widen its roles or turn impersonation on;
- ``remaining_uses`` counts trust-scoped tokens; an expired or used-up trust is
  "not found";
- a trust-scoped token is only valid while the trust exists and the trustor still
  holds every delegated role (deleting the trust, its trustor, trustee or project
  revokes the tokens).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.identity.manager.common import new_id
from onestack.identity.models import NULL_DOMAIN, Project, Role, Trust, TrustRole

if TYPE_CHECKING:
    from onestack.identity.manager.core import IdentityManager

# upstream's [trust] max_redelegation_count
MAX_REDELEGATION_COUNT = 3


def parse_expiry(value: Any) -> dt.datetime | None:
    """Upstream's ``parse_expiration_date``: ISO 8601, not in the past; 400 otherwise."""
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid input for field 'expires_at': {value!r} is not a valid date-time.") from None
    t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    if t <= dt.datetime.now(dt.UTC):
        raise BadRequest("The 'expires_at' must not be before now.")
    return t.astimezone(dt.UTC)


class TrustManager:
    def __init__(self, idm: IdentityManager) -> None:
        self.idm = idm

    # ---- reading ---------------------------------------------------------------
    def get(self, s: Session, trust_id: str, *, usable: bool = True) -> Trust:
        """The trust; with ``usable``, an expired or used-up one is not found (upstream)."""
        t = s.get(Trust, trust_id) if isinstance(trust_id, str) and len(trust_id) <= 64 else None
        if t is None:
            raise NotFound(f"Could not find trust: {trust_id}.")
        if usable:
            if t.expires_at is not None and t.expires_at <= dt.datetime.now(dt.UTC):
                raise NotFound(f"Could not find trust: {trust_id}.")
            if t.remaining_uses is not None and t.remaining_uses <= 0:
                raise NotFound(f"Could not find trust: {trust_id}.")
        return t

    def role_ids(self, s: Session, trust_id: str) -> list[str]:
        return list(s.scalars(sa.select(TrustRole.role_id).where(TrustRole.trust_id == trust_id)
                              .order_by(TrustRole.role_id)))

    def roles(self, s: Session, trust_id: str) -> list[Role]:
        ids = self.role_ids(s, trust_id)
        if not ids:
            return []
        return list(s.scalars(sa.select(Role).where(Role.id.in_(ids)).order_by(Role.name)))

    def list(self, s: Session, trustor: str | None = None, trustee: str | None = None) -> list[Trust]:
        stmt = sa.select(Trust).order_by(Trust.created_at, Trust.id)
        if trustor:
            stmt = stmt.where(Trust.trustor_user_id == trustor)
        if trustee:
            stmt = stmt.where(Trust.trustee_user_id == trustee)
        return list(s.scalars(stmt))

    def original_trustor(self, s: Session, t: Trust) -> str:
        """The trustor at the root of a redelegation chain."""
        seen = {t.id}
        while t.redelegated_trust_id and t.redelegated_trust_id not in seen:
            parent = s.get(Trust, t.redelegated_trust_id)
            if parent is None:
                break
            seen.add(parent.id)
            t = parent
        return t.trustor_user_id

    def trustor_role_ids(self, s: Session, trustor_id: str, project_id: str | None) -> set[str]:
        """Effective roles (implied ones too, domain-specific ones included) of the
        trustor on the project."""
        if not project_id:
            return set()
        proj = s.get(Project, project_id)
        if proj is None or proj.is_domain:
            return set()
        roles = self.idm.roles
        direct = roles.direct_role_ids(s, trustor_id, project=proj, lineage=self.idm.resource.lineage(s, proj))
        return set(roles.implied_closure(s, direct))

    def delegated_roles(self, s: Session, t: Trust) -> list[Role]:
        """What a token scoped to the trust carries: the trust's roles and what they
        imply, all still held by the (original) trustor; global roles only.
        Raises Forbidden when the trustor lost one of them."""
        wanted = self.idm.roles.implied_closure(s, self.role_ids(s, t.id))
        held = self.trustor_role_ids(s, self.original_trustor(s, t), t.project_id)
        missing = [r for r in wanted if r not in held]
        if missing:
            raise Forbidden("Trustee has no delegated roles.")
        if not wanted:
            return []
        by_id = {r.id: r for r in s.scalars(sa.select(Role).where(Role.id.in_(wanted)))}
        return [by_id[i] for i in wanted if i in by_id and by_id[i].domain_id == NULL_DOMAIN]

    # ---- writing ---------------------------------------------------------------
    def _role_refs(self, s: Session, refs: list[Mapping[str, Any]]) -> list[str]:
        out: list[str] = []
        for ref in refs:
            if ref.get("id"):
                r = s.get(Role, ref["id"]) if len(str(ref["id"])) <= 64 else None
                if r is None:
                    raise NotFound(f"Could not find role: {ref['id']}.")
            else:
                matches = list(s.scalars(sa.select(Role).where(Role.name == ref.get("name"))).all())
                if len(matches) != 1:
                    raise NotFound(f"Could not find role: {ref.get('name')}.")
                r = matches[0]
            if r.id not in out:
                out.append(r.id)
        return out

    def create(self, s: Session, ctx: RequestContext, body: Mapping[str, Any]) -> Trust:
        project_id = body.get("project_id") or None
        roles_in = body.get("roles") or []
        if project_id and not roles_in:
            raise Forbidden("At least one role should be specified.")
        if ctx.user_id != body.get("trustor_user_id"):
            raise Forbidden("The authenticated user should match the trustor.")
        self.idm.users.get_user(s, body["trustee_user_id"])
        role_ids = self._role_refs(s, roles_in)
        if project_id:
            self.idm.resource.get_project(s, project_id)
        # the trustor (at the root of a redelegation chain) must hold every role
        parent = self.get(s, ctx.trust_id) if ctx.trust_id else None
        trustor_root = self.original_trustor(s, parent) if parent is not None else body["trustor_user_id"]
        held = self.trustor_role_ids(s, trustor_root, project_id)
        for rid in role_ids:
            if rid not in held:
                raise NotFound(f"Could not find role: {rid}.")
        expires = parse_expiry(body.get("expires_at"))
        remaining = body.get("remaining_uses")
        requested_count = body.get("redelegation_count")
        redelegatable = bool(body.get("allow_redelegation")) and requested_count != 0
        if not redelegatable:
            count: int | None = 0
            if remaining is not None and remaining <= 0:
                raise BadRequest("remaining_uses must be a positive integer or null.")
        else:
            if requested_count is not None and requested_count > MAX_REDELEGATION_COUNT:
                raise Forbidden(
                    f"Requested redelegation depth of {requested_count} is greater than allowed "
                    f"{MAX_REDELEGATION_COUNT}.")
            if remaining is not None:
                raise BadRequest("remaining_uses must not be set if redelegation is allowed.")
            count = requested_count
        if parent is not None:
            # redelegation: checks against every trust up the chain
            remaining_count = (parent.redelegation_count or 0) - 1
            if redelegatable and requested_count and requested_count != remaining_count:
                raise Forbidden('Modifying "redelegation_count" upon redelegation is forbidden. '
                                "Omitting this parameter is advised.")
            if count in (None, 0) and redelegatable:
                count = remaining_count
            elif not redelegatable:
                count = 0
            node: Trust | None = parent
            while node is not None:
                expires = self._check_redelegation(s, node, expires, remaining, role_ids,
                                                   bool(body.get("impersonation")))
                node = s.get(Trust, node.redelegated_trust_id) if node.redelegated_trust_id else None
        if count is None:
            count = MAX_REDELEGATION_COUNT
        impersonation = bool(body["impersonation"])
        dup = s.scalar(sa.select(Trust.id).where(
            Trust.trustor_user_id == body["trustor_user_id"], Trust.trustee_user_id == body["trustee_user_id"],
            Trust.project_id.is_(None) if project_id is None else Trust.project_id == project_id,
            Trust.impersonation.is_(impersonation),
            Trust.expires_at.is_(None) if expires is None else Trust.expires_at == expires,
        ).limit(1))
        if dup is not None:
            raise Conflict("Conflict occurred attempting to store trust - Duplicate entry.")
        known = {"id", "trustor_user_id", "trustee_user_id", "project_id", "impersonation", "expires_at",
                 "remaining_uses", "roles", "allow_redelegation", "redelegation_count", "redelegated_trust_id",
                 "roles_links", "links", "deleted_at"}
        t = Trust(id=new_id(), trustor_user_id=body["trustor_user_id"], trustee_user_id=body["trustee_user_id"],
                  project_id=project_id, impersonation=impersonation, expires_at=expires,
                  remaining_uses=remaining, redelegated_trust_id=parent.id if parent is not None else None,
                  redelegation_count=count, extra={k: v for k, v in body.items() if k not in known})
        s.add(t)
        s.flush()
        for rid in role_ids:
            s.add(TrustRole(trust_id=t.id, role_id=rid))
        s.flush()
        return t

    @staticmethod
    def _check_redelegation(s: Session, parent: Trust, expires: dt.datetime | None, remaining: Any,
                            role_ids: list[str], impersonation: bool) -> dt.datetime | None:
        depth = parent.redelegation_count or 0
        if not 0 < depth <= MAX_REDELEGATION_COUNT:
            raise Forbidden(f"Remaining redelegation depth of {depth} out of allowed range of "
                            f"[0..{MAX_REDELEGATION_COUNT}].")
        if remaining is not None:
            raise Forbidden(f'Field "remaining_uses" is set to {remaining} while it must not be set '
                            "in order to redelegate a trust.")
        if expires is not None:
            if parent.expires_at is not None and parent.expires_at < expires:
                raise Forbidden("Requested expiration time is more than redelegated trust can provide.")
        else:
            expires = parent.expires_at
        parent_roles = set(s.scalars(sa.select(TrustRole.role_id).where(TrustRole.trust_id == parent.id)))
        if not all(r in parent_roles for r in role_ids):
            raise Forbidden("Some of requested roles are not in redelegated trust.")
        if not parent.impersonation and impersonation:
            raise Forbidden("Impersonation is not allowed because redelegated trust does not specify "
                            f"impersonation. Redelegated trust id: {parent.id}")
        return expires

    def delete(self, s: Session, trust_id: str) -> None:
        """Delete the trust and every trust redelegated from it; revoke their tokens."""
        t = self.get(s, trust_id, usable=False)
        for child in list(s.scalars(sa.select(Trust).where(Trust.redelegated_trust_id == t.id))):
            self.delete(s, child.id)
        self.idm.tokens.revoke(s, trust_id=t.id)
        s.delete(t)

    def delete_for(self, s: Session, *, user_id: str | None = None, project_id: str | None = None) -> None:
        """A deleted trustor, trustee or project takes its trusts along."""
        stmt = sa.select(Trust.id)
        if user_id is not None:
            stmt = stmt.where(sa.or_(Trust.trustor_user_id == user_id, Trust.trustee_user_id == user_id))
        elif project_id is not None:
            stmt = stmt.where(Trust.project_id == project_id)
        else:
            return
        for tid in list(s.scalars(stmt)):
            if s.get(Trust, tid) is not None:
                self.delete(s, tid)

    def consume_use(self, trust_id: str) -> None:
        """One trust-scoped token issued: count it (optimistically, as upstream)."""
        for _ in range(10):
            with self.idm.db.session() as s:
                t = s.get(Trust, trust_id)
                if t is None:
                    raise NotFound(f"Could not find trust: {trust_id}.")
                left = t.remaining_uses
                if left is None:
                    return
                if left <= 0:
                    raise Forbidden(f"The trust {trust_id} has no remaining uses.")
                n = s.execute(sa.update(Trust).where(Trust.id == trust_id, Trust.remaining_uses == left)
                              .values(remaining_uses=left - 1)).rowcount
                if n == 1:
                    return
        raise Conflict(f"Could not consume a use of trust {trust_id}: too much contention.")
