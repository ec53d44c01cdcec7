"""Authentication and non-persistent Fernet tokens.

No token table: a token is the encrypted payload (user, methods, scope, expiry,
audit ids).  Validation decrypts it, checks upstream's revocation events, and
renders the body from the current state of users, projects and assignments.
Rendered bodies are cached per process for ``cache_ttl`` seconds and dropped as
soon as any identity write or revocation is seen.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from onestack.identity import fernet, passwords
from onestack.identity.models import ApplicationCredential, Project, RevocationEvent, User

if TYPE_CHECKING:
    from onestack.identity.manager.core import IdentityManager

TIME_FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


def fmt_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime(TIME_FMT)


def fmt_dt(value: dt.datetime | None) -> str | None:
    return value.strftime(TIME_FMT) if value else None


def _audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


UNAUTH = "The request you have made requires authentication."


@dataclass
class Validated:
    payload: dict[str, Any]
    body: dict[str, Any]  # {"token": {...}} without catalog
    ctx: RequestContext
    rendered_at: float = field(default_factory=time.monotonic)


class TokenManager:
    def __init__(self, idm: IdentityManager) -> None:
        self.idm = idm
        conf = idm.conf.identity
        self.keys = fernet.KeyRepository(idm.conf.key_repository, conf.max_active_keys)
        self.expiration = conf.token_expiration
        self.allow_expired_window = conf.allow_expired_window
        self.cache_ttl = conf.cache_ttl
        self._cache: dict[str, Validated] = {}
        self._names: dict[str, tuple[float, dict[str, Any]]] = {}
        self._scope_cache: dict[tuple[Any, ...], tuple[float, dict[str, Any], dict[str, Any], RequestContext]] = {}
        self._lock = threading.Lock()
        self._events: list[RevocationEvent] = []
        self._events_seq: tuple[int, int] | None = None
        # Revocations are announced to the other processes on this host by the
        # mtime of a stamp file (a stat per request instead of a query); other
        # hosts sharing the database notice within ``revocation_poll`` seconds.
        self._stamp = idm.conf.data_path / "revocations.stamp"
        self._stamp_seen: int | None = None
        self._events_checked = 0.0
        self.revocation_poll = 1.0

    # ---- cache ---------------------------------------------------------------
    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
            self._scope_cache.clear()
            self._names.clear()

    def _revocation_seq(self) -> tuple[int, int]:
        # the row count as well as the newest id: on MariaDB and PostgreSQL ids are
        # handed out at insert, so an older revocation can commit after a newer one
        with self.idm.db.engine.connect() as c:
            n, top = c.execute(sa.select(sa.func.count(), sa.func.max(RevocationEvent.id))
                               .select_from(RevocationEvent)).one()
        return int(n or 0), int(top or 0)

    def _stamp_mtime(self) -> int:
        try:
            return self._stamp.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def _touch_stamp(self, *_: Any) -> None:
        try:
            self._stamp.touch()
            os.utime(self._stamp)
        except OSError:
            pass

    def _refresh_events(self) -> None:
        now = time.monotonic()
        stamp = self._stamp_mtime()
        if stamp == self._stamp_seen and now - self._events_checked < self.revocation_poll:
            return
        # read the stamp before the events: a revocation committed after this
        # point moves the stamp again and is picked up next time
        self._stamp_seen = stamp
        self._events_checked = now
        seq = self._revocation_seq()
        if seq != self._events_seq:
            with self.idm.db.session() as s:
                horizon = dt.datetime.now(dt.timezone.utc) - dt.timedelta(
                    seconds=self.expiration + self.allow_expired_window)
                self._events = list(s.scalars(sa.select(RevocationEvent).where(
                    RevocationEvent.revoked_at >= horizon)))
            self._events_seq = seq
            self.invalidate()

    def _is_revoked(self, p: dict[str, Any]) -> bool:
        issued = int(p["issued_at"] * 1_000_000)
        audit = p["audit_ids"][0] if p["audit_ids"] else None
        chain = p["audit_ids"][-1] if p["audit_ids"] else None
        for e in self._events:
            if issued > e.issued_before:
                continue
            if e.user_id and e.user_id != p["user_id"] and e.user_id != p.get("_trustor_id"):
                continue
            if e.project_id and e.project_id != p["project_id"]:
                continue
            if e.domain_id and e.domain_id != p.get("domain_id") and e.domain_id != p.get("_project_domain_id") and e.domain_id != p.get("_user_domain_id"):
                continue
            if e.audit_id and e.audit_id != audit:
                continue
            if e.audit_chain_id and e.audit_chain_id != chain:
                continue
            if e.application_credential_id and e.application_credential_id != p.get("app_cred_id"):
                continue
            if e.trust_id and e.trust_id != p.get("trust_id"):
                continue
            return True
        return False

    def revoke(self, s: Session, **fields: Any) -> None:
        now_us = time.time_ns() // 1000
        s.add(RevocationEvent(issued_before=now_us, revoked_at=dt.datetime.now(dt.timezone.utc), **fields))
        self.invalidate()
        self._events_checked = 0.0
        sa.event.listen(s, "after_commit", self._after_revocation_commit, once=True)

    def _after_revocation_commit(self, _session: Session) -> None:
        self._touch_stamp()
        self._events_checked = 0.0
        self.invalidate()

    # ---- validation -------------------------------------------------------------
    def validate(self, token: str, *, allow_expired: bool = False) -> Validated:
        self._refresh_events()
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and now - cached.rendered_at < self.cache_ttl and not allow_expired:
            if cached.payload["expires_at"] > now:
                return cached
        try:
            p = fernet.decode(self.keys, token)
        except fernet.TokenInvalid:
            raise NotFound("Failed to validate token") from None
        if p["expires_at"] <= now:
            if not allow_expired or p["expires_at"] + self.allow_expired_window <= now:
                raise NotFound("Failed to validate token")
        v = self._render(p, token)
        if self._is_revoked(v.payload):
            raise NotFound("Failed to validate token")
        v.rendered_at = now
        if p["expires_at"] > now:
            with self._lock:
                if len(self._cache) > 50_000:
                    self._cache.clear()
                self._cache[token] = v
        return v

    def cached_context(self, token: str) -> RequestContext | None:
        """The context of a token validated within ``cache_ttl``, answered without
        I/O (but a stat of the revocation stamp), or None when ``context_for`` must
        run (it may read the database).  For callers on an event loop."""
        if (self._stamp_mtime() != self._stamp_seen
                or time.monotonic() - self._events_checked >= self.revocation_poll):
            return None
        cached = self._cache.get(token)
        now = time.time()
        if (cached is None or now - cached.rendered_at >= self.cache_ttl
                or cached.payload["expires_at"] <= now):
            return None
        return dataclasses.replace(cached.ctx)

    def context_for(self, token: str) -> RequestContext:
        try:
            # a copy: the cached context is shared, the request id is not
            return dataclasses.replace(self.validate(token).ctx)
        except NotFound:
            raise Unauthorized(UNAUTH) from None

    def _render(self, p: dict[str, Any], token: str) -> Validated:
        """Render a token's body.  What depends only on who and what scope (user,
        project, roles, application credential) is shared by every token of that
        scope for ``cache_ttl`` seconds; the per-token fields are filled in here."""
        if p.get("trust_id"):
            return self._render_fresh(p, token)
        key = (p["user_id"], p.get("project_id"), p.get("domain_id"), p.get("system"), p.get("app_cred_id"))
        now = time.monotonic()
        hit = self._scope_cache.get(key)
        if hit is None or now - hit[0] >= self.cache_ttl:
            fresh = self._render_fresh(dict(p), token)
            extras = {k: v for k, v in fresh.payload.items() if k.startswith("_")}
            hit = (now, extras, fresh.body["token"], fresh.ctx)
            with self._lock:
                if len(self._scope_cache) > 50_000:
                    self._scope_cache.clear()
                self._scope_cache[key] = hit
        _, extras, base, base_ctx = hit
        p.update(extras)
        body = {**base, "methods": p["methods"], "audit_ids": p["audit_ids"],
                "expires_at": fmt_time(p["expires_at"]), "issued_at": fmt_time(p["issued_at"])}
        ctx = dataclasses.replace(base_ctx, auth_token=token, methods=p["methods"],
                                  audit_ids=p["audit_ids"], token=body)
        return Validated(payload=p, body={"token": body}, ctx=ctx)

    def _render_fresh(self, p: dict[str, Any], token: str) -> Validated:
        idm = self.idm
        with idm.db.session() as s:
            user = s.get(User, p["user_id"])
            if user is None or not user.enabled:
                raise NotFound("Failed to validate token")
            udom = s.get(Project, user.domain_id)
            if udom is None or not udom.enabled:
                raise NotFound("Failed to validate token")
            p["_user_domain_id"] = user.domain_id
            ac = None
            if p.get("app_cred_id"):
                ac = s.get(ApplicationCredential, p["app_cred_id"])
                if ac is None:
                    raise NotFound("Failed to validate token")
            body: dict[str, Any] = {
                "methods": p["methods"],
                "user": {
                    "id": user.id, "name": user.name,
                    "domain": {"id": udom.id, "name": udom.name},
                    "password_expires_at": fmt_dt(idm.users.password_expires_at(s, user)),
                },
                "audit_ids": p["audit_ids"],
                "expires_at": fmt_time(p["expires_at"]),
                "issued_at": fmt_time(p["issued_at"]),
            }
            ctx = RequestContext(user_id=user.id, user_domain_id=user.domain_id, auth_token=token,
                                 methods=p["methods"], audit_ids=p["audit_ids"])
            roles: list[Any] = []
            if p.get("trust_id"):
                roles = self._render_trust(s, p, user, body, ctx)
            elif p.get("project_id"):
                proj = s.get(Project, p["project_id"])
                if proj is None or proj.is_domain or not proj.enabled:
                    raise NotFound("Failed to validate token")
                pdom = s.get(Project, proj.domain_id)
                if pdom is None or not pdom.enabled:
                    raise NotFound("Failed to validate token")
                p["_project_domain_id"] = proj.domain_id
                roles = idm.roles.effective_roles(s, user.id, project=proj, lineage=idm.resource.lineage(s, proj))
                body["project"] = {"id": proj.id, "name": proj.name, "domain": {"id": pdom.id, "name": pdom.name}}
                body["is_domain"] = False
                ctx.project_id, ctx.project_domain_id = proj.id, proj.domain_id
            elif p.get("domain_id"):
                dom = s.get(Project, p["domain_id"])
                if dom is None or not dom.is_domain or not dom.enabled:
                    raise NotFound("Failed to validate token")
                roles = idm.roles.effective_roles(s, user.id, domain_id=dom.id)
                body["domain"] = {"id": dom.id, "name": dom.name}
                ctx.domain_id = dom.id
            elif p.get("system"):
                roles = idm.roles.effective_roles(s, user.id, system=True)
                body["system"] = {"all": True}
                ctx.system_scope = "all"
            if ac is not None:
                roles = [r for r in roles if r.id in set(idm.roles.implied_closure(s, ac.role_ids))]
                rules = idm.appcreds.access_rules(s, ac.id)
                body["application_credential"] = {
                    "id": ac.id, "name": ac.name, "restricted": not ac.unrestricted,
                }
                if rules:
                    body["application_credential"]["access_rules"] = [
                        {"id": r.id, "service": r.service, "path": r.path, "method": r.method} for r in rules]
                ctx.application_credential_id = ac.id
            scoped = any(p.get(k) for k in ("project_id", "domain_id", "system"))
            if scoped and not roles:
                raise NotFound("Failed to validate token")
            if scoped or p.get("trust_id"):
                body["roles"] = [{"id": r.id, "name": r.name} for r in roles]
            ctx.roles = [r.name for r in roles]
            ctx.role_ids = [r.id for r in roles]
        ctx.token = body
        return Validated(payload=p, body={"token": body}, ctx=ctx)

    def _render_trust(self, s: Session, p: dict[str, Any], user: User, body: dict[str, Any],
                      ctx: RequestContext) -> list[Any]:
        """A trust-scoped token (upstream's rules): its user is the trustee; the trust
        still exists and has not expired; trustor and trustor's domain are enabled;
        the roles are the delegated ones the trustor still holds.  With impersonation
        the token speaks as the trustor."""
        idm = self.idm
        try:
            t = idm.trusts.get(s, p["trust_id"], usable=False)
            if t.expires_at is not None and t.expires_at.timestamp() <= time.time():
                raise NotFound("trust expired")
            if t.trustee_user_id != user.id:
                raise NotFound("not the trustee")
            trustor = s.get(User, t.trustor_user_id)
            tdom = s.get(Project, trustor.domain_id) if trustor is not None else None
            if trustor is None or not trustor.enabled or tdom is None or not tdom.enabled:
                raise NotFound("trustor disabled")
            roles = idm.trusts.delegated_roles(s, t)
        except (NotFound, Forbidden):
            raise NotFound("Failed to validate token") from None
        p["_trustor_id"] = trustor.id
        if t.project_id:
            proj = s.get(Project, t.project_id)
            pdom = s.get(Project, proj.domain_id) if proj is not None else None
            if proj is None or proj.is_domain or not proj.enabled or pdom is None or not pdom.enabled:
                raise NotFound("Failed to validate token")
            p["_project_domain_id"] = proj.domain_id
            body["project"] = {"id": proj.id, "name": proj.name, "domain": {"id": pdom.id, "name": pdom.name}}
            ctx.project_id, ctx.project_domain_id = proj.id, proj.domain_id
        body["OS-TRUST:trust"] = {
            "id": t.id, "trustor_user": {"id": trustor.id}, "trustee_user": {"id": user.id},
            "impersonation": t.impersonation,
        }
        if t.impersonation:
            body["user"] = {
                "id": trustor.id, "name": trustor.name, "domain": {"id": tdom.id, "name": tdom.name},
                "password_expires_at": fmt_dt(idm.users.password_expires_at(s, trustor)),
            }
            ctx.user_id, ctx.user_domain_id = trustor.id, trustor.domain_id
        ctx.trust_id = t.id
        return roles

    # ---- issue ------------------------------------------------------------------
    def issue(self, auth: Mapping[str, Any], *, caller_token: str | None = None) -> tuple[str, Validated]:
        """POST /v3/auth/tokens: authenticate the methods, resolve the scope, mint."""
        identity = auth.get("identity")
        if not isinstance(identity, dict) or not isinstance(identity.get("methods"), list) or not identity["methods"]:
            raise BadRequest("Invalid input for field 'identity': 'methods' is a required property.")
        methods: list[str] = identity["methods"]
        for m in methods:
            if m not in ("password", "token", "application_credential"):
                raise Unauthorized("Attempted to authenticate with an unsupported method.")
            if m not in identity:
                raise BadRequest(f"Invalid input for field 'identity': '{m}' is a required property.")
        user_id: str | None = None
        expires_at = time.time() + self.expiration
        audit_ids = [_audit_id()]
        app_cred: ApplicationCredential | None = None
        scope_from_token: dict[str, Any] = {}
        inherited_methods: list[str] = []
        for m in methods:
            if m == "password":
                uid = self._password_auth(identity["password"])
            elif m == "token":
                uid, prev = self._token_auth(identity["token"])
                expires_at = min(expires_at, prev["expires_at"])
                audit_ids = [audit_ids[0], prev["audit_ids"][-1]]
                if prev.get("app_cred_id"):
                    raise Forbidden("Cannot rescope a token issued by an application credential.")
                if prev.get("trust_id"):
                    raise Forbidden("Using trust-scoped token to create another token. "
                                    "Create a new trust-scoped token instead.")
                scope_from_token = {k: prev.get(k) for k in ("project_id", "domain_id", "system")}
                # upstream: the token method carries the previous token's methods along
                inherited_methods = list(prev.get("methods") or [])
            else:
                uid, app_cred = self._app_cred_auth(identity["application_credential"])
                if app_cred.expires_at is not None:
                    expires_at = min(expires_at, app_cred.expires_at.timestamp())
            if user_id is not None and uid != user_id:
                raise Unauthorized("Methods authenticated different users.")
            user_id = uid
        assert user_id is not None
        has_method_scope_restriction = "token" in methods and any(scope_from_token.values())
        scope = self._resolve_scope(auth.get("scope"), user_id, app_cred)
        if scope.get("trust_id"):
            trust_expiry = scope.pop("_trust_expires_at", None)
            if trust_expiry is not None:
                expires_at = min(expires_at, trust_expiry)
        if has_method_scope_restriction and not any(scope.values()):
            scope = scope_from_token
        now = time.time()
        payload = {
            "user_id": user_id,
            "methods": list(dict.fromkeys(methods + inherited_methods)),
            "project_id": scope.get("project_id"),
            "domain_id": scope.get("domain_id"),
            "system": "all" if scope.get("system") else None,
            "expires_at": expires_at,
            "issued_at": int(now * 1_000_000) / 1_000_000,  # what the token carries
            "audit_ids": audit_ids,
            "app_cred_id": app_cred.id if app_cred else None,
            "trust_id": scope.get("trust_id"),
        }
        token = fernet.encode(self.keys, payload)
        self._refresh_events()
        try:
            v = self._render(dict(payload), token)
        except NotFound:
            if scope.get("trust_id"):  # upstream: trustor disabled or lost a delegated role
                raise Forbidden("Trustee has no delegated roles.") from None
            if scope.get("project_id"):
                raise Unauthorized(f"User {user_id} has no access to project {scope['project_id']}") from None
            if scope.get("domain_id"):
                raise Unauthorized(f"User {user_id} has no access to domain {scope['domain_id']}") from None
            if scope.get("system"):
                raise Unauthorized(f"User {user_id} has no access to the system") from None
            raise Unauthorized(UNAUTH) from None
        if scope.get("trust_id"):
            # upstream: a use is counted only once the token was issued
            try:
                self.idm.trusts.consume_use(scope["trust_id"])
            except NotFound as e:
                raise Unauthorized(e.message) from None
        return token, v

    def _user_from(self, s: Session, u: Mapping[str, Any]) -> User:
        if not isinstance(u, dict):
            raise BadRequest("Invalid input for field 'user': must be an object.")
        if "id" in u:
            user = s.get(User, u["id"]) if isinstance(u["id"], str) and len(u["id"]) <= 64 else None
        elif "name" in u:
            dom = u.get("domain")
            if not isinstance(dom, dict) or not ("id" in dom or "name" in dom):
                raise BadRequest("Invalid input for field 'user': a user name needs a domain id or name.")
            if "id" in dom:
                domain_id = dom["id"]
            else:
                d = s.scalar(sa.select(Project).where(Project.is_domain.is_(True), Project.name == dom["name"]))
                if d is None:
                    raise Unauthorized(UNAUTH)
                domain_id = d.id
            user = s.scalar(sa.select(User).where(User.name == u["name"], User.domain_id == domain_id))
        else:
            raise BadRequest("Invalid input for field 'user': an id or a name is required.")
        if user is None:
            raise Unauthorized(UNAUTH)
        if not user.enabled:
            raise Unauthorized(UNAUTH)
        dom = s.get(Project, user.domain_id)
        if dom is None or not dom.enabled:
            raise Unauthorized(UNAUTH)
        return user

    def _password_auth(self, body: Any) -> str:
        if not isinstance(body, dict) or not isinstance(body.get("user"), dict):
            raise BadRequest("Invalid input for field 'password': 'user' is a required property.")
        pw = body["user"].get("password")
        if not isinstance(pw, str):
            raise BadRequest("Invalid input for field 'password.user': 'password' is a required property.")
        with self.idm.db.session() as s:
            user = self._user_from(s, body["user"])
            uid = user.id
        self.idm.users.authenticate(uid, pw)
        return uid

    def _token_auth(self, body: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise BadRequest("Invalid input for field 'token': 'id' is a required property.")
        try:
            v = self.validate(body["id"])
        except NotFound:
            # upstream: the token method re-raises TokenNotFound (404), not 401
            raise NotFound(f"Could not find token: {body['id']}.") from None
        return v.payload["user_id"], v.payload

    def _app_cred_auth(self, body: Any) -> tuple[str, ApplicationCredential]:
        if not isinstance(body, dict) or not isinstance(body.get("secret"), str):
            raise BadRequest("Invalid input for field 'application_credential': 'secret' is a required property.")
        with self.idm.db.session() as s:
            ac = self.idm.appcreds.find_for_auth(s, body, lambda u: self._user_from(s, u).id)
            user = s.get(User, ac.user_id)
            if user is None or not user.enabled:
                raise Unauthorized(UNAUTH)
            secret_hash, expires = ac.secret_hash, ac.expires_at
        if expires is not None and expires <= dt.datetime.now(dt.timezone.utc):
            raise Unauthorized("The application credential has expired.")
        if not passwords.check_password(body["secret"], secret_hash):
            raise Unauthorized(UNAUTH)
        return ac.user_id, ac

    def _resolve_scope(self, scope: Any, user_id: str, app_cred: ApplicationCredential | None) -> dict[str, Any]:
        """An explicit scope (project or domain by id or name) resolves the same for
        everyone: remembered for ``cache_ttl`` seconds, forgotten on any identity write."""
        if app_cred is not None or not isinstance(scope, dict) or not scope or "OS-TRUST:trust" in scope:
            return self._resolve_scope_uncached(scope, user_id, app_cred)
        try:
            key = json.dumps(scope, sort_keys=True)
        except (TypeError, ValueError):
            return self._resolve_scope_uncached(scope, user_id, app_cred)
        now = time.monotonic()
        hit = self._names.get(key)
        if hit is not None and now - hit[0] < self.cache_ttl:
            return dict(hit[1])
        resolved = self._resolve_scope_uncached(scope, user_id, app_cred)
        with self._lock:
            if len(self._names) > 10_000:
                self._names.clear()
            self._names[key] = (now, dict(resolved))
        return resolved

    def _resolve_scope_uncached(self, scope: Any, user_id: str, app_cred: ApplicationCredential | None) -> dict[str, Any]:
        if app_cred is not None:
            if scope and isinstance(scope, dict):
                want = scope.get("project", {}).get("id") if isinstance(scope.get("project"), dict) else None
                if want is not None and want != app_cred.project_id:
                    raise Unauthorized("Application credentials cannot request a scope.")
            if app_cred.system:
                return {"system": True}
            return {"project_id": app_cred.project_id}
        if scope is None or scope == {}:
            # upstream: an unscoped request gets the user's default project if they can use it
            with self.idm.db.session() as s:
                u = s.get(User, user_id)
                dp = u.default_project_id if u else None
                if dp:
                    proj = s.get(Project, dp)
                    if proj is not None and proj.enabled and not proj.is_domain:
                        if self.idm.roles.direct_role_ids(s, user_id, project=proj, lineage=self.idm.resource.lineage(s, proj)):
                            return {"project_id": dp}
            return {}
        if scope == "unscoped":
            return {}
        if not isinstance(scope, dict):
            raise BadRequest("Invalid input for field 'scope': must be an object.")
        keys = [k for k in ("project", "domain", "system", "OS-TRUST:trust") if k in scope]
        if len(keys) != 1:
            raise BadRequest("Invalid input for field 'scope': specify exactly one of project, domain or system.")
        with self.idm.db.session() as s:
            if "project" in scope:
                pr = scope["project"]
                if not isinstance(pr, dict):
                    raise BadRequest("Invalid input for field 'scope.project': must be an object.")
                if "id" in pr:
                    proj = s.get(Project, pr["id"]) if isinstance(pr["id"], str) and len(pr["id"]) <= 64 else None
                elif "name" in pr:
                    dom = pr.get("domain")
                    if not isinstance(dom, dict) or not ("id" in dom or "name" in dom):
                        raise BadRequest("Invalid input for field 'scope.project': a project name needs a domain.")
                    if "id" in dom:
                        did = dom["id"]
                    else:
                        d = s.scalar(sa.select(Project).where(Project.is_domain.is_(True), Project.name == dom["name"]))
                        if d is None:
                            raise Unauthorized(f"Could not find domain: {dom['name']}.")
                        did = d.id
                    proj = s.scalar(sa.select(Project).where(Project.name == pr["name"], Project.domain_id == did, Project.is_domain.is_(False)))
                else:
                    raise BadRequest("Invalid input for field 'scope.project': an id or a name is required.")
                if proj is None or proj.is_domain:
                    raise Unauthorized(f"Could not find project: {pr.get('id') or pr.get('name')}.")
                if not proj.enabled:
                    raise Unauthorized(f"Project {proj.id} is disabled.")
                return {"project_id": proj.id}
            if "domain" in scope:
                dm = scope["domain"]
                if not isinstance(dm, dict):
                    raise BadRequest("Invalid input for field 'scope.domain': must be an object.")
                if "id" in dm:
                    dom = s.get(Project, dm["id"]) if isinstance(dm["id"], str) and len(dm["id"]) <= 64 else None
                elif "name" in dm:
                    dom = s.scalar(sa.select(Project).where(Project.is_domain.is_(True), Project.name == dm["name"]))
                else:
                    raise BadRequest("Invalid input for field 'scope.domain': an id or a name is required.")
                if dom is None or not dom.is_domain:
                    raise Unauthorized(f"Could not find domain: {dm.get('id') or dm.get('name')}.")
                if not dom.enabled:
                    raise Unauthorized(f"Domain {dom.id} is disabled.")
                return {"domain_id": dom.id}
            if "system" in scope:
                if scope["system"] != {"all": True}:
                    raise BadRequest("Invalid input for field 'scope.system': only {\"all\": true} is supported.")
                return {"system": True}
            tr = scope["OS-TRUST:trust"]
            if not isinstance(tr, dict) or not isinstance(tr.get("id"), str):
                raise BadRequest("Invalid input for field 'scope.OS-TRUST:trust': 'id' is a required property.")
            try:
                t = self.idm.trusts.get(s, tr["id"])
            except NotFound as e:
                raise Unauthorized(e.message) from None
            if t.trustee_user_id != user_id:
                raise Forbidden("User is not a trustee.")
            out: dict[str, Any] = {"trust_id": t.id, "project_id": t.project_id}
            if t.expires_at is not None:
                out["_trust_expires_at"] = t.expires_at.timestamp()
            return out

    def with_catalog(self, v: Validated, nocatalog: bool) -> dict[str, Any]:
        body = dict(v.body["token"])
        scoped = any(v.payload.get(k) for k in ("project_id", "domain_id", "system", "trust_id"))
        if not nocatalog and scoped:  # upstream: unscoped tokens carry no catalog
            body["catalog"] = self.idm.catalog_for(v.payload.get("project_id"))
        return {"token": body}
