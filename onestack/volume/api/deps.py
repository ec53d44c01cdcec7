"""What volume handlers share: the manager, the negotiated microversion, list
parameters, links, list answers, action bodies and validation helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.core.web import Call
from onestack.volume.manager import VolumeManager
from onestack.volume.manager.listing import ListQuery, parse_query
from onestack.volume.microversions import MIN, Version

SCOPE_KEY = "onestack.volume.version"


def vm(call: Call) -> VolumeManager:
    return call.services  # type: ignore[no-any-return]


def mv(call: Call) -> Version:
    v = call.request.scope.get(SCOPE_KEY)
    return v if isinstance(v, Version) else MIN


def is_admin(call: Call) -> bool:
    return vm(call).st.is_admin(call.ctx)


def project_root(call: Call) -> str:
    """``http://host/volume/v3/<project>``: as the caller addressed it."""
    pid = call.params.get("project_id")
    return call.base_url + "/v3" + (f"/{pid}" if pid else "")


def links(call: Call, collection: str, ident: str) -> list[dict[str, str]]:
    pid = call.params.get("project_id") or call.ctx.project_id or ""
    return [{"rel": "self", "href": f"{call.base_url}/v3/{pid}/{collection}/{ident}"},
            {"rel": "bookmark", "href": f"{call.base_url}/{pid}/{collection}/{ident}"}]


def list_query(call: Call, sort_keys: tuple[str, ...]) -> ListQuery:
    return parse_query(list(call.query.multi_items()), sort_keys)


def next_links(call: Call, collection: str, items: list[Any], q: ListQuery) -> list[dict[str, str]]:
    if q.limit is None or not items or len(items) < q.limit:
        return []
    params = [(k, v) for k, v in call.query.multi_items() if k not in ("marker", "offset")]
    params.append(("marker", items[-1].id))
    return [{"rel": "next", "href": f"{project_root(call)}/{collection}?{urlencode(params)}"}]


def collection(call: Call, key: str, views: list[dict[str, Any]], items: list[Any], q: ListQuery,
               count: int | None, path: str, with_links: bool = True) -> dict[str, Any]:
    """A list answer: ``{key: views}``, ``<key>_links`` (the next page) when the
    page is full and ``with_links``, ``count`` from 3.45 when it was asked for."""
    out: dict[str, Any] = {key: views}
    nl = next_links(call, path, items, q) if with_links else []
    if nl:
        out[key + "_links"] = nl
    if count is not None and mv(call) >= (3, 45):
        out["count"] = count
    return out


def action_of(call: Call) -> tuple[str, Any]:
    """The one action a ``POST .../action`` body holds: (name, argument)."""
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: exactly one action is expected.")
    (name, arg), = body.items()
    return name, arg


def status_of(arg: Any) -> Any:
    if not isinstance(arg, dict) or "status" not in arg:
        raise BadRequest("Must specify 'status'")
    return arg["status"]


def admin_action(call: Call, mgr: Any, ident: str, more: Mapping[str, Callable[[Any], None]] | None = None
                 ) -> Response:
    """Cinder's admin actions on a snapshot or backup (``os-reset_status``,
    ``os-force_delete``) and the resource's ``more`` actions, by name: 202."""
    name, arg = action_of(call)
    if name == "os-reset_status":
        mgr.reset_status(call.ctx, ident, status_of(arg))
    elif name == "os-force_delete":
        mgr.delete(call.ctx, ident, force=True)
    elif more and name in more:
        more[name](arg)
    else:
        raise BadRequest(f"There is no such action: {name}")
    return Response(status_code=202)


def body_of(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return body[key]  # type: ignore[no-any-return]


def member_of(call: Call, key: str) -> Any:
    """The ``key`` member of the request body, whatever its type."""
    body = call.body
    if not isinstance(body, dict) or key not in body:
        raise BadRequest(f"Malformed request body: '{key}' is required.")
    return body[key]


def check_string(value: Any, name: str, max_len: int = 255, nullable: bool = True) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or len(value) > max_len:
        raise BadRequest(f"Invalid input for field/attribute {name}. It must be a string of at most "
                         f"{max_len} characters.")


def check_names(body: dict[str, Any]) -> None:
    """A volume's or snapshot's name (under its new and old key) and description."""
    for k in ("name", "display_name"):
        check_string(body.get(k), k)
    check_string(body.get("description"), "description", 65535)
