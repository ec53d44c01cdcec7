"""Version discovery at ``/volume/`` (300 Multiple Choices) and ``/volume/v3/``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route, json_response
from onestack.volume.microversions import MAX, MIN

UPDATED = "2023-08-31T00:00:00Z"


def _v3(call: Call) -> dict[str, Any]:
    return {
        "id": "v3.0", "status": "CURRENT", "version": str(MAX), "min_version": str(MIN), "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": call.base_url + "/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }


def versions(call: Call) -> Response:
    return json_response({"versions": [_v3(call)]}, 300)


def v3(call: Call) -> dict[str, Any]:
    return {"versions": [_v3(call)]}


ROUTES = [
    Route("GET", "/", versions, public=True),
    Route("GET", "/v3", v3, public=True),
    Route("GET", "/v3/", v3, public=True),
]
