"""Keystone's default policy rules parse with oslo.policy and grant what upstream grants."""

from __future__ import annotations

import pytest
from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from onestack.identity import policies

DOM_A = "domain-a"
DOM_B = "domain-b"
PROJ_A = "project-a"  # in DOM_A
PROJ_A2 = "project-a2"  # also in DOM_A
PROJ_B = "project-b"  # in DOM_B


@pytest.fixture
def enforcer(tmp_path) -> oslo_policy.Enforcer:
    conf = cfg.ConfigOpts()
    # The Enforcer looks for a policy file via conf.find_file(), which raises
    # NotInitializedError unless the ConfigOpts has been called once.
    conf(args=[], default_config_files=[], default_config_dirs=[], use_env=False)
    # Point at a file that does not exist and drop policy.d, so no stray
    # ~/policy.yaml or /etc/policy.yaml can override the defaults under test.
    enf = oslo_policy.Enforcer(conf, policy_file=str(tmp_path / "absent-policy.yaml"))
    # Enforcer() registers the [oslo_policy] options, so overrides come after it.
    conf.set_override("enforce_new_defaults", True, group="oslo_policy")
    conf.set_override("policy_dirs", [], group="oslo_policy")
    enf.register_defaults(policies.defaults())
    enf.load_rules()
    return enf


def project_creds(roles: list[str], project_id: str = PROJ_A, project_domain: str = DOM_A) -> dict:
    return {
        "user_id": "u-project",
        "project_id": project_id,
        "domain_id": None,  # only set for domain-scoped tokens
        "system_scope": None,
        "roles": roles,
        "token": {"project": {"id": project_id, "domain": {"id": project_domain}}, "domain": {}},
    }


def domain_creds(roles: list[str], domain_id: str = DOM_A) -> dict:
    return {
        "user_id": "u-domain",
        "project_id": None,
        "domain_id": domain_id,
        "system_scope": None,
        "roles": roles,
        "token": {"project": {}, "domain": {"id": domain_id}},
    }


def system_creds(roles: list[str]) -> dict:
    return {
        "user_id": "u-system",
        "project_id": None,
        "domain_id": None,
        "system_scope": "all",
        "roles": roles,
        "token": {"project": {}, "domain": {}},
    }


def project_target(project_id: str, domain_id: str) -> dict:
    return {"target.project.id": project_id, "target.project.domain_id": domain_id}


def test_every_rule_is_registered_and_parses(enforcer: oslo_policy.Enforcer) -> None:
    names = set(policies.BASE_RULES) | set(policies.RULES)
    assert not set(policies.BASE_RULES) & set(policies.RULES)
    assert set(policies.SCOPE_TYPES) <= set(policies.RULES)
    assert set(enforcer.registered_rules) == names
    assert set(enforcer.rules) == names
    for name in names:
        check = enforcer.rules[name]
        assert isinstance(check, _checks.BaseCheck)
        # An empty string means "always allowed"; any other string that oslo.policy
        # cannot parse comes back as FalseCheck, so reject that.
        want_true = (policies.BASE_RULES | policies.RULES)[name] == ""
        assert isinstance(check, _checks.TrueCheck) is want_true, name
        assert not isinstance(check, _checks.FalseCheck), name
    # Every "rule:x" reference points at a defined rule (raises if not).
    enforcer.check_rules(raise_on_violation=True)


def test_scope_types_come_through(enforcer: oslo_policy.Enforcer) -> None:
    assert enforcer.registered_rules["identity:create_trust"].scope_types == ["project"]
    assert enforcer.registered_rules["identity:get_project"].scope_types == [
        "system",
        "domain",
        "project",
    ]
    assert enforcer.registered_rules["admin_required"].scope_types is None


