"""``/v2.0/floatingips``."""

from __future__ import annotations

from onestack.core.web import Route
from onestack.network.api.common import crud_routes

ROUTES: list[Route] = crud_routes("floatingips", "floatingip", lambda m: m.floatingips)

EXTENSIONS: list[tuple[str, str, str]] = [
    ("fip-port-details", "Floating IP Port Details Extension",
     "Add port_details attribute to Floating IP resource"),
]
