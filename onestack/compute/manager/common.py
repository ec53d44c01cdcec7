"""What every compute manager module shares: upstream's vm/task states, the
status map, state checks (409), instance lookup with tenant isolation, and
instance-action records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.models import Instance, InstanceAction, InstanceActionEvent
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import ApiError, Conflict, NotFound

# vm_states
ACTIVE, BUILDING, PAUSED, SUSPENDED, STOPPED = "active", "building", "paused", "suspended", "stopped"
RESCUED, RESIZED, ERROR, DELETED = "rescued", "resized", "error", "deleted"
SHELVED, SHELVED_OFFLOADED, SOFT_DELETED = "shelved", "shelved_offloaded", "soft-deleted"

# task_states this cloud sets
SCHEDULING, SPAWNING = "scheduling", "spawning"
REBOOTING, REBOOTING_HARD = "rebooting", "rebooting_hard"
POWERING_OFF, POWERING_ON = "powering-off", "powering-on"
PAUSING, UNPAUSING, SUSPENDING, RESUMING = "pausing", "unpausing", "suspending", "resuming"
RESCUING, UNRESCUING = "rescuing", "unrescuing"
REBUILDING, RESIZE_PREP, RESIZE_FINISH = "rebuilding", "resize_prep", "resize_finish"
RESIZE_MIGRATING, RESIZE_REVERTING, RESIZE_CONFIRMING = "resize_migrating", "resize_reverting", "resize_confirming"
IMAGE_SNAPSHOT, IMAGE_UPLOADING = "image_snapshot", "image_uploading"
DELETING = "deleting"

_DEFAULT = "default"
STATE_MAP: dict[str, dict[str, str]] = {
    ACTIVE: {
        _DEFAULT: "ACTIVE", REBOOTING: "REBOOT", REBOOTING_HARD: "HARD_REBOOT",
        REBUILDING: "REBUILD", RESIZE_MIGRATING: "RESIZE", RESIZE_FINISH: "RESIZE",
        RESIZE_PREP: "RESIZE", RESIZE_REVERTING: "REVERT_RESIZE",
    },
    BUILDING: {_DEFAULT: "BUILD"},
    STOPPED: {_DEFAULT: "SHUTOFF", RESIZE_MIGRATING: "RESIZE", RESIZE_FINISH: "RESIZE",
              RESIZE_PREP: "RESIZE", RESIZE_REVERTING: "REVERT_RESIZE", REBUILDING: "REBUILD"},
    RESIZED: {_DEFAULT: "VERIFY_RESIZE", RESIZE_REVERTING: "REVERT_RESIZE"},
    PAUSED: {_DEFAULT: "PAUSED"},
    SUSPENDED: {_DEFAULT: "SUSPENDED"},
    RESCUED: {_DEFAULT: "RESCUE"},
    ERROR: {_DEFAULT: "ERROR", REBUILDING: "REBUILD"},
    DELETED: {_DEFAULT: "DELETED"},
    SOFT_DELETED: {_DEFAULT: "SOFT_DELETED"},
    SHELVED: {_DEFAULT: "SHELVED"},
    SHELVED_OFFLOADED: {_DEFAULT: "SHELVED_OFFLOADED"},
}

# status filter value -> vm_states (upstream's status_to_vm_states, plus task-state ones)
STATUS_FILTER: dict[str, tuple[list[str], list[str] | None]] = {
    "ACTIVE": ([ACTIVE], None), "BUILD": ([BUILDING], None), "SHUTOFF": ([STOPPED], None),
    "PAUSED": ([PAUSED], None), "SUSPENDED": ([SUSPENDED], None), "RESCUE": ([RESCUED], None),
    "VERIFY_RESIZE": ([RESIZED], None), "ERROR": ([ERROR], None), "DELETED": ([DELETED], None),
    "SOFT_DELETED": ([SOFT_DELETED], None), "SHELVED": ([SHELVED], None),
    "SHELVED_OFFLOADED": ([SHELVED_OFFLOADED], None),
    "REBOOT": ([ACTIVE], [REBOOTING]), "HARD_REBOOT": ([ACTIVE], [REBOOTING_HARD]),
    "REBUILD": ([ACTIVE, STOPPED, ERROR], [REBUILDING]),
    "RESIZE": ([ACTIVE, STOPPED], [RESIZE_MIGRATING, RESIZE_FINISH, RESIZE_PREP]),
    "REVERT_RESIZE": ([ACTIVE, STOPPED, RESIZED], [RESIZE_REVERTING]),
    "MIGRATING": ([ACTIVE], ["migrating"]), "PASSWORD": ([ACTIVE], ["updating_password"]),
    "UNKNOWN": ([], None),
}


def status_of(inst: Instance) -> str:
    states = STATE_MAP.get(inst.vm_state, {_DEFAULT: "UNKNOWN"})
    return states.get(inst.task_state or "", states[_DEFAULT])


def is_admin(ctx: RequestContext) -> bool:
    return "admin" in ctx.roles


def check_state(inst: Instance, action: str, vm_states: Iterable[str] | None,
                task_states: Iterable[str | None] | None = (None,)) -> None:
    """Upstream's ``check_instance_state``: 409 when ``action`` is not allowed now."""
    if vm_states is not None and inst.vm_state not in vm_states:
        raise Conflict(f"Cannot '{action}' instance {inst.uuid} while it is in vm_state {inst.vm_state}")
    if task_states is not None and inst.task_state not in task_states:
        raise Conflict(f"Cannot '{action}' instance {inst.uuid} while it is in task_state {inst.task_state}")


def check_lock(ctx: RequestContext, inst: Instance) -> None:
    if inst.locked and not is_admin(ctx):
        raise Conflict(f"Instance {inst.uuid} is locked")


def get_instance(s: Session, ctx: RequestContext, uuid: str, *, read_deleted: bool = False,
                 for_update: bool = False) -> Instance:
    """The caller's own instance (any instance for admins); 404 otherwise, as
    upstream does for another project's server."""
    q = sa.select(Instance).where(Instance.uuid == uuid)
    if not read_deleted:
        q = q.where(Instance.deleted.is_(False))
    if not is_admin(ctx):
        q = q.where(Instance.project_id == ctx.project_id)
    if for_update:
        q = q.with_for_update()
    inst = s.scalar(q)
    if inst is None:
        raise NotFound(f"Instance {uuid} could not be found.")
    return inst


def record_action(s: Session, ctx: RequestContext, inst: Instance, action: str,
                  event: str | None = None) -> InstanceAction:
    """Start an instance action (os-instance-actions) and, optionally, its first event."""
    act = InstanceAction(instance_uuid=inst.uuid, project_id=ctx.project_id or inst.project_id,
                         user_id=ctx.user_id or inst.user_id, request_id=ctx.request_id or "",
                         action=action, start_time=utcnow(), updated_at=utcnow())
    s.add(act)
    s.flush()
    if event:
        s.add(InstanceActionEvent(action_id=act.id, event=event, start_time=utcnow(), host=inst.host))
    return act


def fault(code: int, message: str, details: str = "") -> dict[str, Any]:
    return {"code": code, "message": message[:255], "details": details,
            "created": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}


def fmt_time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


class QuotaExceeded(ApiError):
    """Nova answers over-quota server creates with 403."""

    status, title = 403, "Forbidden"
