"""API tests: the shared ``cloud`` fixtures, plus a record of every (method, path)
the tests send, which ``test_zz_route_coverage.py`` checks against the route table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CloudFixture, make_cloud

REQUESTED: set[tuple[str, str]] = set()


def _record(request: Any) -> None:
    REQUESTED.add((request.method, request.url.path))


def recorded(gen: Iterator[CloudFixture]) -> Iterator[CloudFixture]:
    """Wrap ``make_cloud`` so every request its client sends is recorded."""
    for fx in gen:
        fx.client.event_hooks["request"].append(_record)
        yield fx


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    yield from recorded(make_cloud(tmp_path_factory.mktemp("cloud")))


@pytest.fixture
def fresh_cloud(tmp_path: Any) -> Iterator[CloudFixture]:
    yield from recorded(make_cloud(tmp_path))
