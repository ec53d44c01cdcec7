"""The request context: who is calling, with what scope and roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RequestContext:
    user_id: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system_scope: str | None = None
    roles: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    auth_token: str | None = None
    methods: list[str] = field(default_factory=list)
    audit_ids: list[str] = field(default_factory=list)
    application_credential_id: str | None = None
    # set for trust-scoped tokens (OS-TRUST): the caller acts through a delegation
    trust_id: str | None = None
    # The token body as Keystone renders it; policy rules read ``token.*``.
    token: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def policy_credentials(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": self.project_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id,
            "system_scope": self.system_scope,
            "roles": self.roles,
            "token": {k: v for k, v in self.token.items() if v is not None},
            "is_admin": False,
            "is_admin_project": True,
        }
