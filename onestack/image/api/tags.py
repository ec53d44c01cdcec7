"""``/v2/images/{image_id}/tags/{tag}``."""

from __future__ import annotations

from starlette.responses import Response

from onestack.core.web import Call, Route
from onestack.image.api.common import mgr, no_content


def add(call: Call) -> Response:
    mgr(call).add_tag(call.ctx, call.params["image_id"], call.params["tag"])
    return no_content()


def delete(call: Call) -> Response:
    mgr(call).delete_tag(call.ctx, call.params["image_id"], call.params["tag"])
    return no_content()


ROUTES = [
    Route("PUT", "/v2/images/{image_id}/tags/{tag}", add),
    Route("DELETE", "/v2/images/{image_id}/tags/{tag}", delete),
]
