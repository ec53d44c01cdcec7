"""Version discovery at ``/image``, as keystoneauth and openstacksdk read it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route, json_response

CURRENT = 9  # v2.9: interoperable import, os_hidden, import to stores


def versions(base: str) -> list[dict[str, Any]]:
    href = f"{base}/v2/"
    out = []
    for minor in range(CURRENT, -1, -1):
        out.append({
            "id": f"v2.{minor}",
            "status": "CURRENT" if minor == CURRENT else "SUPPORTED",
            "links": [{"rel": "self", "href": href}],
        })
    return out


def multiple_choices(call: Call) -> Response:
    return json_response({"versions": versions(call.base_url)}, 300)


def listing(call: Call) -> Response:
    return json_response({"versions": versions(call.base_url)}, 200)


ROUTES = [
    Route("GET", "/", multiple_choices, public=True),
    Route("GET", "/versions", listing, public=True),
    Route("GET", "/v2", listing, public=True),
    Route("GET", "/v2/", listing, public=True),
]
