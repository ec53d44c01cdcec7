"""What identity handlers need, handed to them by ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def scoped_domain_filter(call: Call, query: dict[str, str]) -> dict[str, str]:
    """A domain-scoped caller sees its own domain unless it asked for one."""
    q = dict(query)
    if call.ctx.domain_id and "domain_id" not in q:
        q["domain_id"] = call.ctx.domain_id
    return q
