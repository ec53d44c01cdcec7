from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compute_qemu import guest
from tests.compute_qemu.realserve import kill_qemus


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reason in guest.SKIPPED:
        terminalreporter.write_line(f"SKIPPED QEMU tests: {reason}", yellow=True)


@pytest.fixture(scope="module")
def g() -> guest.GuestFiles:
    """The test guest (built once, cached); skips or, under CI, fails without QEMU."""
    return guest.test_guest()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A cloud's data dir; every QEMU a test left running under it is killed after."""
    d = tmp_path / "data"
    yield d
    kill_qemus(str(d))
