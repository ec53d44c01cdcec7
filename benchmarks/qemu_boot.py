"""Boot time of the QEMU compute driver against bare ``qemu-system-x86_64``.

    python3 benchmarks/qemu_boot.py                 # 3 interleaved rounds
    python3 benchmarks/qemu_boot.py --rounds 5 --quiet --memory 256

Both sides boot the same test guest (``scripts/build-test-guest``: Debian's cloud
kernel + a busybox initramfs) with the same accelerator, memory and kernel
command line, and the same kind of config drive (the guest waits up to 5 s for
one).  The driver side is ``QemuDriver.spawn()`` (base-image cache, qcow2
overlay, config drive ISO, daemonized QEMU with a QMP socket, console to a file);
the bare side is ``qemu-system-x86_64 -kernel ... -serial stdio``.  Rounds
alternate which side goes first.  Measured from the call (spawn() / Popen) to:
  first line   the first line on the serial console
  ready        the guest's ``onestack-guest: ready`` (config drive read)
Needs root, QEMU and the guest (built on first use, ~10 s).
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

from onestack.compute.drivers import qemu_disk  # noqa: E402
from onestack.compute.drivers.base import InstanceSpec  # noqa: E402
from onestack.compute.drivers.qemu import QemuDriver  # noqa: E402

READY = "onestack-guest: ready"


def build_guest(out: Path) -> tuple[Path, Path]:
    subprocess.run([str(REPO / "scripts/build-test-guest"), str(out)], check=True)
    return out / "vmlinuz", out / "initramfs.cpio.gz"


def run_driver(driver: QemuDriver, kernel: Path, initrd: Path, cmdline: str, memory: int,
               timeout: float) -> tuple[float, float, float]:
    u = str(uuid.uuid4())
    spec = InstanceSpec(uuid=u, name="bench", hostname="bench", vcpus=1, memory_mb=memory, root_gb=1,
                        kernel_path=kernel, ramdisk_path=initrd, kernel_cmdline=cmdline,
                        user_data=b"bench\n", config_drive_files={})
    log = driver.instances_path / u / "console.log"
    start = time.monotonic()
    try:
        driver.spawn(spec)
        spawned = time.monotonic() - start
        first = ready = 0.0
        while time.monotonic() - start < timeout:
            try:
                text = log.read_text(errors="replace")
            except FileNotFoundError:
                text = ""
            if not first and "\n" in text:
                first = time.monotonic() - start
            if READY in text:
                ready = time.monotonic() - start
                break
            time.sleep(0.01)
        else:
            raise SystemExit(f"driver guest not ready after {timeout}s:\n{text[-2000:]}")
        return spawned, first, ready
    finally:
        driver.destroy(u)


def run_bare(binary: str, accel: str, kernel: Path, initrd: Path, cmdline: str, memory: int,
             iso: Path, timeout: float) -> tuple[float, float, float]:
    args = [binary, "-machine", f"pc,accel={accel}", "-m", str(memory), "-nodefaults",
            "-no-user-config", "-display", "none", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", f"console=ttyS0 {cmdline}".strip(),
            "-drive", f"file={iso},format=raw,if=virtio,readonly=on", "-serial", "stdio"]
    if accel == "kvm":
        args += ["-cpu", "host"]
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    assert p.stdout is not None
    first = ready = 0.0
    try:
        for raw in p.stdout:
            if not first:
                first = time.monotonic() - start
            if READY.encode() in raw:
                ready = time.monotonic() - start
                break
            if time.monotonic() - start > timeout:
                break
        if not ready:
            raise SystemExit(f"bare guest not ready after {timeout}s")
        return 0.0, first, ready
    finally:
        p.kill()
        p.wait()
        p.stdout.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory", type=int, default=192, help="MiB per guest")
    ap.add_argument("--quiet", action="store_true", help="boot with 'quiet' (fewer console lines)")
    ap.add_argument("--guest-dir", type=Path, default=Path.home() / ".cache/onestack/guest")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    kernel, initrd = build_guest(args.guest_dir)
    cmdline = "quiet" if args.quiet else ""
    with tempfile.TemporaryDirectory(prefix="qemu-boot-bench-") as tmp:
        driver = QemuDriver(state_path=Path(tmp) / "compute", hostname="bench")
        accel = driver.accel
        iso = Path(tmp) / "config.iso"
        spec = InstanceSpec(uuid=str(uuid.uuid4()), name="bench", hostname="bench", vcpus=1,
                            memory_mb=args.memory, root_gb=1, user_data=b"bench\n")
        qemu_disk.make_config_drive(qemu_disk.default_config_drive_files(spec), iso)
        print(f"accel={accel} memory={args.memory} MiB cmdline={cmdline!r} rounds={args.rounds}")
        results: dict[str, list[tuple[float, float, float]]] = {"driver": [], "bare": []}
        for r in range(args.rounds):
            order = ["driver", "bare"] if r % 2 == 0 else ["bare", "driver"]
            for side in order:
                if side == "driver":
                    res = run_driver(driver, kernel, initrd, cmdline, args.memory, args.timeout)
                else:
                    res = run_bare(driver.qemu_binary, accel, kernel, initrd, cmdline, args.memory,
                                   iso, args.timeout)
                results[side].append(res)
                print(f"round {r + 1} {side:6s} spawn() {res[0]:6.2f}s  first line {res[1]:6.2f}s"
                      f"  ready {res[2]:6.2f}s")

    def med(side: str, i: int) -> float:
        return statistics.median(x[i] for x in results[side])

    print()
    print(f"{'median':10s} {'driver':>9s} {'bare':>9s} {'ratio':>7s}")
    for name, i in (("first line", 1), ("ready", 2)):
        d, b = med("driver", i), med("bare", i)
        print(f"{name:10s} {d:8.2f}s {b:8.2f}s {d / b:6.2f}x")
    print(f"spawn() itself (returns once QEMU runs): {med('driver', 0):.2f}s")


if __name__ == "__main__":
    main()
