"""The identity service's parts wired together, plus the reactions between them
(deleting a project removes its grants and revokes its tokens, and so on)."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Config
from onestack.core.db import Database
from onestack.identity.fernet import KeyRepository
from onestack.identity.manager.appcreds import AppCredManager, CredentialManager
from onestack.identity.manager.catalog import CatalogManager
from onestack.identity.manager.endpoint_filter import EndpointFilterManager
from onestack.identity.manager.policy_blobs import PolicyBlobManager
from onestack.identity.manager.resource import ResourceManager
from onestack.identity.manager.roles import RoleManager
from onestack.identity.manager.tokens import TokenManager
from onestack.identity.manager.trusts import TrustManager
from onestack.identity.manager.users import UserManager
from onestack.identity.models import AccessRule, ApplicationCredential, Credential, Group, User


class IdentityManager:
    def __init__(self, conf: Config, db: Database) -> None:
        self.conf = conf
        self.db = db
        ic = conf.identity
        self.resource = ResourceManager(db, ic.list_limit)
        self.users = UserManager(db, ic)
        self.roles = RoleManager(db, ic.list_limit)
        self.catalog = CatalogManager(db)
        self.appcreds = AppCredManager(db, ic.password_hash_rounds)
        self.credentials = CredentialManager(
            db, KeyRepository(conf.data_path / "credential-keys", ic.max_active_keys)
        )
        self.policy_blobs = PolicyBlobManager()
        self.tokens = TokenManager(self)
        self.trusts = TrustManager(self)
        self.endpoint_filter = EndpointFilterManager(self)
        for m in (self.resource, self.users, self.roles, self.appcreds):
            m.on_change.append(self._on_change)
        self._catalog_cache: dict[str | None, tuple[float, int, list[dict[str, Any]]]] = {}
        self._catalog_lock = threading.Lock()

    def _on_change(self, s: Session, kind: str, obj_id: str, what: str) -> None:
        t = self.tokens
        if kind == "user":
            t.revoke(s, user_id=obj_id)
            if what in ("deleted", "disabled"):
                # upstream: a deleted or disabled user's application credentials and
                # access rules are deleted, a deleted user's credentials too
                s.execute(sa.delete(ApplicationCredential).where(ApplicationCredential.user_id == obj_id))
                s.execute(sa.delete(AccessRule).where(AccessRule.user_id == obj_id))
            if what == "deleted":
                self.roles.delete_for(s, "user", obj_id)
                self.trusts.delete_for(s, user_id=obj_id)
                s.execute(sa.delete(Credential).where(Credential.user_id == obj_id))
        elif kind == "project":
            t.revoke(s, project_id=obj_id)
            if what == "deleted":
                self.roles.delete_for(s, "project", obj_id)
                self.trusts.delete_for(s, project_id=obj_id)
                self.endpoint_filter.delete_for_project(s, obj_id)
                s.execute(sa.delete(Credential).where(Credential.project_id == obj_id))
        elif kind == "domain":
            t.revoke(s, domain_id=obj_id)
            if what == "deleted":
                for uid in list(s.scalars(sa.select(User.id).where(User.domain_id == obj_id))):
                    self.roles.delete_for(s, "user", uid)
                    self.trusts.delete_for(s, user_id=uid)
                    s.execute(sa.delete(User).where(User.id == uid))
                for gid in list(s.scalars(sa.select(Group.id).where(Group.domain_id == obj_id))):
                    self.roles.delete_for(s, "group", gid)
                    s.execute(sa.delete(Group).where(Group.id == gid))
                self.roles.delete_for(s, "domain", obj_id)
        elif kind == "group" and what == "deleted":
            self.roles.delete_for(s, "group", obj_id)
        elif kind == "application_credential":
            t.revoke(s, application_credential_id=obj_id)
        t.invalidate()

    def changed(self) -> None:
        """Any identity write: rendered tokens may be stale."""
        self.tokens.invalidate()

    def catalog_for(self, project_id: str | None) -> list[dict[str, Any]]:
        now = time.monotonic()
        hit = self._catalog_cache.get(project_id)
        if hit and hit[1] == self.catalog.generation and now - hit[0] < self.conf.identity.cache_ttl:
            return hit[2]
        with self.db.session() as s:
            cat = self.catalog.catalog(s, project_id)
            if project_id:
                cat = self.endpoint_filter.filter_catalog(s, project_id, cat)
        with self._catalog_lock:
            if len(self._catalog_cache) > 10_000:
                self._catalog_cache.clear()
            self._catalog_cache[project_id] = (now, self.catalog.generation, cat)
        return cat
