"""Recovery at start: every volume, snapshot and backup left in a transitional
status by a process that died gets a truthful status, and the driver drops
what no row knows about."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from onestack.core.db import utcnow
from onestack.volume.models import Attachment, Backup, Snapshot, Volume
from tests.volume.conftest import VolumeFixture, volume_cloud


def _set(c: VolumeFixture, model: Any, rid: str, **values: Any) -> None:
    with c.vm.db.session() as s:
        s.execute(sa.update(model).where(model.id == rid).values(**values))


def _status(c: VolumeFixture, vid: str) -> str:
    return str(c.req("GET", f"/volumes/{vid}").json()["volume"]["status"])


def test_recovery_puts_everything_in_a_truthful_state(tmp_path: Any) -> None:
    for c in volume_cloud(tmp_path):
        drv = c.vm.driver
        creating_done, creating_lost, attaching, detaching, reserved_inst, deleting, extending, backing = (
            c.volume()["id"] for _ in range(8))
        _set(c, Volume, creating_done, status="creating")
        drv.delete_volume(creating_lost)
        _set(c, Volume, creating_lost, status="creating")
        _set(c, Volume, attaching, status="attaching")
        with c.vm.db.session() as s:
            s.add(Attachment(id=str(uuid.uuid4()), volume_id=attaching, project_id=c.admin_project,
                             instance_uuid=None, attach_status="attaching", created_at=utcnow()))
            s.add(Attachment(id=str(uuid.uuid4()), volume_id=detaching, project_id=c.admin_project,
                             instance_uuid=str(uuid.uuid4()), attach_status="attached", created_at=utcnow()))
            s.add(Attachment(id=str(uuid.uuid4()), volume_id=reserved_inst, project_id=c.admin_project,
                             instance_uuid=str(uuid.uuid4()), attach_status="reserved", created_at=utcnow()))
        _set(c, Volume, detaching, status="detaching", attach_status="attached")
        _set(c, Volume, reserved_inst, status="attaching")
        _set(c, Volume, deleting, status="deleting")
        _set(c, Volume, extending, status="extending")
        snapvol = c.volume()["id"]
        snap_ok = c.snapshot(snapvol)["id"]
        snap_lost = c.snapshot(snapvol)["id"]
        drv.delete_snapshot(snap_lost)
        _set(c, Snapshot, snap_ok, status="creating")
        _set(c, Snapshot, snap_lost, status="creating")
        r = c.req("POST", "/backups", json={"backup": {"volume_id": backing}})
        bid = r.json()["backup"]["id"]
        c.vm.wait_idle()
        _set(c, Backup, bid, status="creating")
        _set(c, Volume, backing, status="backing-up")
        # debris no row knows about: an orphan volume and snapshot on the backend
        drv.create_volume("orphan-volume", 1)
        drv.create_snapshot("orphan-snapshot", backing)

        counts = c.vm.recover()
        c.vm.wait_idle()

        assert counts["orphans"] == 2
        assert "orphan-volume" not in drv.list_volumes() and "orphan-snapshot" not in drv.list_snapshots()
        assert _status(c, creating_done) == "available"
        assert _status(c, creating_lost) == "error"
        assert _status(c, attaching) == "available"
        assert _status(c, detaching) == "in-use"
        # an instance's pending attachment stays for compute's reconciliation
        assert _status(c, reserved_inst) == "reserved"
        assert c.req("GET", f"/volumes/{deleting}").status_code == 404
        assert deleting not in drv.list_volumes()
        assert _status(c, extending) == "available"
        assert _status(c, backing) == "available"
        b = c.req("GET", f"/backups/{bid}").json()["backup"]
        assert b["status"] == "error" and "interrupted" in b["fail_reason"]
        assert c.req("GET", f"/snapshots/{snap_ok}").json()["snapshot"]["status"] == "available"
        assert c.req("GET", f"/snapshots/{snap_lost}").json()["snapshot"]["status"] == "error"
        # nothing left in a transitional status
        with c.vm.db.session() as s:
            left = set(s.scalars(sa.select(Volume.status)))
        assert left <= {"available", "error", "in-use", "reserved"}


def test_restart_of_the_process_recovers(tmp_path: Any) -> None:
    """A new process on the same data directory: the fake backend lost its
    volumes, so a volume the dead process was creating is an error, not a lie."""
    ids: list[str] = []
    for c in volume_cloud(tmp_path):
        ids.append(c.volume(wait=False)["id"])
        c.vm.wait_idle()
        _set(c, Volume, ids[0], status="creating")
    for c in volume_cloud(tmp_path):
        assert _status(c, ids[0]) == "error"
