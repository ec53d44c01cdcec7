"""What the QEMU tests need from the host: root, QEMU and the test guest.

``require_host()`` skips (printing why) when the host cannot run QEMU guests,
except under ``CI=true``, where a missing piece is a failure.  ``test_guest()``
builds the guest once (``scripts/build-test-guest``, cached in
``~/.cache/onestack/guest`` or ``$ONESTACK_GUEST_DIR``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIPPED: list[str] = []  # printed at the end of the run (conftest.py)
_lock = threading.Lock()
_guest: GuestFiles | None = None


@dataclass(frozen=True)
class GuestFiles:
    kernel: Path
    initramfs: Path
    disk: Path


def missing() -> list[str]:
    why = []
    if os.geteuid() != 0:
        why.append("not root")
    for tool in ("qemu-system-x86_64", "qemu-img"):
        if shutil.which(tool) is None:
            why.append(f"{tool} missing")
    if not any(shutil.which(t) for t in ("xorriso", "genisoimage", "mkisofs")):
        why.append("no xorriso/genisoimage")
    if importlib.util.find_spec("qemu.qmp") is None:
        why.append("python package qemu.qmp missing")
    return why


def require_host() -> None:
    why = missing()
    if not why:
        return
    skip_or_fail("QEMU tests need root and QEMU (scripts/install-system-deps): " + ", ".join(why))


def skip_or_fail(reason: str) -> None:
    """Skip, printing ``reason`` at the end of the run; under ``CI=true``, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " [CI=true: not skipping]")
    if reason not in SKIPPED:
        SKIPPED.append(reason)
    pytest.skip(reason)


def guest_dir() -> Path:
    return Path(os.environ.get("ONESTACK_GUEST_DIR") or Path.home() / ".cache/onestack/guest")


def test_guest() -> GuestFiles:
    """The kernel, initramfs and a qcow2 of the test guest (built once)."""
    global _guest
    require_host()
    with _lock:
        if _guest is None:
            out = guest_dir()
            proc = subprocess.run([str(REPO / "scripts/build-test-guest"), str(out)],
                                  capture_output=True, text=True, check=False, timeout=900)
            if proc.returncode != 0:
                pytest.fail(f"scripts/build-test-guest failed:\n{proc.stdout}\n{proc.stderr}")
            _guest = GuestFiles(out / "vmlinuz", out / "initramfs.cpio.gz", out / "disk.qcow2")
        return _guest


test_guest.__test__ = False  # type: ignore[attr-defined]  # not a test, despite the name
