"""``/v2/schemas/*``: the JSON schemas python-glanceclient and others read."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route
from onestack.image import schemas as defs


def image(call: Call) -> dict[str, Any]:
    return defs.IMAGE_SCHEMA


def images(call: Call) -> dict[str, Any]:
    return defs.IMAGES_SCHEMA


def member(call: Call) -> dict[str, Any]:
    return defs.MEMBER_SCHEMA


def members(call: Call) -> dict[str, Any]:
    return defs.MEMBERS_SCHEMA


ROUTES = [
    Route("GET", "/v2/schemas/image", image),
    Route("GET", "/v2/schemas/images", images),
    Route("GET", "/v2/schemas/member", member),
    Route("GET", "/v2/schemas/members", members),
]