def test_project_reader_gets_own_project_only(enforcer: oslo_policy.Enforcer) -> None:
    reader = project_creds(["reader"])
    assert enforcer.enforce("identity:get_project", project_target(PROJ_A, DOM_A), reader)
    # A project-scoped token carries no domain_id, so a sibling project stays hidden.
    assert not enforcer.enforce("identity:get_project", project_target(PROJ_A2, DOM_A), reader)
    assert not enforcer.enforce("identity:get_project", project_target(PROJ_B, DOM_B), reader)


def test_domain_reader_gets_projects_in_its_domain(enforcer: oslo_policy.Enforcer) -> None:
    reader = domain_creds(["reader"])
    assert enforcer.enforce("identity:get_project", project_target(PROJ_A2, DOM_A), reader)
    assert not enforcer.enforce("identity:get_project", project_target(PROJ_B, DOM_B), reader)


def test_admin_lists_projects(enforcer: oslo_policy.Enforcer) -> None:
    assert enforcer.enforce("identity:list_projects", {}, project_creds(["admin"]))
    assert enforcer.enforce("identity:list_projects", {}, system_creds(["admin"]))
    assert not enforcer.enforce("identity:list_projects", {}, project_creds(["member"]))


def test_system_reader_lists_users_but_cannot_create(enforcer: oslo_policy.Enforcer) -> None:
    reader = system_creds(["reader"])
    assert enforcer.enforce("identity:list_users", {}, reader)
    assert not enforcer.enforce("identity:create_user", {"target.user.domain_id": DOM_A}, reader)
    # reader without system scope gets nothing from the system clause
    assert not enforcer.enforce("identity:list_users", {}, project_creds(["reader"]))


def test_domain_manager_creates_users_in_its_domain_only(enforcer: oslo_policy.Enforcer) -> None:
    manager = domain_creds(["manager", "member", "reader"])
    assert enforcer.enforce("identity:create_user", {"target.user.domain_id": DOM_A}, manager)
    assert not enforcer.enforce("identity:create_user", {"target.user.domain_id": DOM_B}, manager)


def test_member_cannot_create_project(enforcer: oslo_policy.Enforcer) -> None:
    member = project_creds(["member", "reader"])
    assert not enforcer.enforce("identity:create_project", project_target("new", DOM_A), member)
    manager = domain_creds(["manager"])
    assert enforcer.enforce("identity:create_project", project_target("new", DOM_A), manager)
    assert not enforcer.enforce("identity:create_project", project_target("new", DOM_B), manager)


def test_scope_mismatch_is_denied_or_raises(enforcer: oslo_policy.Enforcer) -> None:
    # create_domain allows system and project scope, not domain scope: even a
    # domain-scoped admin is refused before the check string is looked at.
    admin = domain_creds(["admin"])
    assert not enforcer.enforce("identity:create_domain", {}, admin)
    with pytest.raises(oslo_policy.InvalidScope):
        enforcer.enforce("identity:create_domain", {}, admin, do_raise=True)
    assert enforcer.enforce("identity:create_domain", {}, system_creds(["admin"]))


def test_token_subject_and_trust_owner(enforcer: oslo_policy.Enforcer) -> None:
    me = project_creds(["member"])
    assert enforcer.enforce("identity:revoke_token", {"target.token.user_id": "u-project"}, me)
    assert not enforcer.enforce("identity:revoke_token", {"target.token.user_id": "other"}, me)
    trust = {"target.trust.trustor_user_id": "u-project"}
    assert enforcer.enforce("identity:create_trust", trust, me)
    # create_trust is project-scope only
    assert not enforcer.enforce("identity:create_trust", trust, system_creds(["admin"]))


def test_domain_manager_grants_only_lower_roles(enforcer: oslo_policy.Enforcer) -> None:
    manager = domain_creds(["manager"])
    target = {
        "target.user.domain_id": DOM_A,
        "target.project.domain_id": DOM_A,
        "target.role.domain_id": None,
    }
    for role in ("reader", "member", "manager"):
        assert enforcer.enforce(
            "identity:create_grant", target | {"target.role.name": role}, manager
        )
    assert not enforcer.enforce(
        "identity:create_grant", target | {"target.role.name": "admin"}, manager
    )
