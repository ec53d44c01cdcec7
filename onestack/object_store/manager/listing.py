"""Swift's listing parameters (prefix, delimiter, markers, limit, reverse) pushed
down to SQL, for accounts (containers) and containers (objects) alike."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.object_store.manager.common import ListParams, Subdir


def upper(prefix: str) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    b = bytearray(prefix.encode("utf-8"))
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return None
    b[-1] += 1
    return bytes(b)


def listing(s: Session, model: Any, where: list[Any], p: ListParams,
            columns: tuple[Any, ...] = ()) -> list[Any]:
    """prefix/delimiter/marker/end_marker/limit/reverse, pushed down to SQL.

    With a delimiter, each run of names sharing a sub-prefix becomes one Subdir
    and the query resumes past it, so the work is bounded by ``limit``.
    ``columns``: select these (rows with attributes) instead of whole ``model``s.
    """
    col = model.name
    conds = list(where)
    if p.prefix:
        conds.append(col >= p.prefix)
        up = upper(p.prefix)
        if up is not None:
            conds.append(col < up)
    if p.reverse:
        if p.end_marker:
            conds.append(col > p.end_marker)
    elif p.end_marker:
        conds.append(col < p.end_marker)
    out: list[Any] = []
    # the moving bound: (value, inclusive)
    bound: tuple[Any, bool] | None = (p.marker, False) if p.marker else None
    while len(out) < p.limit:
        q = (sa.select(*columns) if columns else sa.select(model)).where(*conds)
        if bound is not None:
            v, incl = bound
            if p.reverse:
                q = q.where(col <= v if incl else col < v)
            else:
                q = q.where(col >= v if incl else col > v)
        want = p.limit - len(out)
        q = q.order_by(col.desc() if p.reverse else col.asc()).limit(want)
        # columns: a Core execute on the session's connection (no ORM row loading)
        rows = list(s.connection().execute(q).all() if columns else s.scalars(q))
        if not rows:
            break
        restart = False
        for r in rows:
            if p.delimiter:
                rest = r.name[len(p.prefix):]
                i = rest.find(p.delimiter)
                if i >= 0:
                    sub = p.prefix + rest[: i + len(p.delimiter)]
                    out.append(Subdir(sub))
                    if p.reverse:
                        bound = (sub, False)
                    else:
                        up = upper(sub)
                        if up is None:
                            return out
                        bound = (up, True)
                    restart = True
                    break
            out.append(r)
            bound = (r.name, False)
            if len(out) >= p.limit:
                break
        if not restart and len(rows) < want:
            break
    return out
