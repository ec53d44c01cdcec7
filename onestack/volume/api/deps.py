"""What volume handlers share: the manager, the negotiated microversion, list
parameters, links and validation helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

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


def body_of(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return body[key]  # type: ignore[no-any-return]


def check_string(value: Any, name: str, max_len: int = 255, nullable: bool = True) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or len(value) > max_len:
        raise BadRequest(f"Invalid input for field/attribute {name}. It must be a string of at most "
                         f"{max_len} characters.")
