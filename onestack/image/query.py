"""Image list queries: visibility, filters, sort and keyset pagination, all in SQL.

``ListQuery`` is what the API parses out of the query string (see
``api/images.py``); ``select_images`` turns it into one ``SELECT`` whose rows are
exactly one page, in Glance's semantics (``glance/db/sqlalchemy/api.py``):

* without ``visibility``, community images are listed only to their owner;
  with ``visibility=all`` they are listed too;
* a regular caller sees public and community images, its own, and shared images
  its project is a member of with ``member_status`` (default ``accepted``);
  an admin sees every image;
* hidden images (``os_hidden``) are left out unless asked for;
* ``created_at`` then ``id`` always end the sort, so pages are stable; NULLs
  sort as the smallest value on every backend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from onestack.core.context import RequestContext
from onestack.image.models import Image, ImageMember, ImageProperty, ImageTag

SORT_COLUMNS: dict[str, Any] = {
    "name": Image.name,
    "status": Image.status,
    "container_format": Image.container_format,
    "disk_format": Image.disk_format,
    "size": Image.size,
    "virtual_size": Image.virtual_size,
    "id": Image.id,
    "created_at": Image.created_at,
    "updated_at": Image.updated_at,
}
NULLABLE = {"name", "container_format", "disk_format", "size", "virtual_size"}
# filters whose value may be ``in:a,b,c``
IN_COLUMNS: dict[str, Any] = {
    "id": Image.id,
    "name": Image.name,
    "status": Image.status,
    "container_format": Image.container_format,
    "disk_format": Image.disk_format,
}
EQ_COLUMNS: dict[str, Any] = {
    "owner": Image.project_id,
    "checksum": Image.checksum,
    "os_hash_value": Image.os_hash_value,
    # integer columns (Glance filters every image column by equality)
    "size": Image.size,
    "virtual_size": Image.virtual_size,
    "min_disk": Image.min_disk,
    "min_ram": Image.min_ram,
}
INT_EQ = {"size", "virtual_size", "min_disk", "min_ram"}
TIME_COLUMNS: dict[str, Any] = {"created_at": Image.created_at, "updated_at": Image.updated_at}
TIME_OPS = {"eq", "neq", "gt", "gte", "lt", "lte"}


@dataclass
class ListQuery:
    limit: int = 25
    marker: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])
    visibility: str | None = None
    member_status: str = "accepted"
    os_hidden: bool = False
    protected: bool | None = None
    size_min: int | None = None
    size_max: int | None = None
    tags: list[str] = field(default_factory=list)
    # column name -> allowed values (``in:`` or a single value)
    in_filters: dict[str, list[str]] = field(default_factory=dict)
    eq_filters: dict[str, str | int] = field(default_factory=dict)
    # column name -> [(op, value)]
    time_filters: dict[str, list[tuple[str, dt.datetime]]] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)


def access_clause(ctx: RequestContext, visibility: str | None, member_status: str) -> list[ColumnElement[bool]]:
    """Which images the caller may list."""
    conds: list[ColumnElement[bool]] = []
    owner = ctx.project_id
    if visibility is not None and visibility != "all":
        conds.append(Image.visibility == visibility)
    elif visibility is None:
        if owner:
            conds.append(sa.or_(Image.visibility != "community", Image.project_id == owner))
        else:
            conds.append(Image.visibility != "community")
    if ctx.is_admin:
        return conds
    allowed: list[ColumnElement[bool]] = [Image.visibility.in_(("public", "community"))]
    if owner:
        member = sa.select(ImageMember.image_id).where(
            ImageMember.image_id == Image.id, ImageMember.member == owner
        )
        if member_status != "all":
            member = member.where(ImageMember.status == member_status)
        allowed.append(Image.project_id == owner)
        allowed.append(sa.and_(Image.visibility == "shared", member.exists()))
    conds.append(sa.or_(*allowed))
    return conds


def filter_clause(q: ListQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if not q.os_hidden:
        conds.append(Image.os_hidden.is_(False))
    else:
        conds.append(Image.os_hidden.is_(True))
    if q.protected is not None:
        conds.append(Image.protected.is_(q.protected))
    if q.size_min is not None:
        conds.append(Image.size >= q.size_min)
    if q.size_max is not None:
        conds.append(Image.size <= q.size_max)
    for name, values in q.in_filters.items():
        col = IN_COLUMNS[name]
        conds.append(col.in_(values) if len(values) != 1 else col == values[0])
    for name, value in q.eq_filters.items():
        conds.append(EQ_COLUMNS[name] == value)
    for name, ops in q.time_filters.items():
        col = TIME_COLUMNS[name]
        for op, when in ops:
            conds.append(_compare(col, op, when))
    for tag in q.tags:
        conds.append(
            sa.select(ImageTag.image_id).where(ImageTag.image_id == Image.id, ImageTag.value == tag).exists()
        )
    for key, value in q.properties.items():
        conds.append(
            sa.select(ImageProperty.image_id)
            .where(ImageProperty.image_id == Image.id, ImageProperty.name == key, ImageProperty.value == value)
            .exists()
        )
    return conds


def _compare(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    return {
        "eq": lambda: col == value,
        "neq": lambda: col != value,
        "gt": lambda: col > value,
        "gte": lambda: col >= value,
        "lt": lambda: col < value,
        "lte": lambda: col <= value,
    }[op]()


def full_sort(sort: list[tuple[str, str]]) -> list[tuple[str, str]]:
    keys = [k for k, _ in sort]
    out = list(sort)
    default_dir = sort[0][1] if sort else "desc"
    if "created_at" not in keys:
        out.append(("created_at", default_dir))
    if "id" not in keys:
        out.append(("id", default_dir))
    return out


def order_by(sort: list[tuple[str, str]]) -> list[Any]:
    out: list[Any] = []
    for key, direction in sort:
        col = SORT_COLUMNS[key]
        if key in NULLABLE:
            isnull = sa.case((col.is_(None), 0), else_=1)
            out.append(isnull.asc() if direction == "asc" else isnull.desc())
        out.append(col.asc() if direction == "asc" else col.desc())
    return out


def after_marker(sort: list[tuple[str, str]], marker: Image) -> ColumnElement[bool]:
    """Rows strictly after ``marker`` in ``sort`` order (NULL is the smallest value)."""
    alternatives: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, direction in sort:
        col = SORT_COLUMNS[key]
        v = getattr(marker, key)
        if direction == "asc":
            later = col.is_not(None) if v is None else col > v
        else:
            later = sa.false() if v is None else (sa.or_(col < v, col.is_(None)) if key in NULLABLE else col < v)
        alternatives.append(sa.and_(*equal, later))
        equal.append(col.is_(None) if v is None else col == v)
    return sa.or_(*alternatives)


def select_images(ctx: RequestContext, q: ListQuery, marker: Image | None) -> sa.Select[Image]:
    sort = full_sort(q.sort)
    conds = access_clause(ctx, q.visibility, q.member_status) + filter_clause(q)
    if marker is not None:
        conds.append(after_marker(sort, marker))
    return sa.select(Image).where(*conds).order_by(*order_by(sort)).limit(q.limit)
