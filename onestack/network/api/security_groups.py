"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules`` (the routes come from
the shared ``crud_routes``; these adapters name the manager's operations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onestack.core.context import RequestContext
from onestack.core.web import Route
from onestack.network.api.common import crud_routes
from onestack.network.manager.common import bad_request


class _Groups:
    def __init__(self, sg: Any) -> None:
        self.sg = sg

    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> Any:
        return self.sg.list_groups(ctx, query, url)

    def show(self, ctx: RequestContext, sg_id: str, fields: list[str]) -> Any:
        return self.sg.show_group(ctx, sg_id, fields)

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        return self.sg.create_group(ctx, body)

    def update(self, ctx: RequestContext, sg_id: str, body: dict[str, Any], if_match: str | None) -> Any:
        return self.sg.update_group(ctx, sg_id, body, if_match)

    def delete(self, ctx: RequestContext, sg_id: str) -> None:
        self.sg.delete_group(ctx, sg_id)


class _Rules:
    def __init__(self, sg: Any) -> None:
        self.sg = sg

    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> Any:
        return self.sg.list_rules(ctx, query, url)

    def show(self, ctx: RequestContext, rule_id: str, fields: list[str]) -> Any:
        return self.sg.show_rule(ctx, rule_id, fields)

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        return self.sg.create_rule(ctx, body)

    def update(self, ctx: RequestContext, rule_id: str, body: dict[str, Any], if_match: str | None) -> Any:
        self.sg.show_rule(ctx, rule_id)  # 404 first, as upstream
        names = ", ".join(sorted(body)) or "security_group_rule"
        raise bad_request(f"Cannot update read-only attribute(s) '{names}'")

    def delete(self, ctx: RequestContext, rule_id: str) -> None:
        self.sg.delete_rule(ctx, rule_id)


ROUTES: list[Route] = [
    *crud_routes("security-groups", "security_group", lambda m: _Groups(m.secgroups)),
    *crud_routes("security-group-rules", "security_group_rule", lambda m: _Rules(m.secgroups)),
]

EXTENSIONS: list[tuple[str, str, str]] = [
    ("security-group", "security-group", "The security groups extension."),
    ("stateful-security-group", "Stateful security group",
     "Indicates if the security group is stateful or not"),
    ("security-groups-normalized-cidr", "Normalized CIDR field for security group rules",
     "Add new field with normalized remote_ip_prefix cidr in SG rule"),
    ("security-groups-rules-belongs-to-default-sg", "Security group rule belongs to the project's "
     "default security group", "Flag to determine if the security group rule belongs to the "
     "project's default security group"),
]
