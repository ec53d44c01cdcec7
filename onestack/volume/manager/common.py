"""What every volume manager module shares: the service's state (database,
driver, policy, background worker), tenant-isolated lookups, status rules."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Config
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest, NotFound
from onestack.core.policy import Policy
from onestack.volume.drivers.base import VolumeDriver
from onestack.volume.manager.listing import ListQuery
from onestack.volume.models import Backup, Snapshot, Volume, VolumeType

LOG = logging.getLogger(__name__)

# volume statuses from which a volume may be deleted (upstream's list)
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
# transitional statuses: nothing may start while one of these holds
TRANSITIONAL = ("creating", "deleting", "attaching", "detaching", "extending", "uploading",
                "backing-up", "restoring-backup", "downloading", "retyping", "reserved")
# admin metadata of a volume while it is "extending": the size it grows to (the quota
# check counts it; the size changes when the extend completes)
EXTENDING_TO = "extending_to"
VOLUME_STATUSES = (
    "creating", "available", "reserved", "attaching", "detaching", "in-use", "maintenance", "deleting",
    "awaiting-transfer", "error", "error_deleting", "backing-up", "restoring-backup", "error_backing-up",
    "error_restoring", "error_extending", "downloading", "uploading", "retyping", "extending",
)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class State:
    """The service's shared state, handed to each per-resource manager."""

    conf: Config
    db: Database
    driver: VolumeDriver
    policy: Policy
    image: Any = None
    object_store: Any = None
    host: str = "onestack@file#file"
    extend_listeners: list[Callable[[str, str, int, dict[str, Any]], None]] = field(default_factory=list)
    # set by the facade: the user message recorder and the backend's capabilities
    messages: Any = None
    capabilities: Callable[[], dict[str, Any]] = dict
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, "volume"))
    _pending: set[Future[Any]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- policy -----------------------------------------------------------------
    def enforce(self, ctx: RequestContext, rule: str, project_id: str | None = None) -> None:
        # never None: oslo.policy would compare "None" with an unscoped token's None
        target = {"project_id": (project_id if project_id is not None else ctx.project_id) or "",
                  "user_id": ctx.user_id or ""}
        self.policy.enforce(ctx, rule, None, target)

    def allowed(self, ctx: RequestContext, rule: str, project_id: str | None = None) -> bool:
        # never None: oslo.policy would compare "None" with an unscoped token's None
        target = {"project_id": (project_id if project_id is not None else ctx.project_id) or "",
                  "user_id": ctx.user_id or ""}
        return self.policy.check(ctx, rule, None, target)

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.policy.check(ctx, "context_is_admin", None, {"project_id": ctx.project_id})

    # ---- background work --------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception:
                LOG.exception("volume background job %s failed", getattr(fn, "__name__", fn))

        fut = self.pool.submit(run)
        with self._lock:
            self._pending.add(fut)
        fut.add_done_callback(self._done)

    def _done(self, fut: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(fut)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait for every background job submitted so far (tests, shutdown)."""
        import concurrent.futures as cf

        with self._lock:
            pending = list(self._pending)
        cf.wait(pending, timeout=timeout)

    # ---- lookups ----------------------------------------------------------------
    def _find(self, s: Session, ctx: RequestContext, model: Any, noun: str, ident: str, lock: bool) -> Any:
        """The row of a tenant resource: 404 when it is missing or another
        project's (unless the caller is an admin)."""
        q = sa.select(model).where(model.id == ident)
        if lock:
            q = q.with_for_update()
        row = s.scalar(q) if _plausible_id(ident) else None
        if row is None or (row.project_id != ctx.project_id and not self.is_admin(ctx)):
            raise NotFound(f"{noun} {ident} could not be found.")
        return row

    def volume(self, s: Session, ctx: RequestContext, volume_id: str, *, lock: bool = False) -> Volume:
        return self._find(s, ctx, Volume, "Volume", volume_id, lock)  # type: ignore[no-any-return]

    def snapshot(self, s: Session, ctx: RequestContext, snapshot_id: str, *, lock: bool = False) -> Snapshot:
        return self._find(s, ctx, Snapshot, "Snapshot", snapshot_id, lock)  # type: ignore[no-any-return]

    def backup(self, s: Session, ctx: RequestContext, backup_id: str, *, lock: bool = False) -> Backup:
        return self._find(s, ctx, Backup, "Backup", backup_id, lock)  # type: ignore[no-any-return]

    def listing(self, ctx: RequestContext, model: Any, q: ListQuery) -> tuple[sa.Select[Any], dict[str, str]]:
        """The start of a tenant resource's list: the caller's project; for an
        admin, the project of the ``project_id`` filter, or every project with
        ``all_tenants``.  Returns the statement and the filters left to apply."""
        admin = self.is_admin(ctx)
        filters = dict(q.filters)
        project = filters.pop("project_id", None) if admin else None
        stmt = sa.select(model)
        if admin and q.all_tenants:
            if project:
                stmt = stmt.where(model.project_id == project)
        else:
            stmt = stmt.where(model.project_id == (project or ctx.project_id))
        return stmt, filters

    def type_by_name_or_id(self, s: Session, ctx: RequestContext | None, ident: str) -> VolumeType:
        t = s.get(VolumeType, ident) if _plausible_id(ident) else None
        if t is None:
            t = s.scalar(sa.select(VolumeType).where(VolumeType.name == ident))
        if t is None or (ctx is not None and not self.type_visible(s, ctx, t)):
            raise NotFound(f"Volume type with name {ident} could not be found.")
        return t

    def type_visible(self, s: Session, ctx: RequestContext, t: VolumeType) -> bool:
        if t.is_public or self.is_admin(ctx):
            return True
        from onestack.volume.models import VolumeTypeProject

        return s.get(VolumeTypeProject, (t.id, ctx.project_id)) is not None

    def default_type(self, s: Session) -> VolumeType:
        name = self.conf.volume.default_volume_type
        t = s.scalar(sa.select(VolumeType).where(VolumeType.name == name))
        if t is None:
            t = s.scalar(sa.select(VolumeType).where(VolumeType.name == "__DEFAULT__"))
        if t is None:
            raise NotFound(f"Volume type with name {name} could not be found.")
        return t

    def set_status(self, volume_id: str, status: str, **extra: Any) -> None:
        from onestack.core.db import utcnow

        with self.db.session() as s:
            v = s.get(Volume, volume_id)
            if v is None:
                return
            v.status = status
            for k, val in extra.items():
                setattr(v, k, val)
            if status != "extending":
                end_extend(v)
            v.updated_at = utcnow()


def end_extend(v: Volume) -> None:
    """Forget the size an extend was growing the volume to (it is over)."""
    if EXTENDING_TO in v.admin_meta:
        v.admin_meta = {k: val for k, val in v.admin_meta.items() if k != EXTENDING_TO}


def unmet_spec(extra_specs: dict[str, str], caps: dict[str, Any]) -> str | None:
    """Cinder's CapabilitiesFilter: each extra spec without a scope, or scoped
    ``capabilities:``, must match the backend's capability of that name (a missing
    capability fails).  Returns the first unmet spec, or None."""
    for key, want in extra_specs.items():
        scope, _, name = key.rpartition(":")
        if scope not in ("", "capabilities") or name in ("multiattach",) or key.startswith("RESKEY"):
            continue
        if name not in caps:
            return key
        have = caps[name]
        if not _matches(str(want).strip(), have):
            return key
    return None


def _matches(want: str, have: Any) -> bool:
    op, _, rest = want.partition(" ")
    rest = rest.strip()
    if op == "<is>":
        return str(have).lower() == rest.lower()
    if op == "<in>":
        return rest in str(have)
    if op == "<or>":
        return str(have) in [w.strip() for w in want.split("<or>") if w.strip()]
    if op in ("=", ">=", "<=", "==", "!=", "s==", "s!=", "s>=", "s<=", "s>", "s<") and rest:
        try:
            h, w = float(have), float(rest)
        except (TypeError, ValueError):
            h, w = str(have), rest  # type: ignore[assignment]
        return {"=": h >= w, ">=": h >= w, "<=": h <= w, "==": h == w, "!=": h != w, "s==": str(h) == str(w),
                "s!=": str(h) != str(w), "s>=": str(h) >= str(w), "s<=": str(h) <= str(w),
                "s>": str(h) > str(w), "s<": str(h) < str(w)}[op]
    return str(have) == want


def _plausible_id(v: str) -> bool:
    return 0 < len(v) <= 64


def check_metadata(meta: Any, what: str = "metadata") -> dict[str, str]:
    if not isinstance(meta, dict):
        raise BadRequest(f"Malformed request body: {what} must be an object.")
    for k, v in meta.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 255:
            raise BadRequest(f"Invalid input received: {what} keys must be 1 to 255 characters.")
        if not isinstance(v, str) or len(v) > 255:
            raise BadRequest(f"Invalid input received: {what} values must be strings of at most 255 "
                             "characters.")
    return dict(meta)


def set_names(row: Volume | Snapshot, body: dict[str, Any]) -> None:
    """An update's name and description, under Cinder's keys old (``display_``) and new."""
    for src, dst in (("name", "name"), ("display_name", "name"), ("description", "description"),
                     ("display_description", "description")):
        if src in body:
            setattr(row, dst, body[src])


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y", "on", "t"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "n", "off", "f"):
        return False
    raise BadRequest(f"Invalid value '{value}' for {name}: it must be a boolean.")


def require_status(v: Volume, allowed: Iterable[str], action: str) -> None:
    allowed = tuple(allowed)
    if v.status not in allowed:
        raise BadRequest(f"Invalid volume: Volume {v.id} status must be {' or '.join(allowed)} "
                         f"to {action}, but current status is: {v.status}.")
