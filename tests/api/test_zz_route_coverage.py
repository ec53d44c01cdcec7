"""Every route in the identity route table is exercised by some API test.

``tests/api/conftest.py`` records each (method, path) the API tests send; this
module (named to run last) matches the records against the route table.  It only
judges a run that included every other API test module, and skips otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onestack.app import MOUNTS
from onestack.identity.api.routes import ROUTES
from tests.api.conftest import REQUESTED

HERE = Path(__file__).parent


def _pattern(path: str) -> re.Pattern[str]:
    prefix = MOUNTS["identity"]
    regex = re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(prefix + path))
    if path == "/":  # the mount's root answers with or without the slash
        regex = re.escape(prefix) + "/?"
    return re.compile(regex + r"\Z")


def test_every_route_is_exercised(request: pytest.FixtureRequest) -> None:
    modules = {p.name for p in HERE.glob("test_*.py")} - {Path(__file__).name}
    ran = {Path(str(item.fspath)).name for item in request.session.items}
    if not modules <= ran:
        pytest.skip(f"only meaningful with every API module: missing {sorted(modules - ran)}")
    missing = []
    for route in ROUTES:
        rx = _pattern(route.path)
        for method in (route.method, *route.extra_methods):
            if not any(m == method and rx.match(p) for m, p in REQUESTED):
                missing.append(f"{method} {route.path}")
    assert not missing, "routes no API test touches:\n  " + "\n  ".join(missing)
