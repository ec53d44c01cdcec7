"""The default security group under concurrency: racing first requests of a project
all get the same group, and exactly one exists."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.network.models_l3 import DefaultSecurityGroup, SecurityGroup
from tests.conftest import make_cloud
from tests.network.test_l3_api import EXTRA


@pytest.fixture(scope="module")
def mgr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    for fx in make_cloud(tmp_path_factory.mktemp("sgrace"), extra=EXTRA):
        yield fx.cloud.services["network"]


def test_racing_default_groups(mgr: Any) -> None:
    project = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: mgr.secgroups.ensure_default(project), range(16)))
    assert len(set(ids)) == 1
    with mgr.db.session() as s:
        groups = s.scalars(sa.select(SecurityGroup).where(SecurityGroup.project_id == project)).all()
        assert [g.name for g in groups] == ["default"]
        assert s.scalar(sa.select(DefaultSecurityGroup.security_group_id).where(
            DefaultSecurityGroup.project_id == project)) == ids[0]
