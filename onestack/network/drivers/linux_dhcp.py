"""dnsmasq per network, inside ``qdhcp-<network id>`` (as neutron's Dnsmasq driver).

Files live in ``<state_path>/<network id>/``: ``conf`` (our own conf file, so the
host's /etc/dnsmasq.conf is never read), ``host`` (``--dhcp-hostsfile``: one static
lease per port), ``addn_hosts`` (names for DNS), ``opts`` (``--dhcp-optsfile``),
``leases``, ``pid`` and ``cmdline`` (the argv dnsmasq runs with).  When ports change
the files are rewritten and dnsmasq gets SIGHUP; only a changed argv (subnets,
interface) restarts it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path

from onestack.network.drivers.base import NetworkState, PortState, SubnetState
from onestack.network.drivers.linux_links import alive, nsenter

METADATA_IP = "169.254.169.254"
LEASE_SECONDS = 86400


def _tag(subnet: SubnetState) -> str:
    return "subnet-" + subnet.id


def hostname(port: PortState, ip: str) -> str:
    if port.dns_name:
        return port.dns_name
    return "host-" + ip.replace(".", "-").replace(":", "-")


def dhcp_subnets(network: NetworkState) -> list[SubnetState]:
    out = []
    for s in network.subnets:
        if not s.enable_dhcp:
            continue
        # SLAAC addresses come from router advertisements, not DHCPv6
        if s.ip_version == 6 and s.ipv6_address_mode == "slaac":
            continue
        out.append(s)
    return out


def dhcp_port(network: NetworkState) -> PortState | None:
    for p in network.ports:
        if p.device_owner == "network:dhcp" and p.fixed_ips:
            return p
    return None


def render_hosts(network: NetworkState, domain: str) -> tuple[str, str]:
    """(dhcp-hostsfile, addn-hosts) contents."""
    subnets = {s.id: s for s in network.subnets}
    host_lines, addn_lines = [], []
    dom = domain.rstrip(".")
    for port in sorted(network.ports, key=lambda p: p.id):
        if port.device_owner == "network:dhcp":
            continue
        for fip in port.fixed_ips:
            subnet = subnets.get(fip.subnet_id)
            if subnet is None:
                continue
            name = hostname(port, fip.ip_address)
            fqdn = f"{name}.{dom}" if dom else name
            addn_lines.append(f"{fip.ip_address}\t{fqdn} {name}")
            if not subnet.enable_dhcp:
                continue
            if subnet.ip_version == 4:
                host_lines.append(f"{port.mac_address},set:port-{port.id},{fqdn},{fip.ip_address}")
            elif subnet.ipv6_address_mode == "dhcpv6-stateful":
                host_lines.append(f"{port.mac_address},set:port-{port.id},{fqdn},[{fip.ip_address}]")
    return "".join(line + "\n" for line in host_lines), "".join(line + "\n" for line in addn_lines)


def render_opts(network: NetworkState, dhcp_ip4: str | None) -> str:
    lines = []
    for s in dhcp_subnets(network):
        tag = _tag(s)
        if s.ip_version == 4:
            lines.append(f"tag:{tag},option:dns-server,{','.join(s.dns_nameservers)}" if s.dns_nameservers else "")
            routes = []
            for dst, via in s.host_routes:
                if ipaddress.ip_network(dst, strict=False).version == 4:
                    routes.append(f"{dst},{via}")
            if dhcp_ip4:
                # neutron's isolated metadata: the DHCP port answers 169.254.169.254
                routes.append(f"{METADATA_IP}/32,{dhcp_ip4}")
            if s.gateway_ip:
                # a client that gets option 121 ignores option 3: repeat the default
                routes.append(f"0.0.0.0/0,{s.gateway_ip}")
                lines.append(f"tag:{tag},option:router,{s.gateway_ip}")
            else:
                lines.append(f"tag:{tag},option:router")
            if routes:
                lines.append(f"tag:{tag},option:classless-static-route,{','.join(routes)}")
                lines.append(f"tag:{tag},249,{','.join(routes)}")
        else:
            if s.dns_nameservers:
                lines.append(f"tag:{tag},option6:dns-server,{','.join('[' + d + ']' for d in s.dns_nameservers)}")
    return "".join(line + "\n" for line in lines if line)


def command(network: NetworkState, directory: Path, ifname: str, domain: str) -> list[str]:
    d = str(directory)
    argv = [
        "dnsmasq",
        f"--conf-file={d}/conf",
        "--no-hosts",
        "--no-resolv",
        f"--pid-file={d}/pid",
        f"--dhcp-hostsfile={d}/host",
        f"--addn-hosts={d}/addn_hosts",
        f"--dhcp-optsfile={d}/opts",
        f"--dhcp-leasefile={d}/leases",
        f"--interface={ifname}",
        "--except-interface=lo",
        "--bind-interfaces",
        "--user=root",
        "--group=root",
        "--dhcp-authoritative",
        f"--dhcp-lease-max={max(256, len(network.ports) * 2)}",
        f"--dhcp-option-force=option:mtu,{network.mtu}",
        f"--domain={domain.rstrip('.') or 'openstacklocal'}",
        "--log-facility=" + d + "/log",
    ]
    for s in dhcp_subnets(network):
        net = ipaddress.ip_network(s.cidr, strict=False)
        if s.ip_version == 4:
            argv.append(f"--dhcp-range=set:{_tag(s)},{net.network_address},static,{net.netmask},{LEASE_SECONDS}s")
        else:
            # stateful: static leases only; stateless: clients only ask for options
            argv.append(f"--dhcp-range=set:{_tag(s)},{net.network_address},static,{net.prefixlen},{LEASE_SECONDS}s")
    return argv


def _write(path: Path, text: str) -> bool:
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def read_pid(pidfile: Path, needle: str) -> int | None:
    """The pid in ``pidfile`` if that process is alive and its argv mentions ``needle``."""
    try:
        pid = int(pidfile.read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if needle in cmdline else None


def stop_pid(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not alive(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def spawn(argv: list[str], ns: str, log: Path) -> None:
    """Start ``argv`` inside ``ns`` as a daemon that is not our child (it outlives a
    restart of onestack and is found again through its pid file)."""
    with open(log, "ab") as out:
        subprocess.run(
            [*nsenter(ns), "setsid", "-f", *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            close_fds=True,
            check=True,
            timeout=30,
        )


def sync(network: NetworkState, directory: Path, ns: str, ifname: str, domain: str) -> None:
    """Make dnsmasq for ``network`` match (start, SIGHUP or restart it)."""
    directory.mkdir(parents=True, exist_ok=True)
    pidfile = directory / "pid"
    pid = read_pid(pidfile, network.id)
    port = dhcp_port(network)
    if port is None or not dhcp_subnets(network) or not network.admin_state_up:
        stop_pid(pid)
        return
    subnets = {s.id: s for s in network.subnets}
    dhcp_ip4 = next(
        (f.ip_address for f in port.fixed_ips if f.subnet_id in subnets and subnets[f.subnet_id].ip_version == 4), None
    )
    hosts, addn = render_hosts(network, domain)
    changed = _write(directory / "host", hosts)
    changed |= _write(directory / "addn_hosts", addn)
    changed |= _write(directory / "opts", render_opts(network, dhcp_ip4))
    _write(directory / "conf", "")
    if not (directory / "leases").exists():
        (directory / "leases").write_text("")
    argv = command(network, directory, ifname, domain)
    argv_changed = _write(directory / "cmdline", "\0".join(argv))
    if pid is not None and not argv_changed:
        if changed:
            os.kill(pid, signal.SIGHUP)
        return
    stop_pid(pid)
    with contextlib.suppress(FileNotFoundError):
        pidfile.unlink()
    # dnsmasq daemonizes once its sockets are open and exits non-zero when it cannot
    proc = subprocess.run([*nsenter(ns), *argv], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0 or read_pid(pidfile, network.id) is None:
        _write(directory / "cmdline", "")
        raise RuntimeError(f"dnsmasq for network {network.id} did not start: {proc.stderr.strip()}")


def stop(network_id: str, directory: Path) -> None:
    stop_pid(read_pid(directory / "pid", network_id))


# ---- router advertisements (IPv6) ---------------------------------------------

# neutron's ipv6_ra_mode → dnsmasq's RA mode for a constructed range
RA_MODES = {"slaac": "ra-only", "dhcpv6-stateless": "ra-stateless", "dhcpv6-stateful": "static"}


def sync_ra(router_id: str, directory: Path, ns: str, entries: list[tuple[str, str, str]]) -> None:
    """Router advertisements from ``qrouter-<id>``, as neutron's radvd does: one
    entry (interface, IPv6 subnet cidr, ipv6_ra_mode) per advertised prefix.  A
    dnsmasq with DNS off (``--port=0``) and RA on; no entries: none runs."""
    pidfile = directory / "ra.pid"
    pid = read_pid(pidfile, router_id)
    if not entries:
        stop_pid(pid)
        with contextlib.suppress(FileNotFoundError):
            (directory / "ra.cmdline").unlink()
        return
    directory.mkdir(parents=True, exist_ok=True)
    d = str(directory)
    _write(directory / "ra.conf", "")
    argv = [
        "dnsmasq",
        f"--conf-file={d}/ra.conf",
        "--port=0",
        "--no-hosts",
        "--no-resolv",
        "--enable-ra",
        f"--pid-file={d}/ra.pid",
        f"--dhcp-leasefile={d}/ra.leases",
        "--bind-interfaces",
        "--except-interface=lo",
        "--user=root",
        "--group=root",
        f"--log-facility={d}/ra.log",
    ]
    for dev in sorted({e[0] for e in entries}):
        argv.append(f"--interface={dev}")
    for dev, cidr, mode in sorted(entries):
        net = ipaddress.ip_network(cidr, strict=False)
        argv.append(f"--dhcp-range=::,constructor:{dev},{RA_MODES.get(mode, 'ra-only')},{net.prefixlen},{LEASE_SECONDS}s")
    if pid is not None and not _write(directory / "ra.cmdline", "\0".join(argv)):
        return
    _write(directory / "ra.cmdline", "\0".join(argv))
    stop_pid(pid)
    with contextlib.suppress(FileNotFoundError):
        pidfile.unlink()
    proc = subprocess.run([*nsenter(ns), *argv], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0 or read_pid(pidfile, router_id) is None:
        _write(directory / "ra.cmdline", "")
        raise RuntimeError(f"router advertisements for router {router_id} did not start: {proc.stderr.strip()}")
