"""The network service's one route table (Neutron v2.0), mounted at ``/network``.

Agreement with the L3 modules: ``api/security_groups.py``, ``api/routers.py`` and
``api/floatingips.py`` each export ``ROUTES: list[Route]`` (paths under ``/v2.0``;
``api/common.crud_routes`` builds the five CRUD routes) and may export
``EXTENSIONS: list[tuple[alias, name, description]]`` for ``/v2.0/extensions``.
A module that does not exist yet is skipped.  Handlers reach the managers as
``call.services`` (the ``NetworkManager``: ``.routers``, ``.secgroups``, ...).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from onestack.core.errors import neutron_format
from onestack.core.web import Authenticator, Route, Service
from onestack.network.api import extensions, quotas, resources, tags, versions
from onestack.network.manager import NetworkManager

L3_MODULES = ("security_groups", "routers", "floatingips")


def _l3() -> list[ModuleType]:
    found = []
    for name in L3_MODULES:
        try:
            found.append(importlib.import_module(f"onestack.network.api.{name}"))
        except ModuleNotFoundError as e:
            if e.name != f"onestack.network.api.{name}":
                raise
    return found


def route_table() -> list[Route]:
    l3 = _l3()
    extra = [ext for mod in l3 for ext in getattr(mod, "EXTENSIONS", [])]
    return [
        *versions.ROUTES,
        *extensions.routes(extra),
        *resources.ROUTES,
        *quotas.ROUTES,
        *[r for mod in l3 for r in mod.ROUTES],
        *tags.ROUTES,
    ]


def build(mgr: NetworkManager, authenticate: Authenticator | None) -> Service:
    return Service("network", route_table(), error_format=neutron_format, authenticate=authenticate,
                   services=mgr)
