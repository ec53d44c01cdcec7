from __future__ import annotations

from typing import Any

from tests.compute_qemu import guest


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reason in guest.SKIPPED:
        terminalreporter.write_line(f"SKIPPED QEMU tests: {reason}", yellow=True)
