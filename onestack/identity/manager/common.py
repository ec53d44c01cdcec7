"""Helpers shared by the identity managers: ids, filters, list limits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, Conflict, NotFound


def new_id() -> str:
    return uuid.uuid4().hex


def get_or_404(s: Session, model: Any, obj_id: str, kind: str) -> Any:
    obj = s.get(model, obj_id) if isinstance(obj_id, str) and len(obj_id) <= 255 else None
    if obj is None:
        raise NotFound(f"Could not find {kind}: {obj_id}.")
    return obj


def parse_bool(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("", "1", "true", "yes", "on", "t", "y"):
        return True if v else True
    if v in ("0", "false", "no", "off", "f", "n"):
        return False
    raise BadRequest(f"Invalid value for {name}: {value!r} is not a boolean.")


def name_filter(column: Any, query: Mapping[str, str], key: str = "name") -> list[Any]:
    """Upstream's name filters: exact, and the ``__contains``/``__startswith``... forms."""
    out = []
    if key in query:
        out.append(column == query[key])
    for op, fn in (
        ("contains", lambda v: column.contains(v, autoescape=True)),
        ("icontains", lambda v: sa.func.lower(column).contains(v.lower(), autoescape=True)),
        ("startswith", lambda v: column.startswith(v, autoescape=True)),
        ("istartswith", lambda v: sa.func.lower(column).startswith(v.lower(), autoescape=True)),
        ("endswith", lambda v: column.endswith(v, autoescape=True)),
        ("iendswith", lambda v: sa.func.lower(column).endswith(v.lower(), autoescape=True)),
        ("equals", lambda v: column == v),
        ("iequals", lambda v: sa.func.lower(column) == v.lower()),
    ):
        k = f"{key}__{op}"
        if k in query:
            out.append(fn(query[k]))
    return out


def limited(stmt: Any, list_limit: int | None) -> tuple[Any, int | None]:
    """Apply the configured list limit, fetching one extra row to learn truncation."""
    if list_limit:
        return stmt.limit(list_limit + 1), list_limit
    return stmt, None


def truncate(rows: list[Any], limit: int | None) -> tuple[list[Any], bool]:
    if limit is not None and len(rows) > limit:
        return rows[:limit], True
    return rows, False


def flush_or_conflict(s: Session, message: str) -> None:
    try:
        s.flush()
    except IntegrityError:
        raise Conflict(f"Conflict occurred attempting to store {message}") from None
