"""The identity service's one route table."""

from __future__ import annotations

from onestack.core.errors import keystone_format
from onestack.core.policy import Policy
from onestack.core.web import Route, Service
from onestack.identity import policies
from onestack.identity.api import (
    appcreds,
    auth,
    catalog,
    endpoint_filter,
    policy_blobs,
    resources,
    roles,
    trusts,
    users,
    versions,
)
from onestack.identity.api.deps import Deps
from onestack.identity.manager import IdentityManager

ROUTES: list[Route] = [
    *versions.ROUTES,
    *auth.ROUTES,
    *resources.ROUTES,
    *users.ROUTES,
    *roles.ROUTES,
    *catalog.ROUTES,
    *appcreds.ROUTES,
    *policy_blobs.ROUTES,
    *trusts.ROUTES,
    *endpoint_filter.ROUTES,
]


def build(idm: IdentityManager) -> Service:
    policy = Policy(policies.defaults(), idm.conf.identity.policy_file)
    return Service(
        "identity",
        ROUTES,
        error_format=keystone_format,
        authenticate=idm.tokens.context_for,
        services=Deps(idm=idm, policy=policy),
    )
