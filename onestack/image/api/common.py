"""What every image handler shares: the error shape, small parsers, thread hops.

Errors: upstream Glance raises webob HTTP exceptions, and webob renders them
for a client that accepts JSON (openstacksdk, keystoneauth and OSC all send
``Accept: application/json``) as ``{"message": ..., "code": "404 Not Found",
"title": "Not Found"}`` (``webob.exc.WSGIHTTPException.json_formatter``).
We answer every error in that shape; clients rely on the status code.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from onestack.core.errors import ApiError, BadRequest, PayloadTooLarge
from onestack.core.web import Call
from onestack.image.manager import ImageManager

T = TypeVar("T")
MAX_JSON = 1024 * 1024


class RangeNotSatisfiable(ApiError):
    status, title = 416, "Requested Range Not Satisfiable"


def glance_format(err: ApiError) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(err.status).phrase
    except ValueError:
        phrase = err.title
    return {"message": err.message, "code": f"{err.status} {phrase}", "title": err.title}


def mgr(call: Call) -> ImageManager:
    m: ImageManager = call.services
    return m


def no_content(status: int = 204) -> Response:
    return Response(status_code=status)


def media_type(call: Call, default: str = "") -> str:
    return call.headers.get("content-type", default).split(";")[0].strip().lower()


async def read_json(call: Call) -> Any:
    """The body as JSON, for handlers that check the media type themselves."""
    raw = b""
    async for chunk in call.request.stream():
        raw += chunk
        if len(raw) > MAX_JSON:
            raise PayloadTooLarge("Request is too large.")
    if not raw.strip():
        raise BadRequest("Expecting to find a JSON body in the request.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed request body: not valid JSON.") from None


def parse_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"Invalid value '{value}' for parameter '{name}': expected a boolean.")


async def run(fn: Any, *args: Any) -> Any:
    return await run_in_threadpool(fn, *args)
