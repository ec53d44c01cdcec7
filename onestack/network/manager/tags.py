"""Tags of any resource (``/v2.0/{resource}/{id}/tags``), stored in one table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import NotFound
from onestack.network.manager.common import bad_request, not_found, touch
from onestack.network.models import Tag

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

MAX_TAG_LEN = 60

# resource collection -> (get_row(s, ctx, id) raising 404, update rule name, target(row))
Resolver = tuple[Callable[[Session, RequestContext, str], Any], str, Callable[[Any], dict[str, Any]]]


class Tags:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr
        self.resources: dict[str, Resolver] = {}

    def register(self, collection: str, get_row: Callable[[Session, RequestContext, str], Any],
                 update_rule: str, target: Callable[[Any], dict[str, Any]]) -> None:
        """Make ``/v2.0/<collection>/{id}/tags`` work (the L3 helper registers routers,
        floatingips, security-groups this way)."""
        self.resources[collection] = (get_row, update_rule, target)

    # ---- reading, for views ------------------------------------------------------------
    def of(self, s: Session, resource_id: str) -> list[str]:
        return sorted(s.scalars(sa.select(Tag.tag).where(Tag.resource_id == resource_id)))

    def of_many(self, s: Session, ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(ids)
        out: dict[str, list[str]] = {}
        for i in range(0, len(ids), 500):
            for rid, tag in s.execute(sa.select(Tag.resource_id, Tag.tag).where(
                    Tag.resource_id.in_(ids[i:i + 500]))):
                out.setdefault(rid, []).append(tag)
        for v in out.values():
            v.sort()
        return out

    def drop(self, s: Session, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            s.execute(sa.delete(Tag).where(Tag.resource_id.in_(ids)))

    # ---- the API -----------------------------------------------------------------------
    def _resolve(self, s: Session, ctx: RequestContext, collection: str, rid: str, *,
                 write: bool) -> Any:
        if collection not in self.resources:
            raise not_found("Resource", collection)
        get_row, rule, target = self.resources[collection]
        row = get_row(s, ctx, rid)
        if write:
            self.mgr.enforce(ctx, rule, target(row))
        return row

    @staticmethod
    def _check(tag: Any) -> str:
        if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LEN or "," in tag:
            raise bad_request(f"Invalid input for operation: '{tag}' is not a valid tag.",
                              "InvalidInput")
        return tag

    def list(self, ctx: RequestContext, collection: str, rid: str) -> list[str]:
        with self.mgr.db.session() as s:
            self._resolve(s, ctx, collection, rid, write=False)
            return self.of(s, rid)

    def has(self, ctx: RequestContext, collection: str, rid: str, tag: str) -> None:
        with self.mgr.db.session() as s:
            self._resolve(s, ctx, collection, rid, write=False)
            if s.get(Tag, (rid, tag)) is None:
                raise NotFound(f"Tag {tag} could not be found for {collection[:-1]} {rid}.",
                               type="TagNotFound")

    def add(self, ctx: RequestContext, collection: str, rid: str, tag: str) -> None:
        self._check(tag)
        with self.mgr.db.session() as s:
            row = self._resolve(s, ctx, collection, rid, write=True)
            if s.get(Tag, (rid, tag)) is None:
                s.add(Tag(resource_id=rid, tag=tag, resource_type=collection))
                _touch(row)

    def replace(self, ctx: RequestContext, collection: str, rid: str, tags: Any) -> list[str]:
        if not isinstance(tags, list):
            raise bad_request("Invalid input for operation: tags must be a list.", "InvalidInput")
        wanted = sorted({self._check(t) for t in tags})
        with self.mgr.db.session() as s:
            row = self._resolve(s, ctx, collection, rid, write=True)
            s.execute(sa.delete(Tag).where(Tag.resource_id == rid))
            for t in wanted:
                s.add(Tag(resource_id=rid, tag=t, resource_type=collection))
            _touch(row)
        return wanted

    def remove(self, ctx: RequestContext, collection: str, rid: str, tag: str) -> None:
        with self.mgr.db.session() as s:
            row = self._resolve(s, ctx, collection, rid, write=True)
            t = s.get(Tag, (rid, tag))
            if t is None:
                raise NotFound(f"Tag {tag} could not be found for {collection[:-1]} {rid}.",
                               type="TagNotFound")
            s.delete(t)
            _touch(row)

    def remove_all(self, ctx: RequestContext, collection: str, rid: str) -> None:
        with self.mgr.db.session() as s:
            row = self._resolve(s, ctx, collection, rid, write=True)
            s.execute(sa.delete(Tag).where(Tag.resource_id == rid))
            _touch(row)


def _touch(row: Any) -> None:
    if hasattr(row, "revision_number"):
        touch(row)
