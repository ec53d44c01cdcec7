"""Placement-like scheduling: free vCPU/RAM/disk per host from SQL sums, filtered
by availability zone, service state and server-group policy, weighed by free
RAM (spread), as Nova's default filters and RAMWeigher do.

It runs on the API side inside the create transaction; the chosen host's
worker gets the build over the bus.  "No valid host" leaves the instance in
ERROR with a fault, as upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.models import ComputeNode, Instance, ServerGroup, ServerGroupMember

CPU_ALLOCATION_RATIO = 4.0
RAM_ALLOCATION_RATIO = 1.0
DISK_ALLOCATION_RATIO = 1.0


class NoValidHost(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(f"No valid host was found. {reason}".strip())


@dataclass
class Request:
    vcpus: int
    memory_mb: int
    root_gb: int
    availability_zone: str | None = None
    forced_host: str | None = None
    group_uuid: str | None = None
    ignore_instance: str | None = None  # resize: the instance's own usage


@dataclass
class HostState:
    host: str
    free_vcpus: float
    free_ram: float
    free_disk: float
    az: str
    members: int = 0  # group members already here
    placed: list[str] = field(default_factory=list)


def host_states(s: Session, ignore_instance: str | None = None) -> list[HostState]:
    usage_q = sa.select(Instance.host, sa.func.sum(Instance.vcpus), sa.func.sum(Instance.memory_mb),
                        sa.func.sum(Instance.root_gb)).where(
        Instance.deleted.is_(False), Instance.host.is_not(None)).group_by(Instance.host)
    if ignore_instance:
        usage_q = usage_q.where(Instance.uuid != ignore_instance)
    usage = {h: (int(c or 0), int(r or 0), int(d or 0)) for h, c, r, d in s.execute(usage_q)}
    out = []
    for n in s.scalars(sa.select(ComputeNode).order_by(ComputeNode.host)):
        if n.disabled or n.forced_down:
            continue
        c, r, d = usage.get(n.host, (0, 0, 0))
        out.append(HostState(host=n.host, free_vcpus=n.vcpus * CPU_ALLOCATION_RATIO - c,
                             free_ram=n.memory_mb * RAM_ALLOCATION_RATIO - r,
                             free_disk=n.local_gb * DISK_ALLOCATION_RATIO - d, az=n.availability_zone))
    return out


def select_hosts(s: Session, req: Request, count: int = 1) -> list[str]:
    """One host per instance, or ``NoValidHost``."""
    hosts = host_states(s, req.ignore_instance)
    if not hosts:
        raise NoValidHost("There are not enough hosts available.")
    policy, max_per_host = None, 1
    if req.group_uuid:
        g = s.get(ServerGroup, req.group_uuid)
        if g is not None:
            policy = g.policy
            max_per_host = int((g.rules or {}).get("max_server_per_host", 1))
            member_hosts = s.execute(
                sa.select(Instance.host, sa.func.count()).join(
                    ServerGroupMember, ServerGroupMember.instance_uuid == Instance.uuid).where(
                    ServerGroupMember.group_uuid == g.uuid, Instance.deleted.is_(False),
                    Instance.host.is_not(None)).group_by(Instance.host))
            counts = dict(member_hosts.all())
            for h in hosts:
                h.members = int(counts.get(h.host, 0))
    chosen: list[str] = []
    for _ in range(count):
        candidates = [h for h in hosts if h.free_vcpus >= req.vcpus and h.free_ram >= req.memory_mb
                      and h.free_disk >= req.root_gb]
        if req.availability_zone:
            candidates = [h for h in candidates if h.az == req.availability_zone]
        if req.forced_host:
            candidates = [h for h in candidates if h.host == req.forced_host]
        if policy == "affinity":
            with_members = [h for h in hosts if h.members]
            if with_members:
                candidates = [h for h in candidates if h.members]
        elif policy == "anti-affinity":
            candidates = [h for h in candidates if h.members < max_per_host]
        if not candidates:
            raise NoValidHost("There are not enough hosts available.")

        def weight(h: HostState) -> tuple[float, float, float]:
            soft = 0.0
            if policy == "soft-affinity":
                soft = -h.members
            elif policy == "soft-anti-affinity":
                soft = h.members
            return (soft, -h.free_ram, 0.0)

        best = sorted(candidates, key=weight)[0]
        best.free_vcpus -= req.vcpus
        best.free_ram -= req.memory_mb
        best.free_disk -= req.root_gb
        best.members += 1
        chosen.append(best.host)
    return chosen
