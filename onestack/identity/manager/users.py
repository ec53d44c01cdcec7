"""Users, groups and membership, passwords with lockout, history and expiry."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import IdentityConfig
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, NotFound, Unauthorized
from onestack.identity import passwords
from onestack.identity.manager.common import (
    flush_or_conflict,
    get_or_404,
    limited,
    name_filter,
    new_id,
    parse_bool,
    truncate,
)
from onestack.identity.models import Group, Membership, Password, User

USER_FIELDS = {
    "id", "name", "domain_id", "enabled", "default_project_id", "description", "email",
    "password", "options", "federated",
}
GROUP_FIELDS = {"id", "name", "domain_id", "description"}
USER_OPTIONS = {
    "ignore_change_password_upon_first_use",
    "ignore_password_expiry",
    "ignore_lockout_failure_attempts",
    "lock_password",
    "multi_factor_auth_enabled",
    "multi_factor_auth_rules",
    "ignore_user_inactivity",
}


class UserManager:
    def __init__(self, db: Database, conf: IdentityConfig) -> None:
        self.db = db
        self.conf = conf
        # (kind, id, what) callbacks: tokens are revoked when a user changes
        self.on_change: list[Callable[[Session, str, str, str], None]] = []

    # ---- users ----------------------------------------------------------------
    def get_user(self, s: Session, user_id: str) -> User:
        return get_or_404(s, User, user_id, "user")

    def user_by_name(self, s: Session, name: str, domain_id: str) -> User:
        u = s.scalar(sa.select(User).where(User.name == name, User.domain_id == domain_id))
        if u is None:
            raise NotFound(f"Could not find user: {name}.")
        return u

    def current_password(self, s: Session, user_id: str) -> Password | None:
        return s.scalar(
            sa.select(Password)
            .where(Password.user_id == user_id)
            .order_by(Password.created_at_int.desc(), Password.id.desc())
            .limit(1)
        )

    def password_expires_at(self, s: Session, user: User) -> dt.datetime | None:
        p = self.current_password(s, user.id)
        return p.expires_at if p else None

    def _check_options(self, options: Any) -> dict[str, Any]:
        if not isinstance(options, dict):
            raise BadRequest("Invalid input for field 'options': must be an object.")
        unknown = set(options) - USER_OPTIONS
        if unknown:
            raise BadRequest(f"Invalid input for field 'options': unknown options {sorted(unknown)}.")
        return options

    def create_user(self, s: Session, body: Mapping[str, Any]) -> User:
        opts = self._check_options(body.get("options") or {})
        u = User(
            id=new_id(),
            domain_id=body["domain_id"],
            name=body["name"],
            enabled=body.get("enabled", True),
            default_project_id=body.get("default_project_id"),
            description=body.get("description"),
            email=body.get("email"),
            options={k: v for k, v in opts.items() if v is not None},
            extra={k: v for k, v in body.items() if k not in USER_FIELDS},
        )
        s.add(u)
        flush_or_conflict(
            s, f"user - Duplicate entry found with name {u.name} at domain ID {u.domain_id}."
        )
        if body.get("password") is not None:
            self._set_password(s, u, body["password"], self_service=False)
        return u

    def update_user(self, s: Session, user_id: str, body: Mapping[str, Any]) -> User:
        u = self.get_user(s, user_id)
        if "domain_id" in body and body["domain_id"] != u.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        for f in ("name", "default_project_id", "description", "email"):
            if f in body:
                setattr(u, f, body[f])
        if "enabled" in body:
            was = u.enabled
            u.enabled = body["enabled"]
            if was and not u.enabled:
                self._changed(s, "user", u.id, "disabled")
            if u.enabled:
                u.failed_auth_count = 0
        if "options" in body:
            merged = {**(u.options or {}), **self._check_options(body["options"] or {})}
            u.options = {k: v for k, v in merged.items() if v is not None}
        extra = {k: v for k, v in body.items() if k not in USER_FIELDS}
        if extra:
            u.extra = {**(u.extra or {}), **extra}
        flush_or_conflict(
            s, f"user - Duplicate entry found with name {u.name} at domain ID {u.domain_id}."
        )
        if "password" in body:
            self._set_password(s, u, body["password"], self_service=False)
            self._changed(s, "user", u.id, "password")
        return u

    def delete_user(self, s: Session, user_id: str) -> None:
        u = self.get_user(s, user_id)
        self._changed(s, "user", u.id, "deleted")
        s.delete(u)

    def list_users(
        self, s: Session, query: Mapping[str, str], group_id: str | None = None
    ) -> tuple[list[User], bool]:
        stmt = sa.select(User)
        if group_id is not None:
            stmt = stmt.join(Membership, Membership.user_id == User.id).where(
                Membership.group_id == group_id
            )
        stmt = stmt.where(*name_filter(User.name, query))
        if "domain_id" in query:
            stmt = stmt.where(User.domain_id == query["domain_id"])
        enabled = parse_bool(query.get("enabled"), "enabled")
        if enabled is not None:
            stmt = stmt.where(User.enabled.is_(enabled))
        if "password_expires_at" in query:
            stmt = self._expiry_filter(stmt, query["password_expires_at"])
        stmt, lim = limited(stmt.order_by(User.name, User.id), self.conf.list_limit)
        return truncate(list(s.scalars(stmt)), lim)

    def _expiry_filter(self, stmt: Any, value: str) -> Any:
        op, _, when = value.partition(":")
        if not when:
            op, when = "eq", value
        ops = {"lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__", "eq": "__eq__", "neq": "__ne__"}
        if op not in ops:
            raise BadRequest(f"Invalid operator {op!r} for password_expires_at.")
        try:
            at = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"Invalid timestamp {when!r} for password_expires_at.") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        latest = (
            sa.select(Password.user_id, sa.func.max(Password.created_at_int).label("m"))
            .group_by(Password.user_id)
            .subquery()
        )
        pw = sa.select(Password.user_id).join(
            latest,
            sa.and_(latest.c.user_id == Password.user_id, latest.c.m == Password.created_at_int),
        ).where(getattr(Password.expires_at, ops[op])(at.replace(tzinfo=None)))
        return stmt.where(User.id.in_(pw))

    def _changed(self, s: Session, kind: str, obj_id: str, what: str) -> None:
        for cb in self.on_change:
            cb(s, kind, obj_id, what)

    # ---- passwords --------------------------------------------------------------
    def _set_password(self, s: Session, u: User, password: str | None, *, self_service: bool) -> None:
        if password is None:
            s.add(Password(user_id=u.id, password_hash=None, created_at_int=time.time_ns() // 1000))
            return
        passwords.check_regex(
            password, self.conf.password_regex, self.conf.password_regex_description
        )
        now = utcnow()
        expires = None
        opts = u.options or {}
        if self.conf.password_expires_days and not opts.get("ignore_password_expiry"):
            expires = now + dt.timedelta(days=self.conf.password_expires_days)
        if (
            not self_service
            and self.conf.change_password_upon_first_use
            and not opts.get("ignore_change_password_upon_first_use")
        ):
            expires = now
        s.add(
            Password(
                user_id=u.id,
                password_hash=passwords.hash_password(password, self.conf.password_hash_rounds),
                created_at=now,
                created_at_int=time.time_ns() // 1000,
                expires_at=expires,
                self_service=self_service,
            )
        )
        # keep only what the history rule needs (and at least the current one)
        keep = max(self.conf.unique_last_password_count, 1)
        old_ids = list(
            s.scalars(
                sa.select(Password.id)
                .where(Password.user_id == u.id)
                .order_by(Password.created_at_int.desc(), Password.id.desc())
                .offset(keep + 1)
            )
        )
        if old_ids:
            s.execute(sa.delete(Password).where(Password.id.in_(old_ids)))

    def change_own_password(self, user_id: str, original: str, new: str) -> None:
        with self.db.session() as s:
            u = self.get_user(s, user_id)
            if (u.options or {}).get("lock_password"):
                raise BadRequest("You cannot change your password at this time.")
            current = self.current_password(s, user_id)
            history = list(
                s.scalars(
                    sa.select(Password.password_hash)
                    .where(Password.user_id == user_id)
                    .order_by(Password.created_at_int.desc(), Password.id.desc())
                    .limit(max(self.conf.unique_last_password_count, 1))
                )
            )
        # upstream authenticates the original password here: with lockout counting (and
        # the lockout itself), though an expired password may still be changed
        self.authenticate(user_id, original, allow_expired=True)
        assert current is not None
        if self.conf.minimum_password_age and current.self_service:
            earliest = current.created_at + dt.timedelta(days=self.conf.minimum_password_age)
            if utcnow() < earliest:
                raise BadRequest(
                    "You cannot change your password at this time due to the minimum "
                    f"password age. Once you change your password, it must be used for "
                    f"{self.conf.minimum_password_age} day(s) before it can be changed. "
                    "Please try again in a few days or contact your administrator to "
                    "reset your password."
                )
        n = self.conf.unique_last_password_count
        if n and any(passwords.check_password(new, h) for h in history[:n]):
            raise BadRequest(
                "Password validation error: The new password cannot be identical to a "
                f"previous password. The total number which includes the new password "
                f"must be unique is {n}."
            )
        with self.db.session() as s:
            u = self.get_user(s, user_id)
            self._set_password(s, u, new, self_service=True)
            u.failed_auth_count = 0
            self._changed(s, "user", user_id, "password")

    def authenticate(self, user_id: str, password: str, *, allow_expired: bool = False) -> None:
        """Check a password with lockout and expiry; raise 401 on any failure."""
        with self.db.session() as s:
            u = self.get_user(s, user_id)
            current = self.current_password(s, user_id)
            opts = dict(u.options or {})
            count, last_fail, name = u.failed_auth_count, u.failed_auth_at, u.name
        attempts = self.conf.lockout_failure_attempts
        lockable = attempts and not opts.get("ignore_lockout_failure_attempts")
        if lockable and count >= attempts and last_fail is not None:
            if utcnow() < last_fail + dt.timedelta(seconds=self.conf.lockout_duration):
                raise Unauthorized(f"The account is locked for user: {user_id}.")
        ok = current is not None and passwords.check_password(password, current.password_hash)
        with self.db.session() as s:
            u = self.get_user(s, user_id)
            if not ok:
                if lockable:
                    if count >= attempts:
                        u.failed_auth_count = 1
                    else:
                        u.failed_auth_count = (u.failed_auth_count or 0) + 1
                    u.failed_auth_at = utcnow()
            else:
                if u.failed_auth_count:
                    u.failed_auth_count = 0
                    u.failed_auth_at = None
        if not ok:
            raise Unauthorized("The request you have made requires authentication.")
        if current and current.expires_at and not opts.get("ignore_password_expiry") and not allow_expired:
            if utcnow() >= current.expires_at:
                raise Unauthorized(
                    f"The password is expired and needs to be changed for user: {user_id}."
                )
        del name

    # ---- groups -----------------------------------------------------------------
    def get_group(self, s: Session, group_id: str) -> Group:
        return get_or_404(s, Group, group_id, "group")

    def create_group(self, s: Session, body: Mapping[str, Any]) -> Group:
        g = Group(
            id=new_id(),
            domain_id=body["domain_id"],
            name=body["name"],
            description=body.get("description", ""),
            extra={k: v for k, v in body.items() if k not in GROUP_FIELDS},
        )
        s.add(g)
        flush_or_conflict(
            s, f"group - Duplicate entry found with name {g.name} at domain ID {g.domain_id}."
        )
        return g

    def update_group(self, s: Session, group_id: str, body: Mapping[str, Any]) -> Group:
        g = self.get_group(s, group_id)
        if "domain_id" in body and body["domain_id"] != g.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        for f in ("name", "description"):
            if f in body:
                setattr(g, f, body[f])
        extra = {k: v for k, v in body.items() if k not in GROUP_FIELDS}
        if extra:
            g.extra = {**(g.extra or {}), **extra}
        flush_or_conflict(
            s, f"group - Duplicate entry found with name {g.name} at domain ID {g.domain_id}."
        )
        return g

    def delete_group(self, s: Session, group_id: str) -> None:
        g = self.get_group(s, group_id)
        self._changed(s, "group", g.id, "deleted")
        s.delete(g)

    def list_groups(
        self, s: Session, query: Mapping[str, str], user_id: str | None = None
    ) -> tuple[list[Group], bool]:
        stmt = sa.select(Group)
        if user_id is not None:
            stmt = stmt.join(Membership, Membership.group_id == Group.id).where(
                Membership.user_id == user_id
            )
        stmt = stmt.where(*name_filter(Group.name, query))
        if "domain_id" in query:
            stmt = stmt.where(Group.domain_id == query["domain_id"])
        stmt, lim = limited(stmt.order_by(Group.name, Group.id), self.conf.list_limit)
        return truncate(list(s.scalars(stmt)), lim)

    def add_member(self, s: Session, group_id: str, user_id: str) -> None:
        self.get_group(s, group_id)
        self.get_user(s, user_id)
        if s.get(Membership, (user_id, group_id)) is None:
            s.add(Membership(user_id=user_id, group_id=group_id))

    def check_member(self, s: Session, group_id: str, user_id: str) -> None:
        self.get_group(s, group_id)
        self.get_user(s, user_id)
        if s.get(Membership, (user_id, group_id)) is None:
            raise NotFound(f"User '{user_id}' not found in group '{group_id}'.")

    def remove_member(self, s: Session, group_id: str, user_id: str) -> None:
        self.check_member(s, group_id, user_id)
        s.execute(
            sa.delete(Membership).where(
                Membership.user_id == user_id, Membership.group_id == group_id
            )
        )
        self._changed(s, "membership", user_id, group_id)

    def group_ids_for_user(self, s: Session, user_id: str) -> list[str]:
        return list(s.scalars(sa.select(Membership.group_id).where(Membership.user_id == user_id)))
