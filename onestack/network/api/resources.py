"""The core resources: networks, subnets, subnet pools, ports."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route
from onestack.network.api.common import crud_routes
from onestack.network.manager.listing import requested_fields, select_fields


def availability_zones(call: Call) -> Any:
    """One zone (``nova``) for networks and routers (``availability_zone``)."""
    zones = [{"name": "nova", "resource": r, "state": "available"} for r in ("network", "router")]
    for key in ("name", "resource", "state"):
        if key in call.query:
            zones = [z for z in zones if z[key] in call.query.getlist(key)]
    fields = requested_fields(call.query)
    return {"availability_zones": [select_fields(z, fields) for z in zones]}


ROUTES: list[Route] = [
    *crud_routes("networks", "network", lambda m: m.networks),
    *crud_routes("subnets", "subnet", lambda m: m.subnets),
    *crud_routes("subnetpools", "subnetpool", lambda m: m.subnetpools),
    *crud_routes("ports", "port", lambda m: m.ports),
    Route("GET", "/v2.0/availability_zones", availability_zones),
]
