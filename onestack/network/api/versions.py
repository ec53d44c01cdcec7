"""``/`` (the version list) and ``/v2.0/`` (the resources), both public as upstream."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route

CORE = [("network", "networks"), ("subnet", "subnets"), ("subnetpool", "subnetpools"), ("port", "ports")]


def versions(call: Call) -> Any:
    return {"versions": [{"id": "v2.0", "status": "CURRENT",
                          "links": [{"href": call.base_url + "/v2.0/", "rel": "self"}]}]}


def v2(call: Call) -> Any:
    return {"resources": [
        {"name": name, "collection": coll,
         "links": [{"href": f"{call.base_url}/v2.0/{coll}", "rel": "self"}]}
        for name, coll in CORE
    ]}


ROUTES: list[Route] = [
    Route("GET", "/", versions, public=True),
    Route("GET", "/v2.0", v2, public=True),
    Route("GET", "/v2.0/", v2, public=True),
]
