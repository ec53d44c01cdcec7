"""Compute's side of compute ↔ network: what a server's NICs are when the
network service is enabled (``ComputeManager.network``, the Neutron facade).

Nova's semantics (``nova/network/neutron.py``), with the Neutron calls in-process:

* server create validates the requested networks synchronously (400/404/409 as
  nova answers them) before any row is written, then allocates one port per
  requested network/port for each new server (device_id = server id, device
  owner ``compute:<az>``) before the build is cast to the worker;
* ``networks`` is ``"auto"``, ``"none"`` or a list of ``{"uuid", "port",
  "fixed_ip", "tag"}``; before microversion 2.37 it may be absent, which means
  nova's legacy choice: the project's one usable network (several → 409), or
  no NIC when there is none;
* ``security_groups`` on create go to the ports it creates;
* ``addresses`` (and ``/ips``), the server's ``security_groups`` and
  ``os-interface`` are views of the server's ports;
* the worker plugs each port on its host (``plug`` → a tap device QEMU opens)
  and, when the server is deleted, unplugs and deallocates them.

When the network service is not enabled nothing here is used: compute keeps
its user-mode NIC for ``auto`` and its own security groups.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest

LOG = logging.getLogger(__name__)


def requested_networks(srv: dict[str, Any], version: tuple[int, int]) -> Any:
    """The ``requested`` argument for the network service from a create body:
    "auto", "none", a list of dicts, or None (pre-2.37 request without networks)."""
    networks = srv.get("networks")
    if networks is None:
        return None
    if isinstance(networks, str):
        return networks
    out = []
    for n in networks:
        item: dict[str, Any] = {}
        port = n.get("port")
        if port:
            item["port"] = port
        elif n.get("uuid"):
            item["uuid"] = n["uuid"]
        else:
            raise BadRequest("Bad networks format: network uuid is not in proper format ()")
        if n.get("uuid") and not port:
            _check_uuid(n["uuid"])
        if n.get("fixed_ip"):
            try:
                ipaddress.ip_address(n["fixed_ip"])
            except ValueError:
                raise BadRequest(f"Invalid fixed IP address ({n['fixed_ip']})") from None
            item["fixed_ip"] = n["fixed_ip"]
        if n.get("tag"):
            item["tag"] = n["tag"]
        out.append(item)
    ports = [n["port"] for n in out if "port" in n]
    if len(ports) != len(set(ports)):
        raise BadRequest("Duplicate port ID in the requested networks.")
    return out


def _check_uuid(value: str) -> None:
    import uuid as uuidlib

    try:
        uuidlib.UUID(value)
    except ValueError:
        raise BadRequest(f"Bad networks format: network uuid is not in proper format ({value})") from None


def group_names(security_groups: Any) -> list[str]:
    """``[{"name": "default"}, ...]`` → ``["default"]`` (duplicates dropped)."""
    return list(dict.fromkeys(str(g["name"]) for g in security_groups or [] if g.get("name")))


def ordered(ports: list[dict[str, Any]], networks: Any) -> list[dict[str, Any]]:
    """A server's ports in the order they were requested (``Instance.networks``
    keeps ``{"requested": ..., "ports": [ids]}`` once allocated; ports attached
    later come after them)."""
    order = networks.get("ports") if isinstance(networks, dict) else None
    if not order:
        return ports
    rank = {pid: i for i, pid in enumerate(order)}
    return sorted(ports, key=lambda p: rank.get(p["id"], len(rank)))


def _ip_version(addr: str) -> int:
    try:
        return ipaddress.ip_address(addr).version
    except ValueError:
        return 4


def addresses(ports: list[dict[str, Any]], extended: bool = True) -> dict[str, list[dict[str, Any]]]:
    """nova's ``addresses``: per network name, each fixed IP followed by the
    floating IPs that point at it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for p in ports:
        label = str(p.get("network_name") or p.get("network_id") or "")
        entries = out.setdefault(label, [])
        floating = list(p.get("floating_ips") or [])
        for fip in p.get("fixed_ips") or []:
            ip = fip["ip_address"]
            entries.append(_addr(ip, "fixed", p, extended))
            for f in floating:
                if f.get("fixed_ip_address") in (ip, None):
                    entries.append(_addr(f["floating_ip_address"], "floating", p, extended))
    return out


def _addr(ip: str, kind: str, port: dict[str, Any], extended: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"version": _ip_version(ip), "addr": ip}
    if extended:
        d["OS-EXT-IPS:type"] = kind
        d["OS-EXT-IPS-MAC:mac_addr"] = port.get("mac_address")
    return d


def interface_view(port: dict[str, Any], with_tag: bool) -> dict[str, Any]:
    """``os-interface``'s interfaceAttachment."""
    d = {"port_state": port.get("status", "DOWN"), "port_id": port["id"], "net_id": port["network_id"],
         "mac_addr": port.get("mac_address"),
         "fixed_ips": [{"subnet_id": f["subnet_id"], "ip_address": f["ip_address"]}
                       for f in port.get("fixed_ips") or []]}
    if with_tag:
        d["tag"] = port.get("tag")
    return d


