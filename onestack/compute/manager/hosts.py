"""Compute nodes: the worker registers its host here; os-services,
os-hypervisors and os-availability-zone read it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from onestack.compute.drivers.base import HostInfo
from onestack.compute.models import ComputeNode, Instance
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound


class HostManager:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, info: HostInfo, hypervisor_type: str, availability_zone: str) -> ComputeNode:
        """Create or refresh this host's node (called by the worker at start).
        Two processes registering the same host at once: the loser retries."""
        try:
            return self._register(info, hypervisor_type, availability_zone)
        except sa.exc.IntegrityError:
            return self._register(info, hypervisor_type, availability_zone)

    def _register(self, info: HostInfo, hypervisor_type: str, availability_zone: str) -> ComputeNode:
        with self.db.session() as s:
            n = s.scalar(sa.select(ComputeNode).where(ComputeNode.host == info.hostname))
            if n is None:
                n = ComputeNode(uuid=str(uuid.uuid4()), service_uuid=str(uuid.uuid4()), host=info.hostname,
                                disabled=False, forced_down=False)
                s.add(n)
            n.hypervisor_type = hypervisor_type
            n.hypervisor_version = info.hypervisor_version
            n.vcpus, n.memory_mb, n.local_gb = info.vcpus, info.memory_mb, info.disk_gb
            n.cpu_info = dict(info.cpu_info)
            n.availability_zone = availability_zone
            n.updated_at = utcnow()
            s.flush()
            return n

    def heartbeat(self, host: str) -> None:
        with self.db.session() as s:
            s.execute(sa.update(ComputeNode).where(ComputeNode.host == host).values(updated_at=utcnow()))

    def nodes(self, *, host: str | None = None, limit: int | None = None, marker: str | None = None,
              by_uuid: bool = False) -> list[ComputeNode]:
        q = sa.select(ComputeNode).order_by(ComputeNode.id)
        if host:
            q = q.where(ComputeNode.host.like(f"%{host}%"))
        with self.db.session() as s:
            if marker is not None:
                col = ComputeNode.uuid if by_uuid else ComputeNode.id
                m = s.scalar(sa.select(ComputeNode).where(col == (marker if by_uuid else _int(marker))))
                if m is None:
                    raise BadRequest(f"marker [{marker}] not found")
                q = q.where(ComputeNode.id > m.id)
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    def node(self, ident: str, by_uuid: bool) -> ComputeNode:
        with self.db.session() as s:
            col = ComputeNode.uuid if by_uuid else ComputeNode.id
            try:
                key: Any = ident if by_uuid else int(ident)
            except ValueError:
                raise NotFound(f"Hypervisor {ident} could not be found.") from None
            n = s.scalar(sa.select(ComputeNode).where(col == key))
            if n is None:
                raise NotFound(f"Hypervisor {ident} could not be found.")
            return n

    def usage(self) -> dict[str, tuple[int, int, int, int]]:
        """host -> (vcpus used, ram used, disk used, running instances)."""
        with self.db.session() as s:
            rows = s.execute(sa.select(Instance.host, sa.func.sum(Instance.vcpus), sa.func.sum(Instance.memory_mb),
                                       sa.func.sum(Instance.root_gb), sa.func.count()).where(
                Instance.deleted.is_(False), Instance.host.is_not(None)).group_by(Instance.host))
            return {h: (int(c or 0), int(r or 0), int(d or 0), int(n)) for h, c, r, d, n in rows}

    def servers_on(self, host: str) -> list[tuple[str, str]]:
        with self.db.session() as s:
            return [(u, n) for u, n in s.execute(sa.select(Instance.uuid, Instance.display_name).where(
                Instance.host == host, Instance.deleted.is_(False)).order_by(Instance.created_at))]

    def availability_zones(self) -> list[str]:
        with self.db.session() as s:
            return sorted(set(s.scalars(sa.select(ComputeNode.availability_zone).where(
                ComputeNode.disabled.is_(False)))))

    def update_service(self, ident: str, by_uuid: bool, changes: dict[str, Any]) -> ComputeNode:
        with self.db.session() as s:
            col = ComputeNode.service_uuid if by_uuid else ComputeNode.id
            n = s.scalar(sa.select(ComputeNode).where(col == (ident if by_uuid else _int(ident))))
            if n is None:
                raise NotFound(f"Service {ident} not found.")
            for k, v in changes.items():
                setattr(n, k, v)
            n.updated_at = utcnow()
            s.flush()
            return n

    def service_by_host(self, host: str) -> ComputeNode:
        with self.db.session() as s:
            n = s.scalar(sa.select(ComputeNode).where(ComputeNode.host == host))
            if n is None:
                raise NotFound(f"Compute host {host} could not be found.")
            return n

    def delete_service(self, ident: str, by_uuid: bool) -> None:
        with self.db.session() as s:
            col = ComputeNode.service_uuid if by_uuid else ComputeNode.id
            n = s.scalar(sa.select(ComputeNode).where(col == (ident if by_uuid else _int(ident))))
            if n is None:
                raise NotFound(f"Service {ident} not found.")
            busy = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(
                Instance.host == n.host, Instance.deleted.is_(False))) or 0
            if busy:
                raise Conflict(f"Unable to delete compute service that is hosting instances: {n.host}")
            s.delete(n)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"Invalid id {value}") from None
