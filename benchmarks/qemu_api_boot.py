"""Boot time through the whole API path vs bare ``qemu-system-x86_64``.

    /tmp/devvenv/bin/python benchmarks/qemu_api_boot.py            # 5 interleaved rounds
    /tmp/devvenv/bin/python benchmarks/qemu_api_boot.py --rounds 7

API side: a real ``onestack serve`` (compute driver qemu) with the test guest's
kernel and initramfs uploaded as aki/ari images and a third image naming them;
measured from ``POST /servers`` (m1.nano, user data) to the first line, and to
``onestack-guest: ready``, on the guest's serial console (its console.log, watched
every 10 ms; ``--poll-api`` polls ``os-getConsoleOutput`` every 20 ms instead, which
on a small TCG host steals CPU from the guest).  Each round checks that the API
shows the same console.  The server is deleted after each round.

Bare side: ``qemu-system-x86_64 -kernel ... -initrd ... -serial stdio`` with the
same accelerator, memory (128 MiB), kernel command line and a config drive
(``benchmarks/qemu_boot.py``'s ``run_bare``), measured from Popen.

Rounds alternate which side goes first.  Needs root, QEMU and the test guest.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from qemu_boot import READY, build_guest, run_bare  # noqa: E402

from onestack.compute.drivers import qemu_disk, qemu_process  # noqa: E402
from onestack.compute.drivers.base import InstanceSpec  # noqa: E402
from tests.compute_qemu.realserve import Api, Proc, kill_qemus  # noqa: E402

MEMORY = 128  # m1.nano


def run_api(api: Api, image: str, flavor: str, timeout: float, data: Path,
            via_api: bool) -> tuple[float, float, float]:
    """``via_api``: poll os-getConsoleOutput every 20 ms; else watch the guest's
    console.log every 10 ms (what the API would return; polling the API costs CPU
    the TCG guest competes for on a small host)."""
    t0 = time.monotonic()
    sid = api.create_server("bench-" + uuid.uuid4().hex[:6], image, flavor, user_data=b"bench\n")
    accepted = time.monotonic() - t0
    log = data / "compute" / "onestack" / "instances" / sid / "console.log"
    first = ready = 0.0
    try:
        while time.monotonic() - t0 < timeout:
            if via_api:
                text = api.console(sid)
            else:
                try:
                    text = log.read_text(errors="replace")
                except FileNotFoundError:
                    text = ""
            if not first and "\n" in text:
                first = time.monotonic() - t0
            if READY in text:
                ready = time.monotonic() - t0
                break
            time.sleep(0.02 if via_api else 0.01)
        else:
            raise SystemExit(f"API guest not ready after {timeout}s:\n{api.console(sid, 40)}")
        assert READY in api.console(sid), "the API does not show what the console log has"
        return accepted, first, ready
    finally:
        api.nova("DELETE", f"/servers/{sid}")
        api.wait_server(sid, ("DELETED",), timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--guest-dir", type=Path, default=Path.home() / ".cache/onestack/guest")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--poll-api", action="store_true",
                    help="detect the console lines by polling os-getConsoleOutput (default: console.log)")
    args = ap.parse_args()

    kernel, initrd = build_guest(args.guest_dir)
    cmdline = "quiet"
    accel = qemu_process.probe_accel("qemu-system-x86_64")
    with tempfile.TemporaryDirectory(prefix="qemu-api-bench-") as tmp:
        data = Path(tmp) / "data"
        serve = Proc(data, env={"ONESTACK_COMPUTE__DRIVER": "qemu",
                                "ONESTACK_SERVER__LOG_LEVEL": "warning"}).start(timeout=120)
        try:
            api = Api(serve.url)
            aki = api.upload_image("bench-kernel", kernel, "aki", "aki")
            ari = api.upload_image("bench-ramdisk", initrd, "ari", "ari")
            image = api.upload_image("bench-guest", args.guest_dir / "disk.qcow2", "qcow2", "bare",
                                     kernel_id=aki, ramdisk_id=ari, os_command_line=cmdline)
            flavor = api.flavor_id("m1.nano")
            iso = Path(tmp) / "config.iso"
            spec = InstanceSpec(uuid=str(uuid.uuid4()), name="bench", hostname="bench", vcpus=1,
                                memory_mb=MEMORY, root_gb=1, user_data=b"bench\n")
            qemu_disk.make_config_drive(qemu_disk.default_config_drive_files(spec), iso)
            run_api(api, image, flavor, args.timeout, data, args.poll_api)  # warm-up: base-image cache, first QEMU start
            print(f"accel={accel} memory={MEMORY} MiB cmdline={cmdline!r} rounds={args.rounds}")
            results: dict[str, list[tuple[float, float, float]]] = {"api": [], "bare": []}
            for r in range(args.rounds):
                for side in (["api", "bare"] if r % 2 == 0 else ["bare", "api"]):
                    if side == "api":
                        res = run_api(api, image, flavor, args.timeout, data, args.poll_api)
                    else:
                        res = run_bare("qemu-system-x86_64", accel, kernel, initrd, cmdline, MEMORY, iso,
                                       args.timeout)
                    results[side].append(res)
                    print(f"round {r + 1} {side:5s} POST->202 {res[0]:5.2f}s  first line {res[1]:6.2f}s"
                          f"  ready {res[2]:6.2f}s", flush=True)
            api.close()
        finally:
            serve.stop()
            kill_qemus(str(data))

    def med(side: str, i: int) -> float:
        return statistics.median(x[i] for x in results[side])

    print()
    print(f"{'median':10s} {'API':>9s} {'bare':>9s} {'overhead':>9s}")
    for name, i in (("first line", 1), ("ready", 2)):
        a, b = med("api", i), med("bare", i)
        print(f"{name:10s} {a:8.2f}s {b:8.2f}s {100 * (a / b - 1):+8.1f}%")
    print(f"POST /servers answered in {med('api', 0) * 1000:.0f} ms (median)")
    with open("/proc/loadavg") as f:
        print(f"host load average {f.read().split()[0]} ({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} CPUs)")


if __name__ == "__main__":
    main()
