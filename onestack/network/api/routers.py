"""``/v2.0/routers`` (+ ``add_router_interface`` / ``remove_router_interface``)."""

from __future__ import annotations

from typing import Any

from onestack.core.web import Call, Route
from onestack.network.api.common import BODY, crud_routes, strip_json


def add_interface(call: Call) -> Any:
    return call.services.routers.add_interface(call.ctx, strip_json(call.params["id"]), call.body)


def remove_interface(call: Call) -> Any:
    return call.services.routers.remove_interface(call.ctx, strip_json(call.params["id"]), call.body)


ROUTES: list[Route] = [
    *crud_routes("routers", "router", lambda m: m.routers),
    Route("PUT", "/v2.0/routers/{id}/add_router_interface", add_interface, schema=BODY),
    Route("PUT", "/v2.0/routers/{id}/remove_router_interface", remove_interface, schema=BODY),
]

EXTENSIONS: list[tuple[str, str, str]] = [
    ("router", "Neutron L3 Router",
     "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to "
     "external networks via a NAT gateway."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
     "Extension of the router abstraction for specifying whether SNAT should occur on the "
     "external gateway"),
    ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
]
