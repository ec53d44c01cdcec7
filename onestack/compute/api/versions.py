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


def _v20(call: Call) -> dict[str, Any]:
    # the legacy v2 API, listed first as upstream does (Tempest checks the order);
    # its document is served, the API itself is v2.1 only
    return {
        "id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": call.base_url + "/v2/"},
                  {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}],
    }


def _listed(doc: dict[str, Any]) -> dict[str, Any]:
    # the list shows only the self link and no media types (nova's build_versions)
    out = {k: v for k, v in doc.items() if k != "media-types"}
    out["links"] = [link for link in doc["links"] if link["rel"] == "self"]
    return out


def versions(call: Call) -> Response:
    return json_response({"versions": [_listed(_v20(call)), _listed(_v21(call))]}, 200)


def v20(call: Call) -> dict[str, Any]:
    return {"version": _v20(call)}


def v21(call: Call) -> dict[str, Any]:
    return {"version": _v21(call)}


ROUTES = [
    Route("GET", "/", versions, public=True),
    Route("GET", "/v2", v20, public=True),
    Route("GET", "/v2/", v20, public=True),
    Route("GET", "/v2.1", v21, public=True),
    Route("GET", "/v2.1/", v21, public=True),
]