class ServerNetworking:
    """The compute API's calls into the network service (None-safe: ``enabled``)."""

    def __init__(self, network: Any, facade: Any = None) -> None:
        self.network = network
        # the NetworkManager itself (ports listing for the ip filter)
        self.facade = facade

    @property
    def enabled(self) -> bool:
        return self.network is not None

    # ---- create ---------------------------------------------------------------------
    def validate(self, ctx: RequestContext, requested: Any, security_groups: list[str], az: str | None,
                 count: int) -> None:
        if isinstance(requested, list) and count > 1 and any("port" in n for n in requested):
            raise BadRequest("Unable to launch multiple instances with a single configured port ID. "
                             "Please launch your instance one by one with different ports.")
        self.network.validate_requested(ctx, requested, security_groups=security_groups,
                                        availability_zone=az)

    def allocate(self, ctx: RequestContext, server_id: str, requested: Any, security_groups: list[str],
                 az: str | None) -> list[dict[str, Any]]:
        return list(self.network.allocate_for_server(ctx, server_id, requested, security_groups, az) or [])

    def deallocate(self, server_id: str) -> None:
        try:
            self.network.deallocate_for_server(server_id)
        except Exception:  # never let a cleanup hide the real outcome
            LOG.exception("deallocating the ports of %s failed", server_id)

    # ---- views --------------------------------------------------------------------------
    def ports(self, server_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Server id -> its ports, for views: the network service's lean
        ``addresses_for_servers`` when it has one (a 1,000-server page in a few
        queries), else ``ports_for_servers`` (full port views)."""
        if not server_ids:
            return {}
        lean = getattr(self.network, "addresses_for_servers", None)
        if lean is not None:
            return dict(lean(list(server_ids)) or {})
        return dict(self.network.ports_for_servers(list(server_ids)) or {})

    def server_ports(self, server_id: str, networks: Any = None) -> list[dict[str, Any]]:
        return ordered(self.ports([server_id]).get(server_id, []), networks)

    def uuids_by_ip(self, ctx: RequestContext, ip: str | None, ip6: str | None) -> set[str]:
        """nova's ``ip``/``ip6`` server filters: regular expressions matched (from the
        start) against the servers' fixed IPv4/IPv6 addresses."""
        out: set[str] = set()
        for pattern, version in ((ip, 4), (ip6, 6)):
            if not pattern:
                continue
            try:
                rx = re.compile(pattern)
            except re.error:
                continue
            substr = pattern.strip("^$").replace("\\.", ".").replace("\\", "")
            query = {"fixed_ips": f"ip_address_substr={substr}"} if re.fullmatch(r"[0-9a-fA-F.:]+", substr) else {}
            for port in self.facade.ports.list(ctx, query, "")["ports"]:
                if not port.get("device_id") or not str(port.get("device_owner", "")).startswith("compute:"):
                    continue
                for f in port.get("fixed_ips") or []:
                    if _ip_version(f["ip_address"]) == version and rx.match(f["ip_address"]):
                        out.add(port["device_id"])
        return out

    # ---- os-interface ---------------------------------------------------------------------
    def attach(self, ctx: RequestContext, inst: Any, node: Any, net_id: str | None, port_id: str | None,
               fixed_ips: list[dict[str, Any]] | None) -> dict[str, Any]:
        """Allocate (or bind) the port, then hot-plug it on the server's host
        (``node(method, payload)`` asks that host's worker, synchronously)."""
        from onestack.compute.manager import common as c

        c.check_state(inst, "attach_interface", [c.ACTIVE, c.PAUSED, c.STOPPED])
        c.check_lock(ctx, inst)
        ips = [f["ip_address"] for f in fixed_ips or []] or None
        port = self.network.attach_interface(ctx, inst.uuid, net_id=net_id, port_id=port_id, fixed_ips=ips,
                                             availability_zone=inst.availability_zone)
        if inst.host:
            try:
                node("attach_interface", {"uuid": inst.uuid, "port": port})
            except Exception as e:
                LOG.info("attaching port %s to %s failed: %s", port["id"], inst.uuid, e)
                try:
                    self.network.detach_interface(ctx, inst.uuid, port["id"])
                except Exception:
                    LOG.exception("giving back port %s failed", port["id"])
                raise c.ApiError(f"Failed to attach network adapter device to {inst.uuid}",
                                 status=500) from None
        fresh = [p for p in self.server_ports(inst.uuid, inst.networks) if p["id"] == port["id"]]
        return fresh[0] if fresh else port

    def detach(self, ctx: RequestContext, inst: Any, node: Any, port_id: str) -> None:
        from onestack.compute.manager import common as c
        from onestack.core.errors import NotFound

        c.check_state(inst, "detach_interface", [c.ACTIVE, c.PAUSED, c.STOPPED])
        c.check_lock(ctx, inst)
        if not any(p["id"] == port_id for p in self.server_ports(inst.uuid)):
            raise NotFound(f"Port {port_id} is not attached")
        if inst.host:
            try:
                node("detach_interface", {"uuid": inst.uuid, "port_id": port_id})
            except Exception as e:
                LOG.info("detaching port %s from %s failed: %s", port_id, inst.uuid, e)
                raise c.ApiError(f"Failed to detach network adapter device from {inst.uuid}",
                                 status=500) from None
        self.network.detach_interface(ctx, inst.uuid, port_id)
