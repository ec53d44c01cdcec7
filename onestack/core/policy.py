"""Policy enforcement with oslo.policy: upstream's default rules per service,
overridable by an operator's policy file in upstream's rule syntax (YAML or JSON)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        out[key] = v
    return out


class Policy:
    def __init__(self, defaults: Iterable[oslo_policy.RuleDefault], policy_file: str | None = None) -> None:
        if policy_file is not None and not os.path.isfile(policy_file):
            raise FileNotFoundError(f"policy file {policy_file} not found")
        conf = cfg.ConfigOpts()
        # oslo.config must be "called" once before the Enforcer may look for files
        conf(args=[], default_config_files=[], default_config_dirs=[], use_env=False)
        # without an operator file, point at one that cannot exist, so a stray
        # policy.yaml in ~ or /etc never changes our defaults
        path = policy_file or os.path.join(os.sep, "nonexistent", "onestack-policy.yaml")
        self._enforcer = oslo_policy.Enforcer(conf, policy_file=path)
        conf.set_override("enforce_new_defaults", True, group="oslo_policy")
        conf.set_override("policy_dirs", [], group="oslo_policy")
        self._enforcer.register_defaults(list(defaults))
        self._enforcer.load_rules()

    def check(
        self,
        ctx: RequestContext,
        rule: str,
        target: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> bool:
        """``target`` is reachable as ``%(target.x.y)s``; ``extra`` (upstream puts the
        URL's path parameters there) as ``%(x)s``."""
        t = dict(extra or {})
        if target:
            t.update(flatten({"target": target}))
        return bool(self._enforcer.enforce(rule, t, ctx.policy_credentials(), do_raise=False))

    def enforce(
        self,
        ctx: RequestContext,
        rule: str,
        target: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if not self.check(ctx, rule, target, extra):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")
