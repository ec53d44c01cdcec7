"""Version discovery at ``/compute/`` and ``/compute/v2.1``, as novaclient,
openstacksdk and Tempest read it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.microversions import MAX, MIN
from onestack.core.web import Call, Route, json_response

UPDATED = "2013-07-23T11:33:21Z"


def _v21(call: Call) -> dict[str, Any]:
    return {
        "id": "v2.1", "status": "CURRENT", "version": str(MAX), "min_version": str(MIN),
        "updated": UPDATED,
        "links": [{"rel": "self", "href": call.base_url + "/v2.1/"},
                  {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}],
    }


def versions(call: Call) -> Response:
    return json_response({"versions": [_v21(call)]}, 200)


def v21(call: Call) -> dict[str, Any]:
    return {"version": _v21(call)}


ROUTES = [
    Route("GET", "/", versions, public=True),
    Route("GET", "/v2.1", v21, public=True),
    Route("GET", "/v2.1/", v21, public=True),
]
