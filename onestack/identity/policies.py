"""Keystone's default policy rules (upstream's current defaults), by rule name.

The check strings are upstream Keystone's current (non-deprecated) defaults from
``keystone/common/policies/``, each written out as one final string. Deprecated
fallbacks are not carried, so these behave as ``enforce_new_defaults = True``.
Not covered: access_token, consumer, ec2tokens,
identity_provider, mapping, policy_association, protocol, s3tokens,
service_provider and token_revocation.
"""

from __future__ import annotations

from oslo_policy import policy

# Token scopes that upstream allows for a rule (oslo.policy ``scope_types``).
_SP = ("system", "project")
_SDP = ("system", "domain", "project")
_P = ("project",)

BASE_RULES: dict[str, str] = {
    "admin_required": "role:admin or is_admin:1",
    "service_role": "role:service",
    "service_or_admin": "rule:admin_required or rule:service_role",
    "owner": "user_id:%(user_id)s",
    "admin_or_owner": "rule:admin_required or rule:owner",
    "token_subject": "user_id:%(target.token.user_id)s",
    "admin_or_token_subject": "rule:admin_required or rule:token_subject",
    "service_admin_or_token_subject": "rule:service_or_admin or rule:token_subject",
    "domain_managed_target_role": "'manager':%(target.role.name)s or 'member':%(target.role.name)s or 'reader':%(target.role.name)s",
}

