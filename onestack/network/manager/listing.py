"""Neutron's list machinery, pushed down to SQL: attribute filters (repeated keys
mean "any of"), tag filters (``tags``, ``tags-any``, ``not-tags``, ``not-tags-any``),
``sort_key``/``sort_dir`` pairs, ``limit``/``marker``/``page_reverse`` with
``<collection>_links``.  ``fields=`` is applied to the rendered dicts (``select_fields``);
``collection`` makes the response body of both.

Usage (any resource, the L3 helper's too)::

    spec = ListSpec(Router, "routers", filters={"name": (Router.name, "str"), ...},
                    sorts={"name": Router.name, ...}, tag_type="routers")
    rows, links = page(session, spec, call.query, base=select(Router).where(visible),
                       url=call.url_for_self())
    return collection(spec, call.query, render(rows), links)

``page`` raises 400 (Neutron's wording) for an unknown filter or sort key and for a
bad ``limit``/``sort_dir``; a ``marker`` that is not a visible row is a 404 as upstream.
Pages are keyset pages over the sort keys plus the id (the tie-breaker, as upstream); NULL
sorts as the smallest value on SQLite, MySQL and PostgreSQL alike, and the "after the
marker" condition follows that order, so no row is skipped or repeated.
Keys the caller filters itself are passed in ``handled`` (they are not validated here).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.network.manager.common import bad_request
from onestack.network.models import Tag

PAGING_KEYS = frozenset({
    "fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse",
    "tags", "tags-any", "not-tags", "not-tags-any",
})
MAX_LIMIT = 10000


@dataclass
class ListSpec:
    model: Any
    collection: str
    # filter name -> (column, kind); kind: "str" | "bool" | "int"
    filters: dict[str, tuple[Any, str]] = field(default_factory=dict)
    sorts: dict[str, Any] = field(default_factory=dict)
    # the resource_type tags are stored under (None: no tag filters)
    tag_type: str | None = None
    # attribute names that exist but cannot be filtered on in SQL (accepted, ignored)
    ignored: frozenset[str] = frozenset()


def parse_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    raise bad_request(f"Invalid input for {name}. Reason: '{value}' cannot be converted to boolean.",
                      "InvalidInput")


def _convert(name: str, value: str, kind: str) -> Any:
    if kind == "bool":
        return parse_bool(name, value)
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Invalid input for {name}. Reason: '{value}' is not an integer.",
                              "InvalidInput") from None
    return value


def filter_clauses(spec: ListSpec, query: Mapping[str, Any], handled: Iterable[str] = ()) -> list[Any]:
    """SQL conditions for the attribute and tag filters in ``query``."""
    clauses: list[Any] = []
    skip = set(handled) | PAGING_KEYS
    keys = list(dict.fromkeys(query.keys()))
    for key in keys:
        if key in skip:
            continue
        if key in spec.ignored:
            continue
        if key not in spec.filters:
            raise bad_request(f"{key} is invalid attribute for filtering", "HTTPBadRequest")
        col, kind = spec.filters[key]
        values = _getlist(query, key)
        converted = [_convert(key, v, kind) for v in values]
        if kind == "str" and "" in converted and len(converted) == 1:
            clauses.append(sa.or_(col == "", col.is_(None)))
        elif len(converted) == 1:
            clauses.append(col == converted[0])
        else:
            clauses.append(col.in_(converted))
    if spec.tag_type is not None:
        clauses.extend(_tag_clauses(spec, query))
    return clauses


def _getlist(query: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(query, "getlist", None)
    if getlist is not None:
        return list(getlist(key))
    v = query[key]
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _tags(query: Mapping[str, Any], key: str) -> list[str]:
    out: list[str] = []
    for v in _getlist(query, key):
        out.extend(t for t in v.split(",") if t)
    return out


def _tag_clauses(spec: ListSpec, query: Mapping[str, Any]) -> list[Any]:
    idcol = spec.model.id
    clauses: list[Any] = []

    def has(tag: str) -> Any:
        return sa.exists().where(Tag.resource_id == idcol, Tag.tag == tag)

    if "tags" in query:
        clauses.extend(has(t) for t in _tags(query, "tags"))
    if "tags-any" in query:
        any_tags = _tags(query, "tags-any")
        if any_tags:
            clauses.append(sa.exists().where(Tag.resource_id == idcol, Tag.tag.in_(any_tags)))
    if "not-tags" in query:
        tags = _tags(query, "not-tags")
        if tags:
            clauses.append(sa.not_(sa.and_(*[has(t) for t in tags])))
    if "not-tags-any" in query:
        tags = _tags(query, "not-tags-any")
        if tags:
            clauses.append(sa.not_(sa.exists().where(Tag.resource_id == idcol, Tag.tag.in_(tags))))
    return clauses


def _sorting(spec: ListSpec, query: Mapping[str, Any]) -> list[tuple[Any, bool]]:
    keys = _getlist(query, "sort_key") if "sort_key" in query else []
    dirs = _getlist(query, "sort_dir") if "sort_dir" in query else []
    if dirs and len(dirs) != len(keys):
        raise bad_request("The number of sort_keys and sort_dirs must be same")
    out: list[tuple[Any, bool]] = []
    for i, key in enumerate(keys):
        if key not in spec.sorts:
            raise bad_request(f"{key} is invalid attribute for sort_keys")
        d = dirs[i].lower() if dirs else "asc"
        if d not in ("asc", "desc"):
            raise bad_request(f"{dirs[i]} is invalid value for sort_dirs, valid value is "
                              f"'asc' and 'desc'")
        out.append((spec.sorts[key], d == "asc"))
    if not any(c is spec.model.id for c, _ in out):
        out.append((spec.model.id, True))
    return out


def _limit(query: Mapping[str, Any]) -> int | None:
    if "limit" not in query:
        return None
    raw = _getlist(query, "limit")[-1]
    try:
        n = int(raw)
    except ValueError:
        raise bad_request(f"Limit must be an integer 0 or greater and not '{raw}'") from None
    if n < 0:
        raise bad_request(f"Limit must be an integer 0 or greater and not '{raw}'")
    return None if n == 0 else min(n, MAX_LIMIT)


def page(
    s: Session,
    spec: ListSpec,
    query: Mapping[str, Any],
    *,
    base: Any,
    url: str,
    handled: Iterable[str] = (),
) -> tuple[list[Any], list[dict[str, str]]]:
    """The rows of one page (already filtered by ``base``: the caller's visibility)
    and the ``*_links`` to put beside them."""
    stmt = base.where(*filter_clauses(spec, query, handled))
    order = _sorting(spec, query)
    reverse = "page_reverse" in query and parse_bool("page_reverse", _getlist(query, "page_reverse")[-1])
    if reverse:
        order = [(c, not asc) for c, asc in order]
    limit = _limit(query)
    marker_id = _getlist(query, "marker")[-1] if "marker" in query else None
    if marker_id:
        marker = s.execute(base.where(spec.model.id == marker_id)).scalars().first()
        if marker is None:
            raise _marker_not_found(spec, marker_id)
        stmt = stmt.where(_after(order, marker))
    stmt = stmt.order_by(*_order_by(order))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = list(s.execute(stmt).scalars().unique())
    if reverse:
        rows.reverse()
    return rows, _links(spec, query, url, rows, limit, marker_id, reverse)


def _marker_not_found(spec: ListSpec, marker_id: str) -> Exception:
    from onestack.core.errors import NotFound

    return NotFound(f"Marker {marker_id} could not be found.", type="HTTPNotFound")


def _nullable(col: Any) -> bool:
    return bool(getattr(col.expression, "nullable", False))


def _order_by(order: list[tuple[Any, bool]]) -> list[Any]:
    """ORDER BY terms with NULL the smallest value on every database (first ascending, last
    descending, as SQLite and MySQL have it; PostgreSQL would put NULLs last ascending)."""
    terms: list[Any] = []
    for col, asc in order:
        if _nullable(col):
            rank = sa.case((col.is_(None), 0), else_=1)
            terms.append(rank.asc() if asc else rank.desc())
        terms.append(col.asc() if asc else col.desc())
    return terms


def _beyond(col: Any, asc: bool, value: Any) -> Any | None:
    """``col`` strictly after ``value`` in this direction, NULL being the smallest value
    (as in ``_order_by``); None when nothing is."""
    if value is None:
        return col.is_not(None) if asc else None
    v = sa.literal(value, col.type)  # (a bare True/False only compares with = in SQLAlchemy)
    if asc:
        return col > v
    return sa.or_(col < v, col.is_(None)) if _nullable(col) else col < v


def _after(order: list[tuple[Any, bool]], marker: Any) -> Any:
    """Rows strictly after ``marker`` in this order (keyset pagination; the id, which is
    always in the order, breaks ties)."""
    ors: list[Any] = []
    eqs: list[Any] = []
    for col, asc in order:
        value = getattr(marker, col.key)
        beyond = _beyond(col, asc, value)
        if beyond is not None:
            ors.append(sa.and_(*eqs, beyond))
        eqs.append(col.is_(None) if value is None else col == sa.literal(value, col.type))
    return sa.or_(sa.false(), *ors)


def _links(spec: ListSpec, query: Mapping[str, Any], url: str, rows: list[Any], limit: int | None,
           marker_id: str | None, reverse: bool) -> list[dict[str, str]]:
    if limit is None:
        return []
    params = [(k, v) for k in dict.fromkeys(query.keys()) for v in _getlist(query, k)
              if k not in ("marker", "page_reverse")]

    def href(marker: str, rev: bool) -> str:
        p = params + [("marker", marker)] + ([("page_reverse", "True")] if rev else [])
        return url + "?" + urllib.parse.urlencode(p)

    links: list[dict[str, str]] = []
    if not rows:
        return links
    full = len(rows) >= limit
    if reverse:
        if full:
            links.append({"rel": "previous", "href": href(rows[0].id, True)})
        links.append({"rel": "next", "href": href(rows[-1].id, False)})
    else:
        if full:
            links.append({"rel": "next", "href": href(rows[-1].id, False)})
        if marker_id:
            links.append({"rel": "previous", "href": href(rows[0].id, True)})
    return links


def collection(spec: ListSpec, query: Mapping[str, Any], items: Iterable[dict[str, Any]],
               links: list[dict[str, str]]) -> dict[str, Any]:
    """The list response: the rendered rows of one ``page`` (``fields=`` applied) under the
    collection's name, and ``<collection>_links`` when there are any."""
    fields = requested_fields(query)
    out: dict[str, Any] = {spec.collection: [select_fields(v, fields) for v in items]}
    if links:
        out[f"{spec.collection}_links"] = links
    return out


def select_fields(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``fields=a&fields=b``: only those keys (unknown names are ignored, as upstream)."""
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}


def requested_fields(query: Mapping[str, Any]) -> list[str]:
    if "fields" not in query:
        return []
    out: list[str] = []
    for v in _getlist(query, "fields"):
        out.extend(f for f in v.split(",") if f)
    return out
