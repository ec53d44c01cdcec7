"""Containers: create, update, delete, and their object listing."""

from __future__ import annotations

import sqlalchemy as sa

from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.object_store.manager.accounts import account_row
from onestack.object_store.manager.common import (
    ContainerInfo,
    ListedObject,
    ListParams,
    Part,
    Subdir,
    apply_updates,
    check_container_name,
    check_meta,
    container_info,
    container_row,
    locked_container,
    now_ts,
)
from onestack.object_store.manager.expiry import reap
from onestack.object_store.manager.listing import listing
from onestack.object_store.models import SwiftContainer, SwiftObject

# what a container listing reads of each object (not its user metadata)
LISTED = (SwiftObject.name, SwiftObject.size, SwiftObject.etag, SwiftObject.content_type,
          SwiftObject.timestamp, SwiftObject.sysmeta)


def apply_container(c: SwiftContainer, meta: dict[str, str | None],
                    sysmeta: dict[str, str | None]) -> None:
    m = apply_updates(c.meta or {}, meta)
    check_meta(m)
    sm = apply_updates(c.sysmeta or {}, sysmeta)
    if sm.get("versions_location") and sm.get("history_location"):
        raise BadRequest("Only one of X-Versions-Location or X-History-Location may be specified")
    c.meta, c.sysmeta = m, sm


class Containers(Part):
    def get_container(self, project_id: str, name: str) -> ContainerInfo:
        with self.session() as s:
            return container_info(container_row(s, project_id, name))

    def find_container(self, project_id: str, name: str) -> ContainerInfo | None:
        try:
            return self.get_container(project_id, name)
        except NotFound:
            return None

    def put_container(self, project_id: str, name: str, meta: dict[str, str | None],
                      sysmeta: dict[str, str | None]) -> bool:
        """Create or update; True when created."""
        check_container_name(name)
        with self.session(write=True) as s:
            account_row(s, project_id)
            c = s.scalar(sa.select(SwiftContainer).where(
                SwiftContainer.project_id == project_id, SwiftContainer.name == name))
            created = c is None
            if c is None:
                c = SwiftContainer(project_id=project_id, name=name, meta={}, sysmeta={},
                                   object_count=0, bytes_used=0, created_at=now_ts())
                s.add(c)
            apply_container(c, meta, sysmeta)
            try:
                s.flush()
            except sa.exc.IntegrityError:
                s.rollback()
                return False
            return created

    def post_container(self, project_id: str, name: str, meta: dict[str, str | None],
                       sysmeta: dict[str, str | None]) -> None:
        with self.session(write=True) as s:
            apply_container(container_row(s, project_id, name), meta, sysmeta)

    def delete_container(self, project_id: str, name: str) -> None:
        with self.session(write=True) as s:
            c = locked_container(s, project_id, name)
            reap(s, c, locked=True)
            if s.scalar(sa.select(SwiftObject.id).where(SwiftObject.container_id == c.id).limit(1)):
                raise Conflict("There was a conflict when trying to complete your request.")
            s.delete(c)

    def list_objects(self, project_id: str, container: str, p: ListParams) -> list[ListedObject | Subdir]:
        with self.session() as s:
            c = container_row(s, project_id, container)
            reap(s, c)
            rows = listing(s, SwiftObject, [SwiftObject.container_id == c.id], p, columns=LISTED)
            # plain tuples, not ORM objects: a 10,000-entry page is most of a request's work
            out: list[ListedObject | Subdir] = []
            for r in rows:
                if isinstance(r, Subdir):
                    out.append(r)
                    continue
                name, size, etag, ctype, ts, sysmeta = r
                if sysmeta and sysmeta.get("slo"):  # a static large object lists its whole size
                    out.append(ListedObject(name, int(sysmeta.get("slo_size", size)),
                                            str(sysmeta.get("slo_etag", etag)), ctype, ts, True))
                else:
                    out.append(ListedObject(name, size, etag, ctype, ts, False))
            return out