RULES: dict[str, str] = {
    # access_rule
    "identity:get_access_rule": "(role:reader and system_scope:all) or user_id:%(target.user.id)s",
    "identity:list_access_rules": (
        "(role:reader and system_scope:all) or user_id:%(target.user.id)s"
    ),
    "identity:delete_access_rule": (
        "(role:admin and system_scope:all) or user_id:%(target.user.id)s"
    ),
    # application_credential
    "identity:get_application_credential": (
        "(rule:admin_required) or (role:reader and system_scope:all) or rule:owner"
    ),
    "identity:list_application_credentials": (
        "(rule:admin_required) or (role:reader and system_scope:all) or rule:owner"
    ),
    "identity:create_application_credential": "user_id:%(user_id)s",
    "identity:delete_application_credential": "rule:admin_or_owner",
    # auth
    "identity:get_auth_catalog": "",
    "identity:get_auth_projects": "",
    "identity:get_auth_domains": "",
    "identity:get_auth_system": "",
    # credential
    "identity:get_credential": (
        "(rule:admin_required) or (role:reader and system_scope:all) or user_id:%(target.credential.user_id)s"
    ),
    "identity:list_credentials": (
        "(rule:admin_required) or (role:reader and system_scope:all) or user_id:%(target.credential.user_id)s"
    ),
    "identity:create_credential": "(rule:admin_required) or user_id:%(target.credential.user_id)s",
    "identity:update_credential": "(rule:admin_required) or user_id:%(target.credential.user_id)s",
    "identity:delete_credential": "(rule:admin_required) or user_id:%(target.credential.user_id)s",
    # ec2_credential
    "identity:ec2_get_credential": (
        "(rule:admin_required) or (role:reader and system_scope:all) or user_id:%(target.credential.user_id)s"
    ),
    "identity:ec2_list_credentials": (
        "(rule:admin_required) or (role:reader and system_scope:all) or rule:owner"
    ),
    "identity:ec2_create_credential": (
        "(rule:admin_required) or (role:member and user_id:%(target.credential.user_id)s)"
    ),
    "identity:ec2_delete_credential": (
        "(rule:admin_required) or (role:member and user_id:%(target.credential.user_id)s)"
    ),
    # domain
    "identity:get_domain": (
        "rule:admin_required or (role:reader and system_scope:all) or token.domain.id:%(target.domain.id)s or token.project.domain.id:%(target.domain.id)s"
    ),
    "identity:list_domains": (
        "rule:admin_required or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain.id)s)"
    ),
    "identity:create_domain": "rule:admin_required",
    "identity:update_domain": "rule:admin_required",
    "identity:delete_domain": "rule:admin_required",
    # domain_config
    "identity:create_domain_config": "rule:admin_required",
    "identity:get_domain_config": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:get_security_compliance_domain_config": "",
    "identity:update_domain_config": "rule:admin_required",
    "identity:delete_domain_config": "rule:admin_required",
    "identity:get_domain_config_default": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    # endpoint
    "identity:get_endpoint": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_endpoints": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:create_endpoint": "rule:admin_required",
    "identity:update_endpoint": "rule:admin_required",
    "identity:delete_endpoint": "rule:admin_required",
    # endpoint_group
    "identity:create_endpoint_group": "rule:admin_required",
    "identity:list_endpoint_groups": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:get_endpoint_group": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:update_endpoint_group": "rule:admin_required",
    "identity:delete_endpoint_group": "rule:admin_required",
    "identity:list_projects_associated_with_endpoint_group": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:list_endpoints_associated_with_endpoint_group": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:get_endpoint_group_in_project": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:list_endpoint_groups_for_project": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:add_endpoint_group_to_project": "rule:admin_required",
    "identity:remove_endpoint_group_from_project": "rule:admin_required",
    # grant
    "identity:check_grant": (
        "(rule:admin_required) or ((role:reader and system_scope:all) or ((role:reader and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:reader and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s)) and (domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s))"
    ),
    "identity:list_grants": (
        "(rule:admin_required) or ((role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:reader and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s))"
    ),
    "identity:create_grant": (
        "(rule:admin_required) or ((role:admin and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:admin and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s)) and (domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s) or ((role:manager and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:manager and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s)) and rule:domain_managed_target_role"
    ),
    "identity:revoke_grant": (
        "(rule:admin_required) or ((role:admin and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:admin and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s)) and (domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s) or ((role:manager and domain_id:%(target.user.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:manager and domain_id:%(target.user.domain_id)s and domain_id:%(target.domain.id)s) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.project.domain_id)s) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.domain.id)s)) and rule:domain_managed_target_role"
    ),
    "identity:list_system_grants_for_user": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:check_system_grant_for_user": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:create_system_grant_for_user": "rule:admin_required",
    "identity:revoke_system_grant_for_user": "rule:admin_required",
    "identity:list_system_grants_for_group": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:check_system_grant_for_group": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:create_system_grant_for_group": "rule:admin_required",
    "identity:revoke_system_grant_for_group": "rule:admin_required",
    # group
    "identity:get_group": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:list_groups": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:list_groups_for_user": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(user_id)s"
    ),
    "identity:create_group": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:update_group": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:delete_group": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:list_users_in_group": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.group.domain_id)s)"
    ),
    "identity:remove_user_from_group": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)"
    ),
    "identity:check_user_in_group": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)"
    ),
    "identity:add_user_to_group": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)"
    ),
    # implied_role
    "identity:get_implied_role": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_implied_roles": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:create_implied_role": "rule:admin_required",
    "identity:delete_implied_role": "rule:admin_required",
    "identity:list_role_inference_rules": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:check_implied_role": "rule:admin_required or (role:reader and system_scope:all)",
    # limit
    "identity:get_limit_model": "",
    "identity:get_limit": (
        "rule:admin_required or (role:reader and system_scope:all) or (domain_id:%(target.limit.domain.id)s or domain_id:%(target.limit.project.domain_id)s) or (project_id:%(target.limit.project_id)s and not None:%(target.limit.project_id)s)"
    ),
    "identity:list_limits": "",
    "identity:create_limits": "rule:admin_required",
    "identity:update_limit": "rule:admin_required",
    "identity:delete_limit": "rule:admin_required",
    # project
    "identity:get_project": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s) or project_id:%(target.project.id)s"
    ),
    "identity:list_projects": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)"
    ),
    "identity:list_user_projects": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s"
    ),
    "identity:create_project": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:update_project": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:delete_project": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:list_project_tags": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s) or project_id:%(target.project.id)s"
    ),
    "identity:get_project_tag": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s) or project_id:%(target.project.id)s"
    ),
    "identity:update_project_tags": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:create_project_tag": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:delete_project_tags": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    "identity:delete_project_tag": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)"
    ),
    # project_endpoint
    "identity:list_projects_for_endpoint": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:add_endpoint_to_project": "rule:admin_required",
    "identity:check_endpoint_in_project": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:list_endpoints_for_project": (
        "rule:admin_required or (role:reader and system_scope:all)"
    ),
    "identity:remove_endpoint_from_project": "rule:admin_required",
    # region
    "identity:get_region": "",
    "identity:list_regions": "",
    "identity:create_region": "rule:admin_required",
    "identity:update_region": "rule:admin_required",
    "identity:delete_region": "rule:admin_required",
    # registered_limit
    "identity:get_registered_limit": "",
    "identity:list_registered_limits": "",
    "identity:create_registered_limits": "rule:admin_required",
    "identity:update_registered_limit": "rule:admin_required",
    "identity:delete_registered_limit": "rule:admin_required",
    # revoke_event
    "identity:list_revoke_events": "rule:service_or_admin",
    # role
    "identity:get_role": (
        "(rule:admin_required or (role:reader and system_scope:all)) or (role:manager and rule:domain_managed_target_role)"
    ),
    "identity:list_roles": (
        "(rule:admin_required or (role:reader and system_scope:all)) or (role:manager and not domain_id:None)"
    ),
    "identity:create_role": "rule:admin_required",
    "identity:update_role": "rule:admin_required",
    "identity:delete_role": "rule:admin_required",
    "identity:get_domain_role": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_domain_roles": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:create_domain_role": "rule:admin_required",
    "identity:update_domain_role": "rule:admin_required",
    "identity:delete_domain_role": "rule:admin_required",
    # role_assignment
    "identity:list_role_assignments": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)"
    ),
    "identity:list_role_assignments_for_tree": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)"
    ),
    # service
    "identity:get_service": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_services": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:create_service": "rule:admin_required",
    "identity:update_service": "rule:admin_required",
    "identity:delete_service": "rule:admin_required",
    # token
    "identity:check_token": (
        "rule:admin_required or (role:reader and system_scope:all) or rule:token_subject"
    ),
    "identity:validate_token": (
        "rule:admin_required or (role:reader and system_scope:all) or rule:service_role or rule:token_subject"
    ),
    "identity:revoke_token": "rule:admin_required or rule:token_subject",
    # policy (OS-POLICY blobs)
    "identity:get_policy": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_policies": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:create_policy": "rule:admin_required",
    "identity:update_policy": "rule:admin_required",
    "identity:delete_policy": "rule:admin_required",
    # trust
    "identity:create_trust": "user_id:%(target.trust.trustor_user_id)s",
    "identity:list_trusts": "rule:admin_required or (role:reader and system_scope:all)",
    "identity:list_trusts_for_trustor": (
        "(rule:admin_required) or (role:reader and system_scope:all or user_id:%(target.trust.trustor_user_id)s)"
    ),
    "identity:list_trusts_for_trustee": (
        "(rule:admin_required) or (role:reader and system_scope:all or user_id:%(target.trust.trustee_user_id)s)"
    ),
    "identity:list_roles_for_trust": (
        "(rule:admin_required) or (role:reader and system_scope:all or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s)"
    ),
    "identity:get_role_for_trust": (
        "(rule:admin_required) or (role:reader and system_scope:all or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s)"
    ),
    "identity:delete_trust": "rule:admin_required or user_id:%(target.trust.trustor_user_id)s",
    "identity:get_trust": (
        "(rule:admin_required) or (role:reader and system_scope:all or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s)"
    ),
    # user
    "identity:get_user": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and token.domain.id:%(target.user.domain_id)s) or user_id:%(target.user.id)s"
    ),
    "identity:list_users": (
        "(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)"
    ),
    "identity:list_projects_for_user": "",
    "identity:list_domains_for_user": "",
    "identity:create_user": (
        "(rule:admin_required) or (role:manager and token.domain.id:%(target.user.domain_id)s)"
    ),
    "identity:update_user": (
        "(rule:admin_required) or (role:manager and token.domain.id:%(target.user.domain_id)s)"
    ),
    "identity:delete_user": (
        "(rule:admin_required) or (role:manager and token.domain.id:%(target.user.domain_id)s)"
    ),
}

