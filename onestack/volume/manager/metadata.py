"""Key/value metadata kept in a JSON column of a resource's row: a volume's and a
snapshot's user metadata, a volume's image metadata.  One ``Metadata`` per
column, built with the resource's tenant-checked lookup and policy rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume.manager.common import State, check_metadata


@dataclass(frozen=True)
class Metadata:
    st: State
    # the row, tenant-checked: State.volume or State.snapshot
    find: Callable[..., Any]
    column: str
    # the policy rules to read, to set (merge or replace) and to delete a key
    read_rule: str
    update_rule: str
    delete_rule: str
    # the 404 for a missing key, with {id} and {key}
    missing: str
    # a check of the row before metadata is set (a volume in maintenance refuses it)
    writable: Callable[[Any], None] | None = None

    def _row(self, s: Session, ctx: RequestContext, ident: str, rule: str, lock: bool) -> Any:
        row = self.find(s, ctx, ident, lock=lock)
        self.st.enforce(ctx, rule, row.project_id)
        return row

    def _store(self, row: Any, meta: dict[str, str]) -> None:
        setattr(row, self.column, meta)
        row.updated_at = utcnow()

    def get(self, ctx: RequestContext, ident: str) -> dict[str, str]:
        with self.st.db.session() as s:
            return dict(getattr(self._row(s, ctx, ident, self.read_rule, False), self.column))

    def item(self, ctx: RequestContext, ident: str, key: str) -> dict[str, str]:
        """``{key: value}``, or 404 when the key is not set."""
        meta = self.get(ctx, ident)
        if key not in meta:
            raise NotFound(self.missing.format(id=ident, key=key))
        return {key: meta[key]}

    def set(self, ctx: RequestContext, ident: str, meta: Any, replace: bool) -> dict[str, str]:
        """Merge ``meta`` into the metadata (or replace it); returns all of it."""
        meta = check_metadata(meta)
        with self.st.db.session() as s:
            row = self._row(s, ctx, ident, self.update_rule, True)
            if self.writable is not None:
                self.writable(row)
            self._store(row, meta if replace else {**getattr(row, self.column), **meta})
            return dict(getattr(row, self.column))

    def delete(self, ctx: RequestContext, ident: str, key: Any) -> None:
        if not isinstance(key, str) or not key:
            raise BadRequest("Invalid input received: the key must be a non-empty string.")
        with self.st.db.session() as s:
            row = self._row(s, ctx, ident, self.delete_rule, True)
            current = getattr(row, self.column)
            if key not in current:
                raise NotFound(self.missing.format(id=ident, key=key))
            self._store(row, {k: v for k, v in current.items() if k != key})
