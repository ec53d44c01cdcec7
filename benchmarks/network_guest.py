"""Guest networking figures under TCG: a real ``onestack serve`` (compute driver
qemu, network driver linux) and the test guest (``scripts/build-test-guest``).

    /tmp/devvenv/bin/python benchmarks/network_guest.py               # 3 rounds, 16 MiB
    /tmp/devvenv/bin/python benchmarks/network_guest.py --rounds 5 --mb 32

(a) Boot to DHCP: from ``POST /servers`` (m1.nano, one port on a tenant network)
    to ``DHCP-ADDRESS=<ip>`` on the guest's serial console, beside the same run's
    first console line and ``onestack-guest: ready`` (the compute boot figure of
    ``benchmarks/qemu_api_boot.py``), and a ``networks: none`` guest's first line
    and ready in the same rounds (what having a NIC costs the boot).  Console lines
    are read from the guest's console.log every 10 ms.
(b) Throughput between two guests on one onestack network (Linux bridge, nftables
    security groups on both taps, conntrack): the receiver's user data says
    ``serve 5001``, the sender's ``send <ip> 5001 <MB>``; the sender times ``dd`` of
    <MB> MiB of zeros into busybox ``nc`` (``SEND-DONE``).  Against the same two
    guests, same QEMU command line (the QEMU driver, no onestack), wired by hand to
    one plain bridge with static addresses, in the same run.

Needs root, QEMU, dnsmasq, nft.  Prints the figures; docs/performance.md keeps them.
"""

from __future__ import annotations

import argparse
import base64
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from onestack.compute.drivers import qemu_process  # noqa: E402
from onestack.compute.drivers.base import InstanceSpec, NetworkInterface  # noqa: E402
from onestack.compute.drivers.qemu import QemuDriver  # noqa: E402
from tests.compute_qemu.guest import test_guest  # noqa: E402
from tests.compute_qemu.realserve import Api, Proc, kill_qemus  # noqa: E402

READY = "onestack-guest: ready"
ENV = {"ONESTACK_COMPUTE__DRIVER": "qemu", "ONESTACK_NETWORK__DRIVER": "linux",
       "ONESTACK_SERVICES__ENABLED": "identity,image,compute,network",
       "ONESTACK_NETWORK__PUBLIC_CIDR": "172.31.252.0/24", "ONESTACK_SERVER__LOG_LEVEL": "warning"}
SEND = re.compile(r"SEND-DONE bytes=(\d+) centiseconds=(\d+)")


def console_log(data: Path, sid: str) -> Path:
    return data / "compute" / "onestack" / "instances" / sid / "console.log"


def watch(path: Path, marks: dict[str, str], t0: float, timeout: float) -> dict[str, float]:
    """Seconds from ``t0`` until each mark's text is in the file."""
    seen: dict[str, float] = {}
    while len(seen) < len(marks):
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            text = ""
        for name, needle in marks.items():
            if name not in seen and (needle in text if needle else "\n" in text):
                seen[name] = time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"{path}: not all of {marks} after {timeout:.0f}s:\n{text[-2000:]}")
        time.sleep(0.01)
    return seen


def create(api: Api, name: str, image: str, flavor: str, networks: Any, user_data: bytes,
           security_groups: list[str] | None = None) -> str:
    body: dict[str, Any] = {"name": name, "imageRef": image, "flavorRef": flavor, "networks": networks,
                            "user_data": base64.b64encode(user_data).decode()}
    if security_groups:
        body["security_groups"] = [{"name": n} for n in security_groups]
    r = api.nova("POST", "/servers", json={"server": body})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def delete(api: Api, *sids: str) -> None:
    for sid in sids:
        api.nova("DELETE", f"/servers/{sid}")
    for sid in sids:
        api.wait_server(sid, ("DELETED",), timeout=120)


def neutron(api: Api, method: str, path: str, **kw: Any) -> Any:
    r = api.http.request(method, "/network/v2.0" + path, **kw)
    assert r.status_code < 300, f"{method} {path}: {r.text}"
    return r.json() if r.content else None


def throughput(path: Path, t0: float, timeout: float) -> float:
    """Mbit/s the sender reported."""
    while True:
        try:
            m = SEND.search(path.read_text(errors="replace"))
        except FileNotFoundError:  # QEMU has not started yet
            m = None
        if m:
            return int(m[1]) * 8 / (int(m[2]) / 100) / 1e6
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"no SEND-DONE in {path} after {timeout:.0f}s")
        time.sleep(0.1)


