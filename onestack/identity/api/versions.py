"""Version discovery, as keystoneauth1 and Tempest read it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route, json_response

UPDATED = "2020-04-07T00:00:00Z"


def _v3(base: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{base}/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }


def _base(call: Call) -> str:
    return call.base_url


def versions(call: Call) -> Response:
    return json_response({"versions": {"values": [_v3(_base(call))]}}, 300)


def v3(call: Call) -> dict[str, Any]:
    return {"version": _v3(_base(call))}


ROUTES = [
    Route("GET", "/", versions, public=True),
    Route("GET", "/v3", v3, public=True),
    Route("GET", "/v3/", v3, public=True),
]
