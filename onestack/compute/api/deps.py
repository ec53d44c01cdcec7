"""What compute handlers share: the manager and policy (handed over by
``app.py``), the request's microversion, policy checks, versioned body
validation, and links."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from onestack.compute.manager import ComputeManager
from onestack.compute.microversions import MIN, Version
from onestack.core.errors import BadRequest
from onestack.core.policy import Policy
from onestack.core.web import Call

SCOPE_KEY = "onestack.compute.version"


@dataclass
class Deps:
    cm: ComputeManager
    policy: Policy


def deps(call: Call) -> Deps:
    return call.services  # type: ignore[no-any-return]


def cm(call: Call) -> ComputeManager:
    return deps(call).cm


def mv(call: Call) -> Version:
    """The microversion the middleware negotiated for this request."""
    v = call.request.scope.get(SCOPE_KEY)
    return v if isinstance(v, Version) else MIN


def authorize(call: Call, rule: str, project_id: str | None = None, user_id: str | None = None) -> None:
    """Nova passes the target's project/user at the top level of the target."""
    target = {"project_id": project_id if project_id is not None else call.ctx.project_id,
              "user_id": user_id if user_id is not None else call.ctx.user_id}
    deps(call).policy.enforce(call.ctx, "os_compute_api:" + rule, None, target)


def allowed(call: Call, rule: str, project_id: str | None = None) -> bool:
    target = {"project_id": project_id if project_id is not None else call.ctx.project_id,
              "user_id": call.ctx.user_id}
    return deps(call).policy.check(call.ctx, "os_compute_api:" + rule, None, target)


def is_admin(call: Call) -> bool:
    return allowed(call, "os-admin-actions:reset_state")


@functools.lru_cache(maxsize=512)
def _validator(key: int, factory: Callable[[Version], Mapping[str, Any]], version: Version) -> Any:
    schema = factory(version)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(call: Call, factory: Callable[[Version], Mapping[str, Any]]) -> dict[str, Any]:
    """Validate the body against the schema for this request's microversion."""
    body = call.body
    err = jsonschema.exceptions.best_match(_validator(id(factory), factory, mv(call)).iter_errors(body))
    if err is not None:
        path = ".".join(str(p) for p in err.absolute_path)
        where = f" for field/attribute {path}" if path else ""
        raise BadRequest(f"Invalid input{where}. Value: {_short(err.instance)}. {err.message}")
    return body  # type: ignore[no-any-return]


def _short(value: Any) -> str:
    s = repr(value)
    return s if len(s) < 200 else s[:200] + "..."


def root(call: Call) -> str:
    """``http://host/compute/v2.1``"""
    return call.base_url + "/v2.1"


def bookmark(call: Call) -> str:
    return call.base_url


def links(call: Call, collection: str, ident: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{root(call)}/{collection}/{ident}"},
            {"rel": "bookmark", "href": f"{bookmark(call)}/{collection}/{ident}"}]


def qint(call: Call, name: str, minimum: int = 0) -> int | None:
    v = call.query.get(name)
    if v is None:
        return None
    try:
        n = int(v)
    except ValueError:
        raise BadRequest(f"{name} param must be an integer") from None
    if n < minimum:
        raise BadRequest(f"{name} param must be >= {minimum}")
    return n


def next_link(call: Call, collection: str, items: list[Any], limit: int | None, marker_of: Callable[[Any], str]
              ) -> list[dict[str, str]]:
    if limit is None or len(items) < limit or not items:
        return []
    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    params.append(("marker", marker_of(items[-1])))
    from urllib.parse import urlencode

    return [{"rel": "next", "href": f"{root(call)}/{collection}?{urlencode(params)}"}]
