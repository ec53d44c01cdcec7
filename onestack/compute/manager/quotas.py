"""Quotas: upstream's defaults, per-project (and per-user) overrides, and usage
counted straight from the tables (no reservations: a create checks and inserts
in one transaction).

The check holds under concurrency, as the volume service's does (ADR 0008).  It
takes the project's quota lock first (a row of ``compute_quotas`` held until the
commit, ``QuotaManager.lock``): the transactions that consume a project's quota take
turns from their check to their commit, and each one counts what those before it
committed, as it runs in a ``QuotaManager.session`` (read committed on every
backend).  A server group's members are counted under the group's row lock, a
user's key pairs (in every project: the quota is per user, as in Nova) under the
user's lock (``lock_user``).  A resize checks its cores/ram delta under the project's
lock, and every check counts an instance whose resize is under way at the larger
of its flavors: until the worker applies it, the new flavor is only in
``new_flavor``.  The callers run under ``retry_transaction``: a deadlock, or two
first creates of the lock row, runs the unit of work again instead of failing it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.manager.common import QuotaExceeded
from onestack.compute.models import Instance, KeyPair, Quota, ServerGroup, ServerGroupMember
from onestack.core.db import Database
from onestack.core.errors import BadRequest
from onestack.core.quota_lock import LOCK_ROW, quota_session, take_lock
from onestack.core.retry import retry_transaction

DEFAULTS: dict[str, int] = {
    "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
    "server_groups": 10, "server_group_members": 10,
    "injected_files": 5, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
    # proxied network quotas, shown before 2.36
    "floating_ips": 10, "fixed_ips": -1, "security_groups": 10, "security_group_rules": 20,
}
NETWORK_RESOURCES = ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")
FILE_RESOURCES = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
# the resource of a project's lock row: no limit has this name, so no view shows it


def resources_for(version: tuple[int, int]) -> list[str]:
    names = list(DEFAULTS)
    if version >= (2, 36):
        names = [n for n in names if n not in NETWORK_RESOURCES]
    if version >= (2, 57):
        names = [n for n in names if n not in FILE_RESOURCES]
    return names


class QuotaManager:
    def __init__(self, db: Database) -> None:
        self.db = db

    def limits(self, project_id: str, user_id: str | None = None, s: Session | None = None) -> dict[str, int]:
        """The project's (and the user's) limits; read in ``s`` when given (a check
        reads them under the project's lock, so it sees a concurrent update's)."""
        if s is None:
            with self.db.session() as s:
                return self.limits(project_id, user_id, s)
        out = dict(DEFAULTS)
        rows = list(s.scalars(sa.select(Quota).where(Quota.project_id == project_id,
                                                     Quota.user_id.in_(["", user_id or ""]))))
        out.update({r.resource: r.hard_limit for r in rows if r.user_id == "" and r.resource in DEFAULTS})
        if user_id:
            out.update({r.resource: r.hard_limit for r in rows if r.user_id != "" and r.resource in DEFAULTS})
        return out

    def limit_for(self, project_id: str, resource: str, user_id: str | None = None) -> int:
        return self.limits(project_id, user_id)[resource]

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """A unit of work that consumes quota (``check_instances``): ``core.quota_lock``."""
        return quota_session(self.db)

    def lock(self, s: Session, project_id: str) -> None:
        """Hold the project's quota lock until ``s`` commits (``core.quota_lock``)."""
        take_lock(s, Quota, project_id=project_id, user_id="", resource=LOCK_ROW)

    def lock_user(self, s: Session, user_id: str) -> None:
        """Hold the user's quota lock (for the key pairs, counted per user across
        projects) until ``s`` commits: a lock row of no project."""
        take_lock(s, Quota, project_id="", user_id=user_id, resource=LOCK_ROW)

    def usage(self, s: Session, project_id: str, user_id: str | None = None) -> dict[str, int]:
        q = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Instance.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(Instance.memory_mb), 0)).where(
            Instance.project_id == project_id, Instance.deleted.is_(False))
        if user_id:
            q = q.where(Instance.user_id == user_id)
        n, cores, ram = s.execute(q).one()
        groups = s.scalar(sa.select(sa.func.count()).select_from(ServerGroup).where(
            ServerGroup.project_id == project_id)) or 0
        keys = 0
        if user_id:
            keys = s.scalar(sa.select(sa.func.count()).select_from(KeyPair).where(KeyPair.user_id == user_id)) or 0
        return {"instances": int(n), "cores": int(cores), "ram": int(ram), "server_groups": int(groups),
                "key_pairs": int(keys)}

    def _instances_used(self, s: Session, project_id: str) -> dict[str, int]:
        """The project's instances, cores and RAM, an instance whose resize is under way
        counted at the larger of its flavors: the worker sets vcpus/memory_mb to the
        new flavor only when it resizes it.  One statement, so one snapshot: a worker
        resizing meanwhile (it takes no quota lock) moves an instance from one flavor
        to the other, never out of the count."""
        live = (Instance.project_id == project_id, Instance.deleted.is_(False))
        q = sa.union_all(
            sa.select(Instance.new_flavor, Instance.vcpus, Instance.memory_mb, sa.literal(0))
            .where(*live, Instance.new_flavor.is_not(None)),
            sa.select(sa.null(), sa.func.coalesce(sa.func.sum(Instance.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(Instance.memory_mb), 0), sa.func.count()).where(*live))
        used = {"instances": 0, "cores": 0, "ram": 0}
        for new, vcpus, memory_mb, n in s.execute(q):
            if new is None:  # the totals
                used["instances"] += int(n)
                used["cores"] += int(vcpus)
                used["ram"] += int(memory_mb)
            else:  # a resize under way: what its new flavor adds
                used["cores"] += max(0, int(new["vcpus"]) - vcpus)
                used["ram"] += max(0, int(new["ram"]) - memory_mb)
        return used

    def _check_instance_usage(self, s: Session, project_id: str, user_id: str, want: dict[str, int]) -> None:
        """403 unless the project has room for ``want`` (instances, cores, ram) more;
        else its lock is held until ``s`` commits."""
        self.lock(s, project_id)
        lim = self.limits(project_id, user_id, s)
        used = self._instances_used(s, project_id)
        over = [r for r, n in want.items() if n > 0 and lim[r] >= 0 and used[r] + n > lim[r]]
        if over:
            r = over[0]
            raise QuotaExceeded(f"Quota exceeded for {r}: Requested {want[r]}, but already used "
                                f"{used[r]} of {lim[r]} {r}")

    def check_instances(self, s: Session, project_id: str, user_id: str, count: int, vcpus: int,
                        ram: int) -> None:
        """403 if ``count`` more instances of this size would exceed the quota.  Else
        the project's lock is held until ``s`` (a ``session()``) commits: insert the
        instances in the same transaction (and run it under ``retry_transaction``)."""
        self._check_instance_usage(s, project_id, user_id,
                                   {"instances": count, "cores": vcpus * count, "ram": ram * count})

    def check_resize(self, s: Session, project_id: str, user_id: str, cores: int, ram: int) -> None:
        """403 if growing an instance of the project by ``cores`` and ``ram`` (deltas;
        a shrink asks for nothing) would exceed the quota.  Else the project's lock is
        held until ``s`` commits: set the instance's ``new_flavor`` in ``s``."""
        self._check_instance_usage(s, project_id, user_id, {"cores": cores, "ram": ram})

    def check_server_groups(self, s: Session, project_id: str) -> None:
        """403 if the project has as many server groups as its quota allows.  Else its
        lock is held until ``s`` commits: add the group in ``s``."""
        self.lock(s, project_id)
        n = s.scalar(sa.select(sa.func.count()).select_from(ServerGroup).where(
            ServerGroup.project_id == project_id)) or 0
        if 0 <= self.limits(project_id, s=s)["server_groups"] <= n:
            raise QuotaExceeded("Quota exceeded, too many server groups.")

    def check_key_pairs(self, s: Session, project_id: str, user_id: str) -> None:
        """403 if the user has as many key pairs as the quota allows (the user's limit
        in ``project_id``, else the project's).  Else the user's lock is held until
        ``s`` commits: add the key pair in ``s``."""
        self.lock_user(s, user_id)
        n = s.scalar(sa.select(sa.func.count()).select_from(KeyPair).where(KeyPair.user_id == user_id)) or 0
        if 0 <= self.limits(project_id, user_id, s)["key_pairs"] <= n:
            raise QuotaExceeded("Quota exceeded, too many key pairs.")

    def check_metadata(self, project_id: str, items: int) -> None:
        lim = self.limit_for(project_id, "metadata_items")
        if 0 <= lim < items:
            raise QuotaExceeded("Quota exceeded for resources: ['metadata_items']")

    def check_group_members(self, s: Session, group_uuid: str, project_id: str, adding: int) -> None:
        """403 if the group cannot take ``adding`` more members.  Else the group's row
        is locked until ``s`` commits (a no-op UPDATE, as ``lock``): creates into the
        group, from any project, count its members in turn; add them in ``s``."""
        s.execute(sa.update(ServerGroup).where(ServerGroup.uuid == group_uuid).values(name=ServerGroup.name)
                  .execution_options(synchronize_session=False))
        lim = self.limits(project_id, s=s)["server_group_members"]
        n = s.scalar(sa.select(sa.func.count()).select_from(ServerGroupMember).where(
            ServerGroupMember.group_uuid == group_uuid)) or 0
        if 0 <= lim < n + adding:
            raise QuotaExceeded("Quota exceeded, too many servers in group")

    @retry_transaction
    def update(self, project_id: str, user_id: str | None, values: dict[str, Any], force: bool) -> None:
        with self.session() as s:
            # in turn with the project's creates: without force, a limit is never set below what they made
            self.lock(s, project_id)
            if user_id:  # and with the user's key pair creates
                self.lock_user(s, user_id)
            used = self.usage(s, project_id, user_id)
            for resource, value in values.items():
                if resource not in DEFAULTS:
                    raise BadRequest(f"Bad key(s) {resource} in quota_set")
                limit = int(value)
                if limit < -1:
                    raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
                if not force and limit != -1 and used.get(resource, 0) > limit:
                    raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or equal "
                                     f"to already used and reserved {used.get(resource, 0)}.")
                row = s.get(Quota, (project_id, user_id or "", resource))
                if row is None:
                    s.add(Quota(project_id=project_id, user_id=user_id or "", resource=resource, hard_limit=limit))
                else:
                    row.hard_limit = limit

    def delete(self, project_id: str, user_id: str | None = None) -> None:
        with self.db.session() as s:
            q = sa.delete(Quota).where(Quota.project_id == project_id)
            if user_id:
                q = q.where(Quota.user_id == user_id)
            s.execute(q)
