"""First start: the default domain, the admin user and project, upstream's default
roles (admin implies member implies reader; plus service and manager), the
region and the catalog for every enabled service."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from onestack.core.config import Config
from onestack.identity.manager import IdentityManager
from onestack.identity.manager.resource import DEFAULT_DOMAIN_ID
from onestack.identity.models import Role, User

DEFAULT_ROLES = ("admin", "member", "reader", "manager", "service", "ResellerAdmin")
IMPLIED = (("admin", "member"), ("member", "reader"), ("manager", "member"))

# service name -> (catalog type(s), display name, path under the public URL)
CATALOG = {
    "identity": ([("identity", "keystone")], "/identity/v3"),
    "compute": ([("compute", "nova")], "/compute/v2.1"),
    "image": ([("image", "glance")], "/image"),
    "network": ([("network", "neutron")], "/network"),
    "volume": ([("block-storage", "cinder"), ("volumev3", "cinderv3")], "/volume/v3/$(project_id)s"),
    "object_store": ([("object-store", "swift")], "/object-store/v1/AUTH_$(project_id)s"),
    "dns": ([("dns", "designate")], "/dns"),
}


@dataclass
class BootstrapResult:
    created: bool
    password: str
    generated: bool


def bootstrap(conf: Config, idm: IdentityManager) -> BootstrapResult:
    """Idempotent: creates what is missing, refreshes the catalog URLs."""
    b = conf.bootstrap
    generated = False
    password = b.admin_password
    created = False
    with idm.db.session() as s:
        idm.resource.ensure_default_domain(s)
        roles = {}
        for name in DEFAULT_ROLES:
            r = s.scalar(sa.select(Role).where(Role.name == name, Role.domain_id == "<<null>>"))
            if r is None:
                r = idm.roles.create_role(s, {"name": name})
            roles[name] = r
        s.flush()
        for prior, implied in IMPLIED:
            idm.roles.create_implied(s, roles[prior].id, roles[implied].id)
        try:
            project = idm.resource.project_by_name(s, b.admin_project, DEFAULT_DOMAIN_ID)
        except Exception:
            project = idm.resource.create_project(s, {"name": b.admin_project, "description": "Bootstrap project for initializing the cloud."}, DEFAULT_DOMAIN_ID)
        user = s.scalar(sa.select(User).where(User.name == b.admin_username, User.domain_id == DEFAULT_DOMAIN_ID))
        if user is None:
            created = True
            if not password:
                password = secrets.token_urlsafe(18)
                generated = True
            user = idm.users.create_user(s, {"name": b.admin_username, "domain_id": DEFAULT_DOMAIN_ID, "password": password, "enabled": True})
        elif password:
            # an explicit password is the operator's intent: make it the admin's
            cur = idm.users.current_password(s, user.id)
            from onestack.identity import passwords
            if cur is None or not passwords.check_password(password, cur.password_hash):
                idm.users.update_user(s, user.id, {"password": password})
        s.flush()
        idm.roles.grant(s, "user", user.id, "project", project.id, roles["admin"].id)
        idm.roles.grant(s, "user", user.id, "system", "all", roles["admin"].id)
        idm.roles.grant(s, "user", user.id, "domain", DEFAULT_DOMAIN_ID, roles["admin"].id)
        region = conf.region.name
        base = conf.public_url
        for svc in conf.services.enabled:
            types, path = CATALOG[svc]
            url = (conf.identity_url + "/v3") if svc == "identity" else base + path
            for typ, name in types:
                idm.catalog.ensure(s, region, typ, name, {i: url for i in ("public", "internal", "admin")})
    idm.changed()
    return BootstrapResult(created=created, password=password or "", generated=generated)
