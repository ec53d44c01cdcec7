"""Volume types (public/private with project access, extra specs, the default
type) and QoS specs with their associations to types."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.volume.manager.common import State, check_metadata, new_id, parse_bool
from onestack.volume.models import QosSpecs, Volume, VolumeType, VolumeTypeProject

DEFAULT_TYPE = "__DEFAULT__"


class TypeManager:
    def __init__(self, st: State) -> None:
        self.st = st

    def ensure_default(self) -> None:
        with self.st.db.session() as s:
            for name in {DEFAULT_TYPE, self.st.conf.volume.default_volume_type}:
                if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == name)) is None:
                    s.add(VolumeType(id=new_id(), name=name, description="Default Volume Type",
                                     is_public=True, extra_specs={}, created_at=utcnow()))
                    s.flush()

    def _get(self, s: Any, ctx: RequestContext, type_id: str) -> VolumeType:
        if type_id == "default":
            return self.st.default_type(s)
        t = s.get(VolumeType, type_id) if len(type_id) <= 36 else None
        if t is None or not self.st.type_visible(s, ctx, t):
            raise NotFound(f"Volume type {type_id} could not be found.")
        return t

    def get(self, ctx: RequestContext, type_id: str) -> VolumeType:
        self.st.enforce(ctx, "volume_extension:type_get")
        with self.st.db.session() as s:
            return self._get(s, ctx, type_id)

    def default(self, ctx: RequestContext) -> VolumeType:
        self.st.enforce(ctx, "volume_extension:type_get")
        with self.st.db.session() as s:
            return self.st.default_type(s)

    def list(self, ctx: RequestContext, is_public: str | None, filters: dict[str, str],
             sort: list[tuple[str, str]] | None = None) -> list[VolumeType]:
        self.st.enforce(ctx, "volume_extension:type_get_all")
        admin = self.st.is_admin(ctx)
        stmt = sa.select(VolumeType)
        want_public: bool | None = True
        if admin:
            if is_public is None:
                want_public = True
            elif is_public.lower() == "none":
                want_public = None
            else:
                want_public = parse_bool(is_public, "is_public")
        if want_public is None:
            pass
        elif want_public and not admin:
            access = sa.select(VolumeTypeProject.volume_type_id).where(
                VolumeTypeProject.project_id == ctx.project_id)
            stmt = stmt.where(sa.or_(VolumeType.is_public.is_(True), VolumeType.id.in_(access)))
        elif want_public:
            access = sa.select(VolumeTypeProject.volume_type_id).where(
                VolumeTypeProject.project_id == ctx.project_id)
            stmt = stmt.where(sa.or_(VolumeType.is_public.is_(True), VolumeType.id.in_(access)))
        else:
            stmt = stmt.where(VolumeType.is_public.is_(False))
        order = []
        for key, d in sort or [("created_at", "asc")]:
            col = getattr(VolumeType, key, None) if key in ("id", "name", "created_at", "description") else None
            if col is None:
                raise BadRequest(f"Invalid input received: Invalid sort key {key}")
            order.append(col.asc() if d == "asc" else col.desc())
        with self.st.db.session() as s:
            rows = list(s.scalars(stmt.order_by(*order, VolumeType.id)))
        if "extra_specs" in filters:
            from onestack.volume.manager.listing import parse_dict

            want = parse_dict(filters["extra_specs"], "extra_specs")
            rows = [t for t in rows if all(t.extra_specs.get(k) == v for k, v in want.items())]
        return rows

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> VolumeType:
        self.st.enforce(ctx, "volume_extension:type_create")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise BadRequest("Invalid input received: name must be a string of 1 to 255 characters.")
        is_public = parse_bool(body.get("os-volume-type-access:is_public", body.get("is_public", True)),
                               "is_public")
        specs = check_metadata(body.get("extra_specs") or {}, "extra_specs")
        with self.st.db.session() as s:
            if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == name)):
                raise Conflict(f"Volume Type {name} already exists.")
            t = VolumeType(id=new_id(), name=name, description=body.get("description"), is_public=is_public,
                           extra_specs=specs, created_at=utcnow())
            s.add(t)
            return t

    def update(self, ctx: RequestContext, type_id: str, body: dict[str, Any]) -> VolumeType:
        self.st.enforce(ctx, "volume_extension:type_update")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if "name" in body:
                name = body["name"]
                if not isinstance(name, str) or not name.strip():
                    raise BadRequest("Invalid input received: name must be a non-empty string.")
                if t.name == DEFAULT_TYPE and name != t.name:
                    raise BadRequest("Invalid volume type: The default volume type cannot be renamed.")
                clash = s.scalar(sa.select(VolumeType.id).where(VolumeType.name == name, VolumeType.id != t.id))
                if clash:
                    raise Conflict(f"Volume Type {name} already exists.")
                t.name = name
            if "description" in body:
                t.description = body["description"]
            if "is_public" in body or "os-volume-type-access:is_public" in body:
                t.is_public = parse_bool(body.get("is_public", body.get("os-volume-type-access:is_public")),
                                         "is_public")
            t.updated_at = utcnow()
            return t

    def delete(self, ctx: RequestContext, type_id: str) -> None:
        self.st.enforce(ctx, "volume_extension:type_delete")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if t.name in (DEFAULT_TYPE, self.st.conf.volume.default_volume_type):
                raise BadRequest("Invalid volume type: The default volume type cannot be deleted.")
            if s.scalar(sa.select(Volume.id).where(Volume.volume_type_id == t.id).limit(1)):
                raise BadRequest("Target volume type is still in use.")
            s.delete(t)

    # ---- extra specs --------------------------------------------------------------------
    def extra_specs(self, ctx: RequestContext, type_id: str) -> dict[str, str]:
        self.st.enforce(ctx, "volume_extension:types_extra_specs:index")
        with self.st.db.session() as s:
            return dict(self._get(s, ctx, type_id).extra_specs)

    def set_extra_specs(self, ctx: RequestContext, type_id: str, specs: Any) -> dict[str, str]:
        self.st.enforce(ctx, "volume_extension:types_extra_specs:create")
        specs = check_metadata(specs, "extra_specs")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            self._not_in_use(s, t)
            t.extra_specs = {**t.extra_specs, **specs}
            t.updated_at = utcnow()
            return specs

    def _not_in_use(self, s: Any, t: VolumeType) -> None:
        if s.scalar(sa.select(Volume.id).where(Volume.volume_type_id == t.id).limit(1)):
            raise BadRequest(f"Invalid volume type: Volume Type {t.id} is currently in use.")

    def delete_extra_spec(self, ctx: RequestContext, type_id: str, key: str) -> None:
        self.st.enforce(ctx, "volume_extension:types_extra_specs:delete")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if key not in t.extra_specs:
                raise NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")
            self._not_in_use(s, t)
            t.extra_specs = {k: v for k, v in t.extra_specs.items() if k != key}
            t.updated_at = utcnow()

    # ---- access -----------------------------------------------------------------------------
    def access(self, ctx: RequestContext, type_id: str) -> list[str]:
        self.st.enforce(ctx, "volume_extension:volume_type_access:get_all_for_type")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if t.is_public:
                raise NotFound(f"Volume type {type_id} is public: it has no access list.")
            return list(s.scalars(sa.select(VolumeTypeProject.project_id)
                                  .where(VolumeTypeProject.volume_type_id == t.id)
                                  .order_by(VolumeTypeProject.project_id)))

    def add_access(self, ctx: RequestContext, type_id: str, project_id: Any) -> None:
        self.st.enforce(ctx, "volume_extension:volume_type_access:addProjectAccess")
        if not isinstance(project_id, str) or not project_id or len(project_id) > 64:
            raise BadRequest("Invalid input received: project must be a project id.")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if t.is_public:
                raise BadRequest("Invalid volume type: Type access modification is not applicable to public "
                                 "volume type.")
            if s.get(VolumeTypeProject, (t.id, project_id)) is not None:
                raise Conflict(f"Volume type access for {t.id} / {project_id} combination already exists.")
            s.add(VolumeTypeProject(volume_type_id=t.id, project_id=project_id))

    def remove_access(self, ctx: RequestContext, type_id: str, project_id: Any) -> None:
        self.st.enforce(ctx, "volume_extension:volume_type_access:removeProjectAccess")
        with self.st.db.session() as s:
            t = self._get(s, ctx, type_id)
            if t.is_public:
                raise BadRequest("Invalid volume type: Type access modification is not applicable to public "
                                 "volume type.")
            row = s.get(VolumeTypeProject, (t.id, project_id)) if isinstance(project_id, str) else None
            if row is None:
                raise NotFound(f"Volume type access not found for {t.id} / {project_id} combination.")
            s.delete(row)


class QosManager:
    def __init__(self, st: State) -> None:
        self.st = st

    def _get(self, s: Any, qos_id: str) -> QosSpecs:
        q = s.get(QosSpecs, qos_id) if len(qos_id) <= 36 else None
        if q is None:
            raise NotFound(f"QoS Specs {qos_id} could not be found.")
        return q

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> QosSpecs:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:create")
        body = dict(body)
        name = body.pop("name", None)
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise BadRequest("Invalid input received: name must be a string of 1 to 255 characters.")
        consumer = body.pop("consumer", "back-end")
        if consumer not in ("front-end", "back-end", "both"):
            raise BadRequest(f"Invalid input received: Valid consumer of QoS specs are: ['front-end', "
                             f"'back-end', 'both'], not {consumer}.")
        specs = check_metadata({k: v if isinstance(v, str) else str(v) for k, v in body.items()}, "specs")
        with self.st.db.session() as s:
            if s.scalar(sa.select(QosSpecs.id).where(QosSpecs.name == name)):
                raise Conflict(f"QoS Specs {name} already exists.")
            q = QosSpecs(id=new_id(), name=name, consumer=consumer, specs=specs, created_at=utcnow())
            s.add(q)
            return q

    def list(self, ctx: RequestContext) -> list[QosSpecs]:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:get_all")
        with self.st.db.session() as s:
            return list(s.scalars(sa.select(QosSpecs).order_by(QosSpecs.created_at, QosSpecs.id)))

    def get(self, ctx: RequestContext, qos_id: str) -> QosSpecs:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:get")
        with self.st.db.session() as s:
            return self._get(s, qos_id)

    def update(self, ctx: RequestContext, qos_id: str, specs: dict[str, Any]) -> dict[str, str]:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:update")
        specs = dict(specs)
        consumer = specs.pop("consumer", None)
        specs = check_metadata({k: v if isinstance(v, str) else str(v) for k, v in specs.items()}, "specs")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            if consumer is not None:
                if consumer not in ("front-end", "back-end", "both"):
                    raise BadRequest(f"Invalid input received: invalid consumer {consumer}.")
                q.consumer = consumer
            q.specs = {**q.specs, **specs}
            out = dict(specs)
            if consumer is not None:
                out["consumer"] = consumer
            return out

    def delete_keys(self, ctx: RequestContext, qos_id: str, keys: Any) -> None:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:update")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise BadRequest("Invalid input received: keys must be a list of strings.")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            for k in keys:
                if k not in q.specs:
                    raise NotFound(f"QoS spec {k} not found in QoS Specs {qos_id}.")
            q.specs = {k: v for k, v in q.specs.items() if k not in keys}

    def delete(self, ctx: RequestContext, qos_id: str, force: bool) -> None:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:delete")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            users = list(s.scalars(sa.select(VolumeType).where(VolumeType.qos_specs_id == q.id)))
            if users and not force:
                raise BadRequest(f"QoS Specs {qos_id} is still associated with entities.")
            for t in users:
                t.qos_specs_id = None
            s.delete(q)

    def associations(self, ctx: RequestContext, qos_id: str) -> list[VolumeType]:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:get")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            return list(s.scalars(sa.select(VolumeType).where(VolumeType.qos_specs_id == q.id)))

    @contextlib.contextmanager
    def _association(self, ctx: RequestContext, qos_id: str, type_id: str | None
                     ) -> Iterator[tuple[QosSpecs, VolumeType]]:
        """The QoS specs and the volume type an (dis)association names, in one session."""
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:update")
        if not type_id:
            raise BadRequest("Invalid input received: vol_type_id must be given.")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            t = s.get(VolumeType, type_id) if len(type_id) <= 36 else None
            if t is None:
                raise NotFound(f"Volume type {type_id} could not be found.")
            yield q, t

    def associate(self, ctx: RequestContext, qos_id: str, type_id: str | None) -> None:
        with self._association(ctx, qos_id, type_id) as (q, t):
            if t.qos_specs_id and t.qos_specs_id != q.id:
                raise BadRequest(f"Type {type_id} is already associated with another qos specs: "
                                 f"{t.qos_specs_id}")
            t.qos_specs_id = q.id

    def disassociate(self, ctx: RequestContext, qos_id: str, type_id: str | None) -> None:
        with self._association(ctx, qos_id, type_id) as (q, t):
            if t.qos_specs_id == q.id:
                t.qos_specs_id = None

    def disassociate_all(self, ctx: RequestContext, qos_id: str) -> None:
        self.st.enforce(ctx, "volume_extension:qos_specs_manage:update")
        with self.st.db.session() as s:
            q = self._get(s, qos_id)
            for t in s.scalars(sa.select(VolumeType).where(VolumeType.qos_specs_id == q.id)):
                t.qos_specs_id = None