def by_hand(guest: Any, tmp: Path, mb: int, timeout: float) -> float:
    """Two guests, the QEMU driver's own command line, on a plain bridge."""
    tag = uuid.uuid4().hex[:6]
    br, taps = f"h4br{tag}", [f"h4t{tag}a", f"h4t{tag}b"]
    ips = ["10.250.0.11", "10.250.0.12"]
    drv = QemuDriver(tmp / "byhand", hostname="byhand")
    uuids = [str(uuid.uuid4()) for _ in taps]
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)  # noqa: E731
    try:
        run("ip", "link", "add", br, "type", "bridge")
        run("ip", "link", "set", br, "up")
        for t in taps:
            run("ip", "tuntap", "add", "mode", "tap", "name", t)
            run("ip", "link", "set", t, "master", br, "up")
        user = [f"static {ips[0]}/24\nserve 5001\n", f"static {ips[1]}/24\nsend {ips[0]} 5001 {mb}\n"]
        t0 = time.monotonic()
        for i, (u, t) in enumerate(zip(uuids, taps, strict=True)):
            mac = f"fa:16:3e:fe:00:{i + 1:02x}"
            drv.spawn(InstanceSpec(uuid=u, name=f"byhand{i}", hostname=f"byhand{i}", vcpus=1, memory_mb=128,
                                   root_gb=1, kernel_path=guest.kernel, ramdisk_path=guest.initramfs,
                                   kernel_cmdline="quiet", user_data=user[i].encode(),
                                   network_info=[NetworkInterface(port_id=u, mac_address=mac, kind="tap",
                                                                  device=t)]))
        return throughput(drv.instances_path / uuids[1] / "console.log", t0, timeout)
    finally:
        for u in uuids:
            for line in drv.get_console_output(u, 3).splitlines() if u in drv.list_instances() else []:
                print(f"  [by hand {u[:8]}] {line}")
            drv.destroy(u)
        for t in taps:
            subprocess.run(["ip", "link", "del", t], capture_output=True)
        subprocess.run(["ip", "link", "del", br], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mb", type=int, default=16, help="MiB sent per throughput round")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    guest = test_guest()
    accel = qemu_process.probe_accel("qemu-system-x86_64")
    with tempfile.TemporaryDirectory(prefix="net-guest-bench-") as tmp_s:
        tmp = Path(tmp_s)
        data = tmp / "data"
        serve = Proc(data, env=ENV).start(timeout=120)
        try:
            api = Api(serve.url)
            tag = uuid.uuid4().hex[:6]
            aki = api.upload_image(f"bench-kernel-{tag}", guest.kernel, "aki", "aki")
            ari = api.upload_image(f"bench-ramdisk-{tag}", guest.initramfs, "ari", "ari")
            image = api.upload_image(f"bench-guest-{tag}", guest.disk, "qcow2", "bare", kernel_id=aki,
                                     ramdisk_id=ari, os_command_line="quiet")
            flavor = api.flavor_id("m1.nano")
            net = neutron(api, "POST", "/networks", json={"network": {"name": "bench"}})["network"]["id"]
            neutron(api, "POST", "/subnets", json={"subnet": {"network_id": net, "cidr": "10.251.0.0/24",
                                                              "ip_version": 4}})
            sg = neutron(api, "POST", "/security-groups", json={"security_group": {"name": "bench"}})
            for proto, port in (("tcp", 5001), ("icmp", None)):
                neutron(api, "POST", "/security-group-rules", json={"security_group_rule": {
                    "security_group_id": sg["security_group"]["id"], "direction": "ingress",
                    "protocol": proto, "port_range_min": port, "port_range_max": port}})
            print(f"accel={accel} memory=128 MiB rounds={args.rounds} load {open('/proc/loadavg').read().split()[0]}",
                  flush=True)
            # (a) boot to DHCP
            rows: dict[str, list[dict[str, float]]] = {"network": [], "none": []}
            for r in range(args.rounds + 1):  # round 0 warms the base-image cache
                for kind in (["network", "none"] if r % 2 else ["none", "network"]):
                    t0 = time.monotonic()
                    sid = create(api, f"boot-{kind}", image, flavor, [{"uuid": net}] if kind == "network"
                                 else "none", b"bench\n")
                    marks = {"first": "", "ready": READY}
                    if kind == "network":
                        marks["dhcp"] = "DHCP-ADDRESS="
                    res = watch(console_log(data, sid), marks, t0, args.timeout)
                    delete(api, sid)
                    if r:
                        rows[kind].append(res)
                        print(f"round {r} {kind:7s} " + "  ".join(f"{k} {v:6.2f}s" for k, v in res.items()),
                              flush=True)
            # (b) throughput: onestack network, then by hand, per round
            tp: dict[str, list[float]] = {"onestack": [], "by hand": []}
            for r in range(args.rounds):
                t0 = time.monotonic()
                ip_recv = f"10.251.0.{100 + 2 * r}"
                recv = create(api, "recv", image, flavor, [{"uuid": net, "fixed_ip": ip_recv}], b"serve 5001\n",
                              ["bench"])
                send = create(api, "send", image, flavor, [{"uuid": net}],
                              f"send {ip_recv} 5001 {args.mb}\n".encode(), ["bench"])
                try:
                    tp["onestack"].append(throughput(console_log(data, send), t0, args.timeout))
                finally:
                    delete(api, recv, send)
                tp["by hand"].append(by_hand(guest, tmp, args.mb, args.timeout))
                print(f"round {r + 1} throughput onestack {tp['onestack'][-1]:7.1f} Mbit/s   "
                      f"by hand {tp['by hand'][-1]:7.1f} Mbit/s", flush=True)
            api.close()
        finally:
            serve.stop()
            kill_qemus(str(data))
            kill_qemus(str(tmp))
            from onestack.network.drivers import load

            load("linux", str(data / "network")).resync([], [])

    med = statistics.median
    print()
    print("boot (median)        first line    ready    DHCP address")
    for kind in ("network", "none"):
        rs = rows[kind]
        dhcp = f"{med(x['dhcp'] for x in rs):8.2f}s" if kind == "network" else "       -"
        print(f"  {kind:18s} {med(x['first'] for x in rs):8.2f}s {med(x['ready'] for x in rs):8.2f}s {dhcp}")
    a, b = med(tp["onestack"]), med(tp["by hand"])
    print(f"throughput (median of {args.rounds}, {args.mb} MiB): onestack {a:.1f} Mbit/s, "
          f"plain bridge by hand {b:.1f} Mbit/s ({100 * (a / b - 1):+.1f}%)")
    print(f"host load average {open('/proc/loadavg').read().split()[0]}")


if __name__ == "__main__":
    main()
