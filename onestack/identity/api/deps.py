"""What identity handlers need, handed to them by ``app.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from onestack.core.errors import NotFound
from onestack.core.policy import Policy
from onestack.core.web import Call
from onestack.identity.manager import IdentityManager


@dataclass
class Deps:
    idm: IdentityManager
    policy: Policy


def deps(call: Call) -> Deps:
    return call.services  # type: ignore[no-any-return]


def enforce(call: Call, rule: str, target: dict[str, Any] | None = None) -> None:
    deps(call).policy.enforce(call.ctx, rule, target, call.params)


T = TypeVar("T")


def fetch_or_deny(call: Call, rule: str, fetch: Callable[[], T]) -> T:
    """Upstream enforces before it looks: an unknown id is a 403 to a caller the rule
    refuses whatever the target, and a 404 only to one it would admit."""
    try:
        return fetch()
    except NotFound:
        enforce(call, rule, {})
        raise


def scoped_domain_filter(call: Call, query: dict[str, str]) -> dict[str, str]:
    """A domain-scoped caller sees its own domain only: upstream enforces against the
    token's domain and filters the result to it, whatever ``domain_id`` was asked for."""
    q = dict(query)
    if call.ctx.domain_id:
        if q.setdefault("domain_id", call.ctx.domain_id) != call.ctx.domain_id:
            q["domain_id"] = ""  # no domain has an empty id: an empty result
    return q


def list_target(call: Call, q: dict[str, str]) -> dict[str, Any] | None:
    """The policy target of a listing: the token's domain for a domain-scoped caller."""
    if call.ctx.domain_id:
        return {"domain_id": call.ctx.domain_id}
    return {"domain_id": q["domain_id"]} if "domain_id" in q else None
