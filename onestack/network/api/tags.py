"""``/v2.0/{resource}/{id}/tags`` (``standard-attr-tag``) for every taggable resource."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route
from onestack.network.manager.common import bad_request

BODY = {"type": "object"}


def _args(call: Call) -> tuple[str, str]:
    return call.params["collection"], call.params["id"]


def list_tags(call: Call) -> Any:
    return {"tags": call.services.tags.list(call.ctx, *_args(call))}


def replace_tags(call: Call) -> Any:
    body = call.body
    if not isinstance(body, dict) or "tags" not in body:
        raise bad_request("Invalid input for operation: 'tags' is required.", "InvalidInput")
    return {"tags": call.services.tags.replace(call.ctx, *_args(call), body["tags"])}


def delete_tags(call: Call) -> Any:
    call.services.tags.remove_all(call.ctx, *_args(call))


def check_tag(call: Call) -> Any:
    call.services.tags.has(call.ctx, *_args(call), call.params["tag"])


def add_tag(call: Call) -> Any:
    call.services.tags.add(call.ctx, *_args(call), call.params["tag"])


def delete_tag(call: Call) -> Any:
    call.services.tags.remove(call.ctx, *_args(call), call.params["tag"])


_T = "/v2.0/{collection}/{id}/tags"
ROUTES: list[Route] = [
    Route("GET", _T, list_tags),
    Route("PUT", _T, replace_tags, schema=BODY),
    Route("DELETE", _T, delete_tags, status=204),
    Route("GET", _T + "/{tag}", check_tag, status=204),
    Route("PUT", _T + "/{tag}", add_tag, status=201, body_optional=True),
    Route("DELETE", _T + "/{tag}", delete_tag, status=204),
]
