"""Flavors, flavor access and extra specs; the default flavors made at bootstrap."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute.manager.common import is_admin
from onestack.compute.models import Flavor, FlavorProject
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, NotFound

# devstack's flavors (ids 1..5 as upstream), plus the two tiny ones devstack adds
# for Tempest; m1.nano fits a CirrOS guest under QEMU.
DEFAULT_FLAVORS = (
    ("1", "m1.tiny", 512, 1, 1),
    ("2", "m1.small", 2048, 20, 1),
    ("3", "m1.medium", 4096, 40, 2),
    ("4", "m1.large", 8192, 80, 4),
    ("5", "m1.xlarge", 16384, 160, 8),
    ("42", "m1.nano", 128, 1, 1),
    ("84", "m1.micro", 192, 1, 1),
)

SORT_KEYS = {"flavorid": Flavor.flavorid, "name": Flavor.name, "memory_mb": Flavor.memory_mb,
             "root_gb": Flavor.root_gb, "vcpus": Flavor.vcpus, "id": Flavor.id,
             "swap": Flavor.swap, "ephemeral_gb": Flavor.ephemeral_gb,
             "rxtx_factor": Flavor.rxtx_factor, "disabled": Flavor.disabled,
             "is_public": Flavor.is_public, "created_at": Flavor.created_at,
             "description": Flavor.description}


class FlavorManager:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_defaults(self) -> None:
        with self.db.session() as s:
            for fid, name, ram, disk, vcpus in DEFAULT_FLAVORS:
                if s.scalar(sa.select(Flavor.id).where(sa.or_(Flavor.flavorid == fid, Flavor.name == name))) is None:
                    s.add(Flavor(flavorid=fid, name=name, memory_mb=ram, root_gb=disk, vcpus=vcpus,
                                 ephemeral_gb=0, swap=0, rxtx_factor=1.0, is_public=True,
                                 disabled=False, extra_specs={}))

    # ---- lookups ------------------------------------------------------------
    def _visible(self, ctx: RequestContext) -> Any:
        if is_admin(ctx):
            return sa.true()
        allowed = sa.select(FlavorProject.flavor_id).where(FlavorProject.project_id == ctx.project_id)
        return sa.or_(Flavor.is_public.is_(True), Flavor.id.in_(allowed))

    def _get(self, s: Session, ctx: RequestContext | None, flavorid: str) -> Flavor:
        q = sa.select(Flavor).where(Flavor.flavorid == flavorid)
        if ctx is not None:
            q = q.where(self._visible(ctx))
        f = s.scalar(q)
        if f is None:
            raise NotFound(f"Flavor {flavorid} could not be found.")
        return f

    def get(self, ctx: RequestContext | None, flavorid: str) -> Flavor:
        with self.db.session() as s:
            return self._get(s, ctx, flavorid)

    def list(self, ctx: RequestContext, *, is_public: str | None = None, min_ram: int | None = None,
             min_disk: int | None = None, sort_key: str = "flavorid", sort_dir: str = "asc",
             limit: int | None = None, marker: str | None = None) -> list[Flavor]:
        q = sa.select(Flavor)
        # upstream: non-admins see public flavors plus their private ones; admins
        # filter by is_public (default: public only; "None"/"all": every flavor)
        if is_admin(ctx):
            if is_public is None or is_public.lower() in ("true", "t", "1", "yes", "y", "on"):
                q = q.where(Flavor.is_public.is_(True))
            elif is_public.lower() in ("none", "all"):
                pass
            elif is_public.lower() in ("false", "f", "0", "no", "n", "off"):
                q = q.where(Flavor.is_public.is_(False))
            else:
                raise BadRequest(f"Invalid is_public filter [{is_public}]")
        else:
            q = q.where(self._visible(ctx))
        if min_ram is not None:
            q = q.where(Flavor.memory_mb >= min_ram)
        if min_disk is not None:
            q = q.where(Flavor.root_gb >= min_disk)
        col = SORT_KEYS.get(sort_key)
        if col is None:
            raise BadRequest(f"Invalid sort_key {sort_key}")
        if sort_dir not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir {sort_dir}")
        order = col.asc() if sort_dir == "asc" else col.desc()
        with self.db.session() as s:
            if marker is not None:
                m = s.scalar(sa.select(Flavor).where(Flavor.flavorid == marker))
                if m is None:
                    raise BadRequest(f"marker [{marker}] not found")
                mv = getattr(m, col.key)
                cmp = col > mv if sort_dir == "asc" else col < mv
                q = q.where(sa.or_(cmp, sa.and_(col == mv, Flavor.id > m.id)))
            q = q.order_by(order, Flavor.id.asc())
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    # ---- admin --------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> Flavor:
        fid = body.get("id")
        if fid is None or fid == "":
            fid = str(uuid.uuid4())
        fid = str(fid).strip()
        name = body["name"].strip()
        if not name:
            raise BadRequest("Flavor name must be a non-empty string.")
        with self.db.session() as s:
            if s.scalar(sa.select(Flavor.id).where(Flavor.flavorid == fid)) is not None:
                raise Conflict(f"Flavor with ID {fid} already exists.")
            if s.scalar(sa.select(Flavor.id).where(Flavor.name == name)) is not None:
                raise Conflict(f"Flavor with name {name} already exists.")
            swap = body.get("swap") or 0
            f = Flavor(flavorid=fid, name=name, memory_mb=int(body["ram"]), vcpus=int(body["vcpus"]),
                       root_gb=int(body["disk"]), ephemeral_gb=int(body.get("OS-FLV-EXT-DATA:ephemeral") or 0),
                       swap=int(swap), rxtx_factor=float(body.get("rxtx_factor") or 1.0),
                       is_public=bool(body.get("os-flavor-access:is_public", True)), disabled=False,
                       description=body.get("description"), extra_specs={})
            s.add(f)
            s.flush()
            return f

    def update(self, flavorid: str, description: str | None) -> Flavor:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            f.description = description
            return f

    def delete(self, flavorid: str) -> None:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            s.delete(f)

    # ---- access -------------------------------------------------------------
    def access(self, flavorid: str) -> list[str]:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            if f.is_public:
                raise NotFound("Access list not available for public flavors.")
            return list(s.scalars(sa.select(FlavorProject.project_id).where(FlavorProject.flavor_id == f.id)
                                  .order_by(FlavorProject.project_id)))

    def add_access(self, flavorid: str, project_id: str) -> list[str]:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            if f.is_public:
                raise Conflict("Can not add access to a public flavor.")
            if s.get(FlavorProject, (f.id, project_id)) is not None:
                raise Conflict(f"Flavor access already exists for flavor {flavorid} and project {project_id} combination.")
            s.add(FlavorProject(flavor_id=f.id, project_id=project_id))
        return self.access(flavorid)

    def remove_access(self, flavorid: str, project_id: str) -> list[str]:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            row = s.get(FlavorProject, (f.id, project_id))
            if row is None:
                raise NotFound(f"Flavor access not found for {flavorid} / {project_id} combination.")
            s.delete(row)
        return self.access(flavorid)

    # ---- extra specs --------------------------------------------------------
    def extra_specs(self, ctx: RequestContext, flavorid: str) -> dict[str, str]:
        return dict(self.get(ctx, flavorid).extra_specs or {})

    def set_extra_specs(self, flavorid: str, specs: dict[str, str]) -> dict[str, str]:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            f.extra_specs = {**(f.extra_specs or {}), **{k: str(v) for k, v in specs.items()}}
            return dict(f.extra_specs)

    def delete_extra_spec(self, flavorid: str, key: str) -> None:
        with self.db.session() as s:
            f = self._get(s, None, flavorid)
            specs = dict(f.extra_specs or {})
            if key not in specs:
                raise NotFound(f"Flavor {flavorid} has no extra specs with key {key}.")
            del specs[key]
            f.extra_specs = specs


def snapshot(f: Flavor) -> dict[str, Any]:
    """What an instance keeps of its flavor (2.47's embedded view reads it)."""
    return {"id": f.flavorid, "name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.root_gb,
            "ephemeral": f.ephemeral_gb, "swap": f.swap, "extra_specs": dict(f.extra_specs or {})}
