"""The block storage service's logic (no HTTP): one facade over per-resource
managers, the background worker, and recovery at start.

Other services use it through the facade (``app.py`` hands it to compute):
``volumes.create/get/delete``, ``attachments.create/update/complete/delete``
and the old ``reserve/unreserve/begin_detaching/roll_detaching`` actions,
``wait(volume_id)``; compute registers ``extend_listeners`` to tell guests that
an attached volume grew."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestack.core.config import Config
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.policy import Policy
from onestack.volume import policies
from onestack.volume.drivers import load
from onestack.volume.manager.attachments import AttachmentManager
from onestack.volume.manager.backups import BackupManager
from onestack.volume.manager.common import State, end_extend
from onestack.volume.manager.messages import MessageManager
from onestack.volume.manager.quotas import QuotaManager
from onestack.volume.manager.snapshots import SnapshotManager
from onestack.volume.manager.transfers import TransferManager
from onestack.volume.manager.types import QosManager, TypeManager
from onestack.volume.manager.volumes import VolumeManager as _Volumes
from onestack.volume.models import Attachment, Backup, Service, Snapshot, Volume

LOG = logging.getLogger(__name__)
BINARIES = ("cinder-scheduler", "cinder-volume", "cinder-backup")


class VolumeManager:
    def __init__(self, conf: Config, db: Database, image: Any = None, object_store: Any = None) -> None:
        self.conf = conf
        self.db = db
        vc = conf.volume
        self.state_path = Path(vc.data_path) if vc.data_path else conf.data_path / "volumes"
        self.state_path.mkdir(parents=True, exist_ok=True)
        self.driver = load(vc.driver, self.state_path, backend_name=vc.backend_name)
        self.hostname = conf.compute.host
        self.st = State(conf=conf, db=db, driver=self.driver,
                        policy=Policy(policies.defaults(), vc.policy_file), image=image,
                        object_store=object_store, host=f"{self.hostname}@{vc.backend_name}#{vc.backend_name}")
        self.policy = self.st.policy
        self.quotas = QuotaManager(self.st)
        self.volumes = _Volumes(self.st, self.quotas)
        self.snapshots = SnapshotManager(self.st, self.quotas)
        self.attachments = AttachmentManager(self.st)
        self.types = TypeManager(self.st)
        self.qos = QosManager(self.st)
        self.backups = BackupManager(self.st, self.quotas)
        self.transfers = TransferManager(self.st, self.quotas)
        self.volumes.restore_job = self.backups.restore_job
        self.messages = MessageManager(self.st)
        self.st.messages = self.messages
        self.st.capabilities = self.capabilities
        self.volumes.attachments = self.attachments
        self._lock_fd: int | None = None
        self.started_at = utcnow()

    @property
    def extend_listeners(self) -> list[Any]:
        return self.st.extend_listeners

    # ---- life cycle ---------------------------------------------------------------------
    def bootstrap(self) -> None:
        self.types.ensure_default()

    def start(self) -> None:
        """Recovery, once per data directory (the first process to take the lock)."""
        if self._lock_fd is not None:
            return
        fd = os.open(self.state_path / "manager.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            LOG.info("volume recovery: another process holds %s; skipping", self.state_path / "manager.lock")
            return
        self._lock_fd = fd
        try:
            self.recover()
        except Exception:
            LOG.exception("volume recovery failed")

    def stop(self) -> None:
        self.st.wait_idle(timeout=30)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def wait_idle(self, timeout: float = 30.0) -> None:
        self.st.wait_idle(timeout)

    def wait(self, volume_id: str, timeout: float = 300.0) -> str:
        """Poll until the volume leaves its transitional status; returns the status
        ('' when the volume is gone)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.db.session() as s:
                v = s.get(Volume, volume_id)
                status = v.status if v is not None else ""
            if status not in ("creating", "extending", "deleting", "restoring-backup", "downloading",
                              "uploading", "backing-up") or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def recover(self) -> dict[str, int]:
        """Put every volume, snapshot and backup left in a transitional status by a
        process that died into a truthful status, then let the driver remove what
        no row knows about."""
        drv = self.driver
        counts = {"volumes": 0, "snapshots": 0, "backups": 0, "orphans": 0}
        have_vols = drv.list_volumes()
        have_snaps = drv.list_snapshots()
        redelete_v: list[str] = []
        redelete_s: list[str] = []
        redelete_b: list[str] = []
        with self.db.session() as s:
            for v in s.scalars(sa.select(Volume).where(Volume.status.in_((
                    "creating", "deleting", "extending", "attaching", "reserved", "detaching", "uploading",
                    "backing-up", "restoring-backup", "downloading", "retyping")))):
                counts["volumes"] += 1
                if v.status == "creating":
                    if v.id in have_vols:
                        v.status, v.launched_at = "available", v.launched_at or utcnow()
                    else:
                        v.status, v.status_reason = "error", "creation was interrupted by a restart"
                elif v.status == "deleting":
                    redelete_v.append(v.id)
                elif v.status == "restoring-backup":
                    v.status, v.status_reason = "error_restoring", "restore was interrupted by a restart"
                else:
                    if v.status == "extending":
                        with contextlib.suppress(Exception):
                            v.size = max(v.size, drv.size_of(v.id))
                        end_extend(v)
                    if v.status in ("attaching", "reserved"):
                        # an attach that never completed and belongs to no instance: drop it.  Those
                        # of an instance stay: compute's reconciliation (which runs next) completes
                        # or deletes each against what the hypervisor really has.
                        for a in s.scalars(sa.select(Attachment).where(
                                Attachment.volume_id == v.id, Attachment.attach_status != "attached",
                                Attachment.instance_uuid.is_(None))):
                            s.delete(a)
                        s.flush()
                    # the status the remaining attachments say (an interrupted detach rolls back)
                    self.attachments._settle(s, v)
                v.updated_at = utcnow()
            for snap in s.scalars(sa.select(Snapshot).where(Snapshot.status.in_(("creating", "deleting")))):
                counts["snapshots"] += 1
                if snap.status == "deleting":
                    redelete_s.append(snap.id)
                elif snap.id in have_snaps:
                    snap.status, snap.progress = "available", "100%"
                else:
                    snap.status, snap.status_reason = "error", "creation was interrupted by a restart"
            for b in s.scalars(sa.select(Backup).where(Backup.status.in_(("creating", "restoring", "deleting")))):
                counts["backups"] += 1
                if b.status == "creating":
                    b.status, b.fail_reason = "error", "backup was interrupted by a restart"
                elif b.status == "restoring":
                    b.status = "available"
                else:
                    redelete_b.append(b.id)
            known_v = set(s.scalars(sa.select(Volume.id)))
            known_s = set(s.scalars(sa.select(Snapshot.id)))
        removed = drv.cleanup_orphans(known_v, known_s)
        counts["orphans"] = len(removed)
        for sid in redelete_s:
            self.st.submit(self.snapshots._delete_job, sid)
        for vid in redelete_v:
            self.st.submit(self.volumes._delete_job, vid)
        for bid in redelete_b:
            self.st.submit(self.backups._delete_job, bid)
        if any(counts.values()):
            LOG.info("volume recovery: %s (removed: %s)", counts, removed)
        return counts

    # ---- admin views ----------------------------------------------------------------------------
    def services(self, ctx: RequestContext, binary: str | None = None, host: str | None = None
                 ) -> list[dict[str, Any]]:
        self.st.enforce(ctx, "volume_extension:services:index")
        backend = self.conf.volume.backend_name
        with self.db.session() as s:
            state = {(x.binary, x.host): x for x in s.scalars(sa.select(Service))}
        out = []
        for b in BINARIES:
            h = f"{self.hostname}@{backend}" if b == "cinder-volume" else self.hostname
            # a host matches with or without its "@backend" part, as in Cinder
            if (binary and binary != b) or (host and host not in (h, h.split("@")[0])):
                continue
            row = state.get((b, h))
            out.append({"binary": b, "host": h, "zone": self.conf.volume.availability_zone,
                        "status": "disabled" if row and row.disabled else "enabled", "state": "up",
                        "updated_at": utcnow(), "disabled_reason": row.disabled_reason if row else None})
        return out

    def set_service(self, ctx: RequestContext, binary: str, host: str, disabled: bool, reason: str | None
                    ) -> dict[str, Any]:
        self.st.enforce(ctx, "volume_extension:services:update")
        if not any(sv["binary"] == binary and sv["host"] == host for sv in self.services(ctx)):
            from onestack.core.errors import NotFound

            raise NotFound(f"Service {binary} on host {host} could not be found.")
        with self.db.session() as s:
            row = s.get(Service, (binary, host))
            if row is None:
                row = Service(binary=binary, host=host)
                s.add(row)
            row.disabled, row.disabled_reason, row.updated_at = disabled, reason if disabled else None, utcnow()
        return {"binary": binary, "host": host, "status": "disabled" if disabled else "enabled",
                "disabled": disabled, **({"disabled_reason": reason} if disabled and reason else {})}

    def host_usage(self) -> dict[str, tuple[int, int, int, int]]:
        """Per project: (volumes, their GiB, snapshots, their GiB) on this backend."""
        out: dict[str, list[int]] = {}
        with self.db.session() as s:
            for pid, n, gb in s.execute(sa.select(Volume.project_id, sa.func.count(), sa.func.sum(Volume.size))
                                        .group_by(Volume.project_id)):
                out.setdefault(pid, [0, 0, 0, 0])[0:2] = [int(n), int(gb or 0)]
            for pid, n, gb in s.execute(sa.select(Snapshot.project_id, sa.func.count(),
                                                  sa.func.sum(Snapshot.size)).group_by(Snapshot.project_id)):
                out.setdefault(pid, [0, 0, 0, 0])[2:4] = [int(n), int(gb or 0)]
        return {p: (v[0], v[1], v[2], v[3]) for p, v in out.items()}

    def capabilities(self) -> dict[str, Any]:
        """The one pool's capabilities, as the scheduler and get_pools see them."""
        total, free = self.driver.capacity()
        with self.db.session() as s:
            allocated = int(s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Volume.size), 0))) or 0)
        backend = self.conf.volume.backend_name
        return {
            "pool_name": backend, "volume_backend_name": backend, "vendor_name": "Open Source",
            "driver_version": "1.0", "storage_protocol": self.driver.storage_protocol,
            "total_capacity_gb": total, "free_capacity_gb": free, "allocated_capacity_gb": allocated,
            "provisioned_capacity_gb": allocated, "max_over_subscription_ratio": "1.0",
            "thin_provisioning_support": True, "thick_provisioning_support": False,
            "multiattach": True, "reserved_percentage": 0, "QoS_support": False,
            "online_extend_support": bool(self.driver.online_extend), "timestamp": utcnow(),
            "backend_state": "up"}

    def pools(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self.st.enforce(ctx, "scheduler_extension:scheduler_stats:get_pools")
        return [{"name": self.st.host, "capabilities": self.capabilities()}]


__all__ = ["VolumeManager"]
