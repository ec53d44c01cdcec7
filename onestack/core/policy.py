"""Policy enforcement with oslo.policy: upstream's default rules per service,
overridable by an operator's policy file in upstream's rule syntax (YAML or JSON)."""

from __future__ import annotations

import os
import time
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
        self._decisions: dict[tuple[Any, ...], bool] = {}
        self._file = policy_file
        self._mtime = os.stat(policy_file).st_mtime_ns if policy_file else 0
        self._checked = time.monotonic()

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
        key = self._key(ctx, rule, t)
        if key is not None:
            self._maybe_reload()
            hit = self._decisions.get(key)
            if hit is not None:
                return hit
        allowed = bool(self._enforcer.enforce(rule, t, ctx.policy_credentials(), do_raise=False))
        if key is not None:
            if len(self._decisions) > 100_000:
                self._decisions.clear()
            self._decisions[key] = allowed
        return allowed

    @staticmethod
    def _key(ctx: RequestContext, rule: str, target: dict[str, Any]) -> tuple[Any, ...] | None:
        """Decisions depend on the caller's identity and scope and on the target's
        plain values; oslo.policy is slow enough to be worth remembering them."""
        items = []
        for k, v in target.items():
            if isinstance(v, (str, int, float, bool, type(None))):
                items.append((k, v))
            elif not isinstance(v, Mapping):
                return None
        return (
            rule, ctx.user_id, ctx.user_domain_id, ctx.project_id, ctx.project_domain_id,
            ctx.domain_id, ctx.system_scope, tuple(ctx.roles), ctx.application_credential_id,
            tuple(sorted(items, key=lambda kv: kv[0])),
        )

    def _maybe_reload(self) -> None:
        """An operator's edit to the policy file takes effect within a second."""
        now = time.monotonic()
        if self._file is None or now - self._checked < 1.0:
            return
        self._checked = now
        try:
            mtime = os.stat(self._file).st_mtime_ns
        except OSError:
            mtime = 0
        if mtime != self._mtime:
            self._mtime = mtime
            self._decisions.clear()

    def enforce(
        self,
        ctx: RequestContext,
        rule: str,
        target: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if not self.check(ctx, rule, target, extra):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")
