"""Fixtures for the ``linux`` network driver: real bridges, namespaces, dnsmasq and
nftables on this host.  They need root, dnsmasq, nft, nsenter and busybox; without
them the tests skip with the reason printed (and fail under ``CI=true``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestack.network.drivers import linux_links as links
from onestack.network.drivers.base import (
    FixedIP,
    NetworkState,
    PortState,
    SecurityGroupRuleState,
    SubnetState,
)

SKIPPED: list[str] = []
TOOLS = ("dnsmasq", "nft", "nsenter", "busybox", "ping")


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the linux network driver tests need root"
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        return f"missing tools: {', '.join(absent)} (scripts/install-system-deps)"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"network_linux: {reason} (CI=true: failing instead of skipping)")
    SKIPPED.append(reason)
    here = str(Path(__file__).parent)
    for item in items:
        # test_render.py renders configs and rulesets only: it runs anywhere
        if str(item.fspath).startswith(here) and not str(item.fspath).endswith("test_render.py"):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reason in SKIPPED:
        terminalreporter.write_line(f"SKIPPED linux network driver tests: {reason}", yellow=True)


def uid() -> str:
    return str(uuid.uuid4())


def mac() -> str:
    b = uuid.uuid4().bytes
    return "fa:16:3e:" + ":".join(f"{x:02x}" for x in b[:3])


# a rule set as neutron's "default" group leaves for a port: all egress, and
# ingress from members of the same group (here: the given addresses)
def default_rules(*, ingress_from: tuple[str, ...] | None = ()) -> list[SecurityGroupRuleState]:
    rules = [
        SecurityGroupRuleState("egress", "IPv4", None),
        SecurityGroupRuleState("egress", "IPv6", None),
    ]
    if ingress_from is None or ingress_from:
        rules.append(SecurityGroupRuleState("ingress", "IPv4", None, remote_ips=ingress_from))
    return rules


ICMP_IN = SecurityGroupRuleState("ingress", "IPv4", "icmp", remote_ips=None)


def subnet(cidr: str, *, gateway: str | None, dhcp: bool = True, **kw: Any) -> SubnetState:
    return SubnetState(id=uid(), cidr=cidr, ip_version=6 if ":" in cidr else 4, gateway_ip=gateway, enable_dhcp=dhcp, **kw)


def port(sub: SubnetState, ip: str, owner: str = "compute:nova", **kw: Any) -> PortState:
    return PortState(id=uid(), mac_address=mac(), fixed_ips=[FixedIP(sub.id, ip)], device_owner=owner, device_id=uid(), **kw)


def network(subnets: list[SubnetState], ports: list[PortState], *, vni: int = 100, external: bool = False, **kw: Any) -> NetworkState:
    return NetworkState(
        id=uid(), project_id="p1", segmentation_id=vni, mtu=1450, external=external, admin_state_up=True,
        subnets=subnets, ports=ports, **kw,
    )


def in_ns(ns: str, *argv: str, timeout: float = 20, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*links.nsenter(ns), *argv], capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{argv} in {ns} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def pings(ns: str, ip: str, count: int = 1, wait: int = 1) -> bool:
    return in_ns(ns, "ping", "-c", str(count), "-W", str(wait), ip, check=False).returncode == 0


def pings_eventually(ns: str, ip: str, tries: int = 5) -> bool:
    return any(pings(ns, ip) for _ in range(tries))


UDHCPC_SCRIPT = """#!/bin/sh
# udhcpc hook: configure the lease like cloud-init would (address, routes)
case "$1" in
  bound|renew)
    busybox ip addr flush dev "$interface"
    busybox ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        busybox ip route replace "$1" via "$2" dev "$interface"
        shift 2
      done
    elif [ -n "$router" ]; then
      busybox ip route replace default via "${router%% *}" dev "$interface"
    fi
    env | grep -E '^(ip|mask|router|staticroutes|dns|domain|hostname|mtu)=' > "$LEASE_OUT"
    ;;
esac
exit 0
"""


@pytest.fixture
def guests(tmp_path: Path) -> Iterator[Any]:
    """``guests.new()`` makes a namespace standing for a guest; all removed after."""
    made: list[str] = []
    script = tmp_path / "udhcpc.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)

    class Guests:
        def new(self) -> str:
            name = "osg-" + uuid.uuid4().hex[:10]
            links.ensure_namespace(name)
            made.append(name)
            return name

        def dhcp(self, ns: str, ifname: str = "eth0") -> dict[str, str]:
            out = tmp_path / f"lease-{ns}"
            env = {**os.environ, "LEASE_OUT": str(out)}
            proc = subprocess.run(
                [*links.nsenter(ns), "busybox", "udhcpc", "-i", ifname, "-n", "-q", "-f", "-t", "6", "-T", "1",
                 "-O", "staticroutes", "-s", str(script)],
                capture_output=True, text=True, timeout=30, env=env, check=False,
            )
            if proc.returncode != 0 or not out.exists():
                raise AssertionError(f"no DHCP lease in {ns}: {proc.stdout}{proc.stderr}")
            return dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)

    yield Guests()
    for name in made:
        with contextlib.suppress(Exception):
            links.delete_namespace(name)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    from onestack.network.drivers.linux import LinuxDriver

    d = LinuxDriver(str(tmp_path / "state"), metadata_socket=str(tmp_path / "metadata.sock"))
    yield d
    d.teardown()


_GET = """
import json, sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        print(json.dumps([r.status, r.read().decode()]))
except urllib.error.HTTPError as e:
    print(json.dumps([e.code, e.read().decode()]))
"""


def http_get(ns: str, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET ``url`` from inside namespace ``ns``: (status, body)."""
    import json
    import sys

    out = in_ns(ns, sys.executable, "-c", _GET, url, json.dumps(headers or {}))
    status, body = json.loads(out.stdout)
    return status, body