SCOPE_TYPES: dict[str, tuple[str, ...]] = {
    "identity:get_access_rule": _SP,
    "identity:list_access_rules": _SP,
    "identity:delete_access_rule": _SP,
    "identity:get_application_credential": _SP,
    "identity:list_application_credentials": _SP,
    "identity:create_application_credential": _P,
    "identity:delete_application_credential": _SP,
    "identity:get_credential": _SDP,
    "identity:list_credentials": _SDP,
    "identity:create_credential": _SDP,
    "identity:update_credential": _SDP,
    "identity:delete_credential": _SDP,
    "identity:ec2_get_credential": _SP,
    "identity:ec2_list_credentials": _SP,
    "identity:ec2_create_credential": _SP,
    "identity:ec2_delete_credential": _SP,
    "identity:get_domain": _SDP,
    "identity:list_domains": _SDP,
    "identity:create_domain": _SP,
    "identity:update_domain": _SP,
    "identity:delete_domain": _SP,
    "identity:create_domain_config": _SP,
    "identity:get_domain_config": _SP,
    "identity:get_security_compliance_domain_config": _SDP,
    "identity:update_domain_config": _SP,
    "identity:delete_domain_config": _SP,
    "identity:get_domain_config_default": _SP,
    "identity:get_endpoint": _SP,
    "identity:list_endpoints": _SP,
    "identity:create_endpoint": _SP,
    "identity:update_endpoint": _SP,
    "identity:delete_endpoint": _SP,
    "identity:create_endpoint_group": _SP,
    "identity:list_endpoint_groups": _SP,
    "identity:get_endpoint_group": _SP,
    "identity:update_endpoint_group": _SP,
    "identity:delete_endpoint_group": _SP,
    "identity:list_projects_associated_with_endpoint_group": _SP,
    "identity:list_endpoints_associated_with_endpoint_group": _SP,
    "identity:get_endpoint_group_in_project": _SP,
    "identity:list_endpoint_groups_for_project": _SP,
    "identity:add_endpoint_group_to_project": _SP,
    "identity:remove_endpoint_group_from_project": _SP,
    "identity:check_grant": _SDP,
    "identity:list_grants": _SDP,
    "identity:create_grant": _SDP,
    "identity:revoke_grant": _SDP,
    "identity:list_system_grants_for_user": _SP,
    "identity:check_system_grant_for_user": _SP,
    "identity:create_system_grant_for_user": _SP,
    "identity:revoke_system_grant_for_user": _SP,
    "identity:list_system_grants_for_group": _SP,
    "identity:check_system_grant_for_group": _SP,
    "identity:create_system_grant_for_group": _SP,
    "identity:revoke_system_grant_for_group": _SP,
    "identity:get_group": _SDP,
    "identity:list_groups": _SDP,
    "identity:list_groups_for_user": _SDP,
    "identity:create_group": _SDP,
    "identity:update_group": _SDP,
    "identity:delete_group": _SDP,
    "identity:list_users_in_group": _SDP,
    "identity:remove_user_from_group": _SDP,
    "identity:check_user_in_group": _SDP,
    "identity:add_user_to_group": _SDP,
    "identity:get_implied_role": _SP,
    "identity:list_implied_roles": _SP,
    "identity:create_implied_role": _SP,
    "identity:delete_implied_role": _SP,
    "identity:list_role_inference_rules": _SP,
    "identity:check_implied_role": _SP,
    "identity:get_limit_model": _SDP,
    "identity:get_limit": _SDP,
    "identity:list_limits": _SDP,
    "identity:create_limits": _SP,
    "identity:update_limit": _SP,
    "identity:delete_limit": _SP,
    "identity:get_project": _SDP,
    "identity:list_projects": _SDP,
    "identity:list_user_projects": _SDP,
    "identity:create_project": _SDP,
    "identity:update_project": _SDP,
    "identity:delete_project": _SDP,
    "identity:list_project_tags": _SDP,
    "identity:get_project_tag": _SDP,
    "identity:update_project_tags": _SDP,
    "identity:create_project_tag": _SDP,
    "identity:delete_project_tags": _SDP,
    "identity:delete_project_tag": _SDP,
    "identity:list_projects_for_endpoint": _SP,
    "identity:add_endpoint_to_project": _SP,
    "identity:check_endpoint_in_project": _SP,
    "identity:list_endpoints_for_project": _SP,
    "identity:remove_endpoint_from_project": _SP,
    "identity:get_region": _SDP,
    "identity:list_regions": _SDP,
    "identity:create_region": _SP,
    "identity:update_region": _SP,
    "identity:delete_region": _SP,
    "identity:get_registered_limit": _SDP,
    "identity:list_registered_limits": _SDP,
    "identity:create_registered_limits": _SP,
    "identity:update_registered_limit": _SP,
    "identity:delete_registered_limit": _SP,
    "identity:list_revoke_events": _SP,
    "identity:get_role": _SDP,
    "identity:list_roles": _SDP,
    "identity:create_role": _SP,
    "identity:update_role": _SP,
    "identity:delete_role": _SP,
    "identity:get_domain_role": _SP,
    "identity:list_domain_roles": _SP,
    "identity:create_domain_role": _SP,
    "identity:update_domain_role": _SP,
    "identity:delete_domain_role": _SP,
    "identity:list_role_assignments": _SDP,
    "identity:list_role_assignments_for_tree": _SDP,
    "identity:get_service": _SP,
    "identity:list_services": _SP,
    "identity:create_service": _SP,
    "identity:update_service": _SP,
    "identity:delete_service": _SP,
    "identity:check_token": _SDP,
    "identity:validate_token": _SDP,
    "identity:revoke_token": _SDP,
    "identity:get_policy": _SP,
    "identity:list_policies": _SP,
    "identity:create_policy": _SP,
    "identity:update_policy": _SP,
    "identity:delete_policy": _SP,
    "identity:create_trust": _P,
    "identity:list_trusts": _SP,
    "identity:list_trusts_for_trustor": _SP,
    "identity:list_trusts_for_trustee": _SP,
    "identity:list_roles_for_trust": _SP,
    "identity:get_role_for_trust": _SP,
    "identity:delete_trust": _SP,
    "identity:get_trust": _SP,
    "identity:get_user": _SDP,
    "identity:list_users": _SDP,
    "identity:create_user": _SDP,
    "identity:update_user": _SDP,
    "identity:delete_user": _SDP,
}


def defaults() -> list[policy.RuleDefault]:
    """BASE_RULES and RULES as oslo.policy defaults, with upstream's scope_types."""
    out = [policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
    for name, check in RULES.items():
        scopes = SCOPE_TYPES.get(name)
        out.append(policy.RuleDefault(name, check, scope_types=list(scopes) if scopes else None))
    return out
