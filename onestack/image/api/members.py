"""``/v2/images/{image_id}/members[/{member_id}]``: sharing an image with projects."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route
from onestack.image import schemas
from onestack.image.api.common import mgr, no_content

MEMBERS = "/v2/images/{image_id}/members"
MEMBER = "/v2/images/{image_id}/members/{member_id}"


def create(call: Call) -> dict[str, Any]:
    return mgr(call).add_member(call.ctx, call.params["image_id"], call.body["member"])


def index(call: Call) -> dict[str, Any]:
    members = mgr(call).list_members(call.ctx, call.params["image_id"])
    return {"members": members, "schema": "/v2/schemas/members"}


def show(call: Call) -> dict[str, Any]:
    return mgr(call).get_member(call.ctx, call.params["image_id"], call.params["member_id"])


def update(call: Call) -> dict[str, Any]:
    p = call.params
    return mgr(call).update_member(call.ctx, p["image_id"], p["member_id"], call.body["status"])


def delete(call: Call) -> Response:
    mgr(call).delete_member(call.ctx, call.params["image_id"], call.params["member_id"])
    return no_content()


ROUTES = [
    Route("POST", MEMBERS, create, schema=schemas.MEMBER_CREATE),
    Route("GET", MEMBERS, index),
    Route("GET", MEMBER, show),
    Route("PUT", MEMBER, update, schema=schemas.MEMBER_UPDATE),
    Route("DELETE", MEMBER, delete),
]
