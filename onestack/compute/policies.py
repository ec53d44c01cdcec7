"""Nova's default policy rules (upstream's current defaults, as
``enforce_new_defaults = True``), by rule name.  Targets carry the resource's
``project_id`` (and ``user_id`` for keypairs) at the top level, as Nova does."""

from __future__ import annotations

from oslo_policy import policy

BASE_RULES: dict[str, str] = {
    "context_is_admin": "role:admin",
    "admin_api": "role:admin",
    "project_member_api": "role:member and project_id:%(project_id)s",
    "project_reader_api": "role:reader and project_id:%(project_id)s",
    "project_member_or_admin": "rule:project_member_api or rule:context_is_admin",
    "project_reader_or_admin": "rule:project_reader_api or rule:context_is_admin",
}

_R = "rule:project_reader_or_admin"
_M = "rule:project_member_or_admin"
_A = "rule:admin_api"
_ANY = "@"
_P = "os_compute_api:"

RULES: dict[str, str] = {
    # servers
    _P + "servers:index": _R,
    _P + "servers:detail": _R,
    _P + "servers:index:get_all_tenants": _A,
    _P + "servers:detail:get_all_tenants": _A,
    _P + "servers:allow_all_filters": _A,
    _P + "servers:show": _R,
    _P + "servers:show:host_status": _A,
    _P + "servers:show:flavor-extra-specs": _R,
    _P + "servers:create": _M,
    _P + "servers:create:forced_host": _A,
    _P + "servers:create:attach_network": _M,
    _P + "servers:delete": _M,
    _P + "servers:update": _M,
    _P + "servers:confirm_resize": _M,
    _P + "servers:revert_resize": _M,
    _P + "servers:reboot": _M,
    _P + "servers:resize": _M,
    _P + "servers:rebuild": _M,
    _P + "servers:create_image": _M,
    _P + "servers:start": _M,
    _P + "servers:stop": _M,
    _P + "os-extended-server-attributes": _A,
    _P + "os-pause-server:pause": _M,
    _P + "os-pause-server:unpause": _M,
    _P + "os-suspend-server:suspend": _M,
    _P + "os-suspend-server:resume": _M,
    _P + "os-lock-server:lock": _M,
    _P + "os-lock-server:unlock": _M,
    _P + "os-lock-server:unlock:unlock_override": _A,
    _P + "os-rescue": _M,
    _P + "os-unrescue": _M,
    _P + "os-console-output": _M,
    _P + "os-admin-actions:reset_state": _A,
    _P + "server-metadata:index": _R,
    _P + "server-metadata:show": _R,
    _P + "server-metadata:create": _M,
    _P + "server-metadata:update": _M,
    _P + "server-metadata:update_all": _M,
    _P + "server-metadata:delete": _M,
    _P + "os-server-tags:index": _R,
    _P + "os-server-tags:show": _R,
    _P + "os-server-tags:update": _M,
    _P + "os-server-tags:update_all": _M,
    _P + "os-server-tags:delete": _M,
    _P + "os-server-tags:delete_all": _M,
    _P + "os-security-groups:get": _R,
    _P + "os-security-groups:show": _R,
    _P + "os-security-groups:create": _M,
    _P + "os-security-groups:update": _M,
    _P + "os-security-groups:delete": _M,
    _P + "os-security-groups:rule:create": _M,
    _P + "os-security-groups:rule:delete": _M,
    _P + "os-security-groups:list": _R,
    _P + "os-security-groups:add": _M,
    _P + "os-security-groups:remove": _M,
    _P + "os-instance-actions:list": _R,
    _P + "os-instance-actions:show": _R,
    _P + "os-instance-actions:events": _A,
    _P + "os-instance-actions:events:details": _A,
    # flavors
    _P + "os-flavor-manage:create": _A,
    _P + "os-flavor-manage:update": _A,
    _P + "os-flavor-manage:delete": _A,
    _P + "os-flavor-access": _A,
    _P + "os-flavor-access:add_tenant_access": _A,
    _P + "os-flavor-access:remove_tenant_access": _A,
    _P + "os-flavor-extra-specs:index": _R,
    _P + "os-flavor-extra-specs:show": _R,
    _P + "os-flavor-extra-specs:create": _A,
    _P + "os-flavor-extra-specs:update": _A,
    _P + "os-flavor-extra-specs:delete": _A,
    # keypairs
    _P + "os-keypairs:index": "(rule:admin_api) or user_id:%(user_id)s",
    _P + "os-keypairs:show": "(rule:admin_api) or user_id:%(user_id)s",
    _P + "os-keypairs:create": "(rule:admin_api) or user_id:%(user_id)s",
    _P + "os-keypairs:delete": "(rule:admin_api) or user_id:%(user_id)s",
    # everything else
    _P + "os-availability-zone:list": _ANY,
    _P + "os-availability-zone:detail": _A,
    _P + "os-quota-sets:show": _R,
    _P + "os-quota-sets:update": _A,
    _P + "os-quota-sets:delete": _A,
    _P + "os-quota-sets:defaults": _ANY,
    _P + "os-quota-sets:detail": _R,
    _P + "limits": _ANY,
    _P + "limits:other_project": _A,
    _P + "os-simple-tenant-usage:show": _R,
    _P + "os-simple-tenant-usage:list": _A,
    _P + "os-server-groups:index": _R,
    _P + "os-server-groups:index:all_projects": _A,
    _P + "os-server-groups:show": _R,
    _P + "os-server-groups:create": _M,
    _P + "os-server-groups:delete": _M,
    _P + "os-hypervisors:list": _A,
    _P + "os-hypervisors:list-detail": _A,
    _P + "os-hypervisors:show": _A,
    _P + "os-hypervisors:statistics": _A,
    _P + "os-hypervisors:uptime": _A,
    _P + "os-hypervisors:search": _A,
    _P + "os-hypervisors:servers": _A,
    _P + "os-services:list": _A,
    _P + "os-services:update": _A,
    _P + "os-services:delete": _A,
}


def defaults() -> list[policy.RuleDefault]:
    out = [policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
    out += [policy.RuleDefault(name, check) for name, check in RULES.items()]
    return out
