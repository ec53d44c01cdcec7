"""Application credentials (with access rules) and credentials (encrypted blobs)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.identity import passwords
from onestack.identity.fernet import KeyRepository
from onestack.identity.manager.common import flush_or_conflict, get_or_404, new_id
from onestack.identity.models import (
    AccessRule,
    AppCredAccessRule,
    ApplicationCredential,
    Credential,
)


def parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise BadRequest(f"Invalid input for field 'expires_at': {value!r} is not a date-time.") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class AppCredManager:
    def __init__(self, db: Database, hash_rounds: int) -> None:
        self.db = db
        self.hash_rounds = hash_rounds
        self.on_change: list[Callable[[Session, str, str, str], None]] = []

    def get(self, s: Session, user_id: str, app_cred_id: str) -> ApplicationCredential:
        ac = s.get(ApplicationCredential, app_cred_id) if len(app_cred_id) <= 64 else None
        if ac is None or ac.user_id != user_id:
            raise NotFound(f"Could not find Application Credential: {app_cred_id}.")
        return ac

    def create(self, s: Session, user_id: str, project_id: str | None, body: Mapping[str, Any],
               available_roles: list[dict[str, str]]) -> tuple[ApplicationCredential, str]:
        expires = parse_time(body.get("expires_at"))
        if expires is not None and expires <= dt.datetime.now(dt.timezone.utc):
            raise BadRequest("The expiration time of the application credential is in the past.")
        wanted = body.get("roles")
        if wanted:
            by_id = {r["id"]: r for r in available_roles}
            by_name = {r["name"]: r for r in available_roles}
            role_ids = []
            for r in wanted:
                match = by_id.get(r.get("id", "")) or by_name.get(r.get("name", ""))
                if match is None:  # upstream: RoleAssignmentNotFound
                    raise NotFound(
                        f"Could not find role assignment with role: {r.get('id') or r.get('name')}, "
                        f"user or group: {user_id}, project, domain, or system: {project_id}."
                    )
                role_ids.append(match["id"])
        else:
            role_ids = [r["id"] for r in available_roles]
        secret = body.get("secret") or secrets.token_urlsafe(64)
        ac = ApplicationCredential(
            id=new_id(), name=body["name"], user_id=user_id, project_id=project_id,
            secret_hash=passwords.hash_password(secret, self.hash_rounds),
            description=body.get("description"), expires_at=expires,
            unrestricted=bool(body.get("unrestricted", False)),
            role_ids=list(dict.fromkeys(role_ids)), created_at=utcnow(),
        )
        s.add(ac)
        flush_or_conflict(s, f"application credential - Duplicate entry found with name {ac.name}.")
        for rule in body.get("access_rules") or []:
            if "id" in rule and len(rule) == 1:
                ar = s.get(AccessRule, rule["id"])
                if ar is None or ar.user_id != user_id:
                    raise NotFound(f"Could not find access rule: {rule['id']}.")
            else:
                ar = s.scalar(sa.select(AccessRule).where(
                    AccessRule.user_id == user_id, AccessRule.service == rule["service"],
                    AccessRule.path == rule["path"], AccessRule.method == rule["method"]))
                if ar is None:
                    ar = AccessRule(id=rule.get("id") or new_id(), user_id=user_id,
                                    service=rule["service"], path=rule["path"], method=rule["method"])
                    s.add(ar)
                    s.flush()
            s.add(AppCredAccessRule(application_credential_id=ac.id, access_rule_id=ar.id))
        return ac, secret

    def access_rules(self, s: Session, app_cred_id: str) -> list[AccessRule]:
        return list(s.scalars(sa.select(AccessRule).join(
            AppCredAccessRule, AppCredAccessRule.access_rule_id == AccessRule.id
        ).where(AppCredAccessRule.application_credential_id == app_cred_id)))

    def list(self, s: Session, user_id: str, name: str | None = None) -> list[ApplicationCredential]:
        stmt = sa.select(ApplicationCredential).where(ApplicationCredential.user_id == user_id)
        if name is not None:
            stmt = stmt.where(ApplicationCredential.name == name)
        return list(s.scalars(stmt.order_by(ApplicationCredential.name)))

    def delete(self, s: Session, user_id: str, app_cred_id: str) -> None:
        ac = self.get(s, user_id, app_cred_id)
        s.delete(ac)
        for cb in self.on_change:
            cb(s, "application_credential", app_cred_id, "deleted")

    def find_for_auth(self, s: Session, body: Mapping[str, Any], user_lookup: Callable[[Mapping[str, Any]], str]) -> ApplicationCredential:
        if "id" in body:
            ac = s.get(ApplicationCredential, body["id"]) if isinstance(body["id"], str) and len(body["id"]) <= 64 else None
        else:
            if "user" not in body or "name" not in body:
                raise BadRequest("An application credential needs an id, or a name and a user.")
            uid = user_lookup(body["user"])
            ac = s.scalar(sa.select(ApplicationCredential).where(
                ApplicationCredential.user_id == uid, ApplicationCredential.name == body["name"]))
        if ac is None:
            from onestack.core.errors import Unauthorized
            raise Unauthorized("The request you have made requires authentication.")
        return ac

    # access rules listing (GET /v3/users/{id}/access_rules)
    def list_rules(self, s: Session, user_id: str) -> list[AccessRule]:
        return list(s.scalars(sa.select(AccessRule).where(AccessRule.user_id == user_id)))

    def get_rule(self, s: Session, user_id: str, rule_id: str) -> AccessRule:
        ar = s.get(AccessRule, rule_id) if len(rule_id) <= 64 else None
        if ar is None or ar.user_id != user_id:
            raise NotFound(f"Could not find access rule: {rule_id}.")
        return ar

    def delete_rule(self, s: Session, user_id: str, rule_id: str) -> None:
        ar = self.get_rule(s, user_id, rule_id)
        in_use = s.scalar(sa.select(sa.func.count()).where(AppCredAccessRule.access_rule_id == rule_id))
        if in_use:
            raise Forbidden(f"Cannot delete access rule {rule_id}: it is used by an application credential.")
        s.delete(ar)


class CredentialManager:
    """Credentials (ec2, totp, cert ...): blobs encrypted at rest with their own keys."""

    def __init__(self, db: Database, keys: KeyRepository) -> None:
        self.db = db
        self.keys = keys

    def _encrypt(self, blob: str) -> str:
        return self.keys.fernet().encrypt(blob.encode()).decode()

    def decrypt(self, c: Credential) -> str:
        return self.keys.fernet().decrypt(c.encrypted_blob.encode()).decode()

    def get(self, s: Session, cred_id: str) -> Credential:
        return get_or_404(s, Credential, cred_id, "credential")

    def create(self, s: Session, body: Mapping[str, Any]) -> Credential:
        cid = new_id()
        if body["type"] == "ec2":
            try:
                blob = json.loads(body["blob"])
            except (ValueError, TypeError):
                raise BadRequest("Invalid blob in credential: an ec2 blob must be JSON.") from None
            if not isinstance(blob, dict) or not blob.get("access"):
                raise BadRequest("Invalid blob in credential: an ec2 blob needs 'access'.")
            if not body.get("project_id"):
                raise BadRequest("Invalid project_id: an ec2 credential needs a project.")
            cid = hashlib.sha256(str(blob["access"]).encode()).hexdigest()
            if s.get(Credential, cid) is not None:
                raise Conflict("Conflict occurred attempting to store credential - Duplicate ID.")
        c = Credential(id=cid, user_id=body["user_id"], project_id=body.get("project_id"),
                       type=body["type"], encrypted_blob=self._encrypt(body["blob"]),
                       extra={k: v for k, v in body.items() if k not in ("user_id", "project_id", "type", "blob", "id")})
        s.add(c)
        flush_or_conflict(s, "credential - Duplicate ID.")
        return c

    def update(self, s: Session, cred_id: str, body: Mapping[str, Any]) -> Credential:
        c = self.get(s, cred_id)
        for f in ("user_id", "project_id", "type"):
            if f in body:
                setattr(c, f, body[f])
        if "blob" in body:
            c.encrypted_blob = self._encrypt(body["blob"])
        return c

    def delete(self, s: Session, cred_id: str) -> None:
        s.delete(self.get(s, cred_id))

    def list(self, s: Session, q: Mapping[str, str]) -> list[Credential]:
        stmt = sa.select(Credential).order_by(Credential.id)
        for f in ("user_id", "type", "project_id"):
            if f in q:
                stmt = stmt.where(getattr(Credential, f) == q[f])
        return list(s.scalars(stmt))

