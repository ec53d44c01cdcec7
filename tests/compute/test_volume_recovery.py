"""After a crash, compute settles every attach and detach that was under way
against what the hypervisor really has (fake drivers; the QEMU + file driver
version with a real kill -9 is tests/compute_qemu/test_volume_e2e.py).

Each case leaves the records a process killed at one point of the attach or
detach flow would leave, runs the restart's recovery (the volume service's,
then the compute worker's) and checks the one invariant a user can rely on:
a volume is ``in-use`` exactly when the guest has it and the server lists it;
otherwise it is ``available``, the guest does not have it and the server does
not list it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.compute.drivers.base import BlockDevice
from onestack.compute.manager.volumes import ctx_for
from onestack.compute.models import BlockDeviceMapping
from onestack.core.db import utcnow
from tests.compute.conftest import ComputeFixture
from tests.compute.test_volume_attachments import (
    attach,
    fake_driver_volumes,
    make_volume,
    nv,  # noqa: F401 - the module fixture
    volume,
    wait_volume,
)


def worker_of(nv: ComputeFixture, sid: str) -> Any:  # noqa: F811
    return next(w for w in nv.cm.workers.values() if sid in w.driver.list_instances())


def half_attach(nv: ComputeFixture, sid: str, vid: str, *, plugged: bool, status: str = "attaching",  # noqa: F811
                volume_step: str = "update") -> None:
    """The records of an attach cut short: the mapping says ``status``; the
    volume service got as far as ``volume_step``; the guest has the volume
    when ``plugged``."""
    vm = nv.cloud.services["volume"]
    w = worker_of(nv, sid)
    with nv.cloud.db.session() as s:
        from onestack.compute.models import Instance

        ctx = ctx_for(s.get(Instance, sid))
    att = vm.attachments.create(ctx, vid, sid)
    info = None
    if volume_step in ("update", "complete"):
        info = vm.attachments.update(ctx, att.id, w.volumes.connector()).connection_info
    if volume_step == "complete":
        vm.attachments.complete(ctx, att.id)
    with nv.cloud.db.session() as s:
        s.add(BlockDeviceMapping(uuid=str(uuid.uuid4()), instance_uuid=sid, project_id=ctx.project_id,
                                 source_type="volume", destination_type="volume", volume_id=vid,
                                 attachment_id=att.id, device_name="/dev/vdc", delete_on_termination=False,
                                 status=status, connection_info=info, created_at=utcnow()))
    if plugged:
        w.driver.attach_volume(sid, BlockDevice(vid, info or {"driver_volume_type": "fake", "data": {}}))


def restart_recovery(nv: ComputeFixture, sid: str) -> None:  # noqa: F811
    nv.cloud.services["volume"].recover()
    w = worker_of(nv, sid)
    w.volumes.reconcile(None, set())


def check_truthful(nv: ComputeFixture, sid: str, vid: str) -> str:  # noqa: F811
    v = volume(nv, vid)
    assert v is not None
    listed = [a["volumeId"] for a in nv.req("GET", f"/servers/{sid}/os-volume_attachments").json()[
        "volumeAttachments"]]
    in_guest = vid in [b.volume_id for b in fake_driver_volumes(nv, sid)]
    with nv.cloud.db.session() as s:
        statuses = list(s.scalars(sa.select(BlockDeviceMapping.status).where(
            BlockDeviceMapping.volume_id == vid)))
    if v["status"] == "in-use":
        assert listed == [vid] and in_guest and statuses == ["attached"], (v, listed, in_guest, statuses)
        assert v["attachments"][0]["server_id"] == sid
    else:
        assert v["status"] == "available", v
        assert listed == [] and not in_guest and statuses == [] and v["attachments"] == []
    return str(v["status"])


@pytest.mark.parametrize("plugged, step, expect", [
    (False, "create", "available"),   # killed before the worker did anything
    (False, "update", "available"),   # connected, never plugged
    (True, "update", "in-use"),       # plugged, never completed: finished now
    (True, "complete", "in-use"),     # completed, the mapping's last write lost
])
def test_interrupted_attach(nv: ComputeFixture, plugged: bool, step: str, expect: str) -> None:  # noqa: F811
    sid = nv.boot()["id"]
    vid = make_volume(nv)
    half_attach(nv, sid, vid, plugged=plugged, volume_step=step)
    restart_recovery(nv, sid)
    assert check_truthful(nv, sid, vid) == expect


@pytest.mark.parametrize("plugged, expect", [(True, "in-use"), (False, "available")])
def test_interrupted_detach(nv: ComputeFixture, plugged: bool, expect: str) -> None:  # noqa: F811
    sid = nv.boot()["id"]
    vid = make_volume(nv)
    assert attach(nv, sid, vid).status_code == 200
    wait_volume(nv, vid, "in-use")
    # the API marked it detaching; the worker died before (plugged) or after (not) the unplug
    vm = nv.cloud.services["volume"]
    with nv.cloud.db.session() as s:
        s.execute(sa.update(BlockDeviceMapping).where(BlockDeviceMapping.volume_id == vid)
                  .values(status="detaching"))
        pid = s.scalar(sa.select(BlockDeviceMapping.project_id).where(BlockDeviceMapping.volume_id == vid))
    vm.volumes.begin_detaching(ctx_for(project_id=pid), vid)
    if not plugged:
        worker_of(nv, sid).driver.detach_volume(sid, vid)
    restart_recovery(nv, sid)
    assert check_truthful(nv, sid, vid) == expect


def test_device_without_mapping_is_unplugged(nv: ComputeFixture) -> None:  # noqa: F811
    sid = nv.boot()["id"]
    vid = make_volume(nv)
    worker_of(nv, sid).driver.attach_volume(sid, BlockDevice(vid, {"driver_volume_type": "fake", "data": {}}))
    restart_recovery(nv, sid)
    assert check_truthful(nv, sid, vid) == "available"
