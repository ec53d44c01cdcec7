"""QEMU processes for the QEMU driver: the accelerator probe, QMP calls, and
finding, waiting for and killing daemonized ``qemu-system-*`` processes.

Nothing here knows about instances beyond a pid file, a QMP socket path and a
marker string (the instance uuid) that must appear in the process's command
line, so a recycled pid is never mistaken for our guest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import DriverError

LOG = logging.getLogger(__name__)

# A 512-byte boot sector: 20,000 ``out 0x80`` (one VM exit each under KVM), then
# ``out 0xf4, 0x21`` to the isa-debug-exit device: QEMU exits with (0x21 << 1) | 1.
_PROBE_CODE = bytes([0xB9, 0x20, 0x4E, 0xE6, 0x80, 0xE2, 0xFC, 0xB0, 0x21, 0xE6, 0xF4, 0xEB, 0xFE])
_PROBE_SECTOR = _PROBE_CODE + b"\0" * (510 - len(_PROBE_CODE)) + b"\x55\xaa"
_PROBE_EXIT = (0x21 << 1) | 1

_accel_cache: dict[tuple[str, str | None], str] = {}
_accel_lock = threading.Lock()


class QmpError(DriverError):
    """A QMP command failed or the monitor could not be reached."""


# ---- accelerator --------------------------------------------------------------
def _boot_probe(binary: str, accel: str, workdir: Path, timeout: float,
                kernel: Path | None = None) -> tuple[bool, float, str]:
    """Boot a tiny guest with ``accel``; (worked, seconds, detail).

    Without ``kernel``: the boot sector above must make QEMU exit with the
    expected code.  With ``kernel``: Linux must print its banner on the serial
    port (the guest then panics for lack of a root fs and ``-no-reboot`` ends it).
    """
    args = [binary, "-accel", accel, "-display", "none", "-nodefaults", "-no-user-config",
            "-m", "64", "-no-reboot"] + (["-cpu", "host"] if accel == "kvm" else [])
    if kernel is None:
        img = workdir / "probe.img"
        img.write_bytes(_PROBE_SECTOR)
        args += ["-drive", f"file={img},format=raw,if=ide",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "none"]
    else:
        args += ["-kernel", str(kernel), "-append", "console=ttyS0 panic=-1 quiet", "-serial", "stdio"]
    start = time.monotonic()
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - start, f"no result within {timeout:.0f}s"
    except OSError as e:
        return False, time.monotonic() - start, str(e)
    took = time.monotonic() - start
    if kernel is None:
        ok = proc.returncode == _PROBE_EXIT
        return ok, took, f"exit code {proc.returncode}: {proc.stderr.decode(errors='replace')[-200:]}"
    ok = b"Linux version" in proc.stdout or b"Kernel panic" in proc.stdout
    return ok, took, f"exit code {proc.returncode}"


def probe_accel(binary: str, kernel: Path | None = None, timeout: float = 3.0) -> str:
    """``"kvm"`` when KVM really runs guests on this host, else ``"tcg"``.

    ``/dev/kvm`` opening is not enough: under some nested setups KVM starts a
    guest and then hangs or crawls (seen: 3-5 s to run one boot sector, a
    kernel that never prints a line with the default CPU model, and QEMU
    aborting on an MSR with ``-cpu host``).  So a tiny guest must finish under
    KVM, with the CPU model the driver uses (``-cpu host``), within ``timeout``
    seconds.  The answer is cached per process.
    """
    key = (binary, str(kernel) if kernel else None)
    with _accel_lock:
        if key in _accel_cache:
            return _accel_cache[key]
        accel = "tcg"
        try:
            fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
            os.close(fd)
            kvm_opens = True
        except OSError as e:
            kvm_opens = False
            LOG.info("KVM unusable (/dev/kvm: %s); using TCG", e.strerror)
        if kvm_opens:
            with tempfile.TemporaryDirectory(prefix="onestack-kvm-probe-") as tmp:
                ok, took, detail = _boot_probe(binary, "kvm", Path(tmp), timeout, kernel)
            if ok:
                accel = "kvm"
            LOG.info("KVM probe: %s in %.2fs (%s); using %s", "ok" if ok else "failed", took,
                     detail, accel)
        _accel_cache[key] = accel
        return accel


# ---- QMP ----------------------------------------------------------------------
def socket_path(instance_dir: Path) -> Path:
    """The QMP socket of an instance.  A unix socket path must fit in 108 bytes;
    deep state directories get a stable short name in the temp dir instead."""
    path = instance_dir / "qmp.sock"
    if len(os.fsencode(path)) < 100:
        return path
    digest = hashlib.sha256(os.fsencode(instance_dir.resolve())).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"onestack-qmp-{digest}.sock"


async def _qmp_calls(sock: Path, calls: list[tuple[str, dict[str, Any]]],
                     timeout: float) -> list[Any]:
    from qemu.qmp import QMPClient, QMPError

    client = QMPClient("onestack")
    try:
        await asyncio.wait_for(client.connect(str(sock)), timeout)
        results = []
        for name, args in calls:
            results.append(await asyncio.wait_for(client.execute(name, args), timeout))
        return results
    finally:
        # after "quit" QEMU closes the socket first: an EOF here is not an error
        with contextlib.suppress(QMPError, OSError, EOFError):
            await client.disconnect()


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def qmp(sock: Path, command: str, timeout: float = 10.0, **args: Any) -> Any:
    """Run one QMP command on the monitor at ``sock``; its ``return`` value."""
    return qmp_many(sock, [(command, args)], timeout)[-1]


def qmp_many(sock: Path, calls: list[tuple[str, dict[str, Any]]], timeout: float = 10.0) -> list[Any]:
    """Run QMP commands in order over one connection (a fresh event loop each
    time, so any thread may call it)."""
    try:
        from qemu.qmp import QMPError
    except ImportError as e:  # pragma: no cover - dependency missing
        raise QmpError("the qemu.qmp package is not installed") from e
    try:
        if _in_running_loop():
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, _qmp_calls(sock, calls, timeout)).result()
        return asyncio.run(_qmp_calls(sock, calls, timeout))
    except (QMPError, OSError, EOFError) as e:  # OSError includes TimeoutError
        what = ", ".join(name for name, _ in calls)
        raise QmpError(f"QMP {what} failed: {str(e) or type(e).__name__}") from e


# ---- processes ----------------------------------------------------------------
def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None, marker: str) -> bool:
    """True when ``pid`` runs (not a zombie) and ``marker`` is in its command line."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X") and marker.encode() in cmdline


def running_pid(pidfile: Path, marker: str) -> int | None:
    pid = read_pid(pidfile)
    return pid if pid_alive(pid, marker) else None


def wait_gone(pid: int, marker: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid, marker):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def kill(pid: int, marker: str, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns once it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        if not pid_alive(pid, marker):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(pid, marker, wait):
            return
    raise DriverError(f"QEMU process {pid} does not die")


def pids_matching(marker: str) -> list[int]:
    """Every live qemu process whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            if pid_alive(pid, marker):
                try:
                    exe = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
                except OSError:
                    continue
                if b"qemu-system" in exe:
                    found.append(pid)
    return found


def start_daemon(args: list[str], cwd: Path, timeout: float = 60.0) -> None:
    """Run ``qemu-system-* ... -daemonize``: it returns once the guest is set up
    (or failed), leaving the guest in its own session, not our child, so it
    outlives this process."""
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired as e:
        raise DriverError(f"QEMU did not start within {timeout:.0f}s") from e
    except OSError as e:
        raise DriverError(f"cannot run {args[0]}: {e}") from e
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise DriverError(f"QEMU failed to start: {err[-500:]}")
