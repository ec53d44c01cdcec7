"""List queries shared by volumes, snapshots, backups, attachments and
transfers: filters, sort (``sort=key:dir,...`` or ``sort_key``/``sort_dir``),
``limit``/``marker``/``offset`` -- all in SQL."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, NotFound

MAX_LIMIT = 1000


@dataclass
class ListQuery:
    limit: int | None = None
    marker: str | None = None
    offset: int = 0
    sort: list[tuple[str, str]] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    all_tenants: bool = False
    with_count: bool = False


def parse_query(params: list[tuple[str, str]], sort_keys: tuple[str, ...]) -> ListQuery:
    q = ListQuery()
    sort_key = sort_dir = None
    for k, v in params:
        if k == "limit":
            q.limit = _int(v, "limit")
        elif k == "marker":
            q.marker = v
        elif k == "offset":
            q.offset = _int(v, "offset")
        elif k == "sort":
            for part in v.split(","):
                key, _, d = part.strip().partition(":")
                q.sort.append((key.strip(), (d or "desc").strip().lower()))
        elif k == "sort_key":
            sort_key = v
        elif k == "sort_dir":
            sort_dir = v.lower()
        elif k == "all_tenants":
            q.all_tenants = v.lower() not in ("0", "false", "no", "off", "")
        elif k == "with_count":
            q.with_count = v.lower() in ("1", "true", "yes", "on")
        else:
            q.filters[k] = v
    if sort_key or sort_dir:
        if q.sort:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used "
                             "with the 'sort' parameter.")
        q.sort = [(k.strip(), (sort_dir or "desc")) for k in (sort_key or "created_at").split(",")]
    for key, d in q.sort:
        if key not in sort_keys:
            raise BadRequest(f"Invalid input received: Invalid sort key {key}")
        if d not in ("asc", "desc"):
            raise BadRequest(f"Invalid input received: Unknown sort direction, must be 'desc' or 'asc': {d}")
    if not q.sort:
        q.sort = [("created_at", "desc")]
    # Cinder's old column names
    q.sort = [({"display_name": "name", "display_description": "description"}.get(k, k), d) for k, d in q.sort]
    if q.limit is not None:
        q.limit = min(q.limit, MAX_LIMIT)
    return q


def _int(v: str, name: str) -> int:
    try:
        n = int(v)
    except ValueError:
        raise BadRequest(f"Invalid input received: {name} param must be an integer") from None
    if n < 0:
        raise BadRequest(f"Invalid input received: {name} param must be positive")
    if n > 2**31:
        raise BadRequest(f"Invalid input received: {name} param is too large")
    return n


def parse_dict(value: str, name: str) -> dict[str, Any]:
    """``metadata={'k': 'v'}`` as Cinder's clients send it (a Python or JSON literal)."""
    try:
        d = json.loads(value)
    except ValueError:
        try:
            d = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise BadRequest(f"Invalid input received: {name} must be a dictionary") from None
    if not isinstance(d, dict):
        raise BadRequest(f"Invalid input received: {name} must be a dictionary")
    return {str(k): v if isinstance(v, str) else json.dumps(v) if not isinstance(v, (int, float)) else str(v)
            for k, v in d.items()}


def page(s: Session, stmt: sa.Select[Any], model: Any, q: ListQuery, what: str) -> tuple[list[Any], int | None]:
    """Order, apply marker/offset/limit; returns rows and (with_count) the total."""
    count = None
    if q.with_count:
        count = int(s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
    keys = [k for k, _ in q.sort]
    if "id" not in keys:
        keys.append("id")
    dirs = [d for _, d in q.sort] + ([q.sort[0][1]] if len(keys) > len(q.sort) else [])
    cols = [(_expr(model, k), d) for k, d in zip(keys, dirs, strict=True)]
    if q.marker is not None:
        m = s.get(model, q.marker) if len(q.marker) <= 64 else None
        if m is None:
            raise NotFound(f"Marker {q.marker} could not be found.")
        vals = [_value(m, k) for k in keys]
        ors = []
        for i, (col, d) in enumerate(cols):
            eqs = [c == vals[j] for j, (c, _) in enumerate(cols[:i])]
            ors.append(sa.and_(*eqs, col > vals[i] if d == "asc" else col < vals[i]))
        stmt = stmt.where(sa.or_(*ors))
    stmt = stmt.order_by(*[c.asc() if d == "asc" else c.desc() for c, d in cols])
    if q.offset:
        stmt = stmt.offset(q.offset)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    return list(s.scalars(stmt)), count


def page_matching(s: Session, stmt: sa.Select[Any], model: Any, q: ListQuery, what: str,
                  wanted: dict[str, dict[str, Any] | None]) -> tuple[list[Any], int | None]:
    """``page`` of the rows whose metadata columns hold the wanted items
    (``{column: {key: value}}``, None for no filter).  Metadata is JSON text:
    the matching runs in Python over the rows the statement selects."""
    filters = {col: want for col, want in wanted.items() if want is not None}
    if not filters:
        return page(s, stmt, model, q, what)
    keep = [row.id for row in s.scalars(stmt)
            if all(getattr(row, col).get(k) == str(v) for col, want in filters.items() for k, v in want.items())]
    return page(s, sa.select(model).where(model.id.in_(keep or [""])), model, q, what)


def _expr(model: Any, key: str) -> Any:
    """NULLs sort differently per database: compare non-null stand-ins instead."""
    col = getattr(model, key)
    if key == "updated_at":
        return sa.func.coalesce(col, model.created_at)
    c = model.__table__.c[key]
    if c.nullable and isinstance(c.type, (sa.String, sa.Text)):
        return sa.func.coalesce(col, "")
    return col


def _value(row: Any, key: str) -> Any:
    v = getattr(row, key)
    if v is None:
        return row.created_at if key == "updated_at" else ""
    return v
