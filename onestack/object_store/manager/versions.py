"""Versioned containers (``X-Versions-Location`` / ``X-History-Location``): an
overwritten or deleted object's row moves to the versions container (no byte
copy), and a DELETE in ``X-Versions-Location`` mode brings the newest one back."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.object_store.errors import PreconditionFailed
from onestack.object_store.manager.common import (
    ListParams,
    NewObject,
    ObjectInfo,
    Subdir,
    container_info,
    count,
    locked_container,
    now_ts,
    object_info,
)
from onestack.object_store.manager.listing import listing
from onestack.object_store.manager.quotas import check_quota
from onestack.object_store.models import SwiftContainer, SwiftObject


def commit_versioned(s: Session, project_id: str, container: str, name: str, key: str, size: int,
                     etag: str, new: NewObject, old_blobs: list[str]) -> ObjectInfo:
    """``commit_object`` in a versioned container: an overwritten object moves aside
    (``archive``) instead of being replaced."""
    c = locked_container(s, project_id, container)
    info = container_info(c)
    existing = s.scalar(sa.select(SwiftObject).where(
        SwiftObject.container_id == c.id, SwiftObject.name == name))
    if existing is not None and existing.delete_at is not None and existing.delete_at <= time.time():
        count(s, c, -1, -existing.size)
        old_blobs.append(existing.blob)
        s.delete(existing)
        s.flush()
        existing = None
    if new.if_none_match_any and existing is not None:
        raise PreconditionFailed()
    check_quota(s, project_id, info, size - (existing.size if existing else 0),
                0 if existing else 1)
    ts = now_ts()
    if existing is not None and existing.timestamp >= ts:
        ts = round(existing.timestamp + 0.00001, 5)
    fields = dict(blob=key, size=size, etag=etag, content_type=new.content_type,
                  timestamp=ts, delete_at=new.delete_at, meta=new.meta,
                  sysmeta=new.sysmeta)
    if existing is not None and not archive(s, c, existing):
        old_blobs.append(existing.blob)
        count(s, c, 0, size - existing.size)
        for k, v in fields.items():
            setattr(existing, k, v)
        o = existing
    else:
        o = SwiftObject(project_id=project_id, container_id=c.id, name=name, **fields)
        s.add(o)
        count(s, c, 1, size)
    s.flush()
    return object_info(o, container)


def archive(s: Session, c: SwiftContainer, o: SwiftObject) -> bool:
    """X-Versions-Location / X-History-Location: move the old row aside (no byte copy)."""
    loc = (c.sysmeta or {}).get("versions_location") or (c.sysmeta or {}).get("history_location")
    if not loc:
        return False
    target = s.scalar(sa.select(SwiftContainer).where(
        SwiftContainer.project_id == c.project_id, SwiftContainer.name == loc))
    if target is None:
        raise PreconditionFailed("versions container does not exist")
    vname = f"{len(o.name.encode()):03x}{o.name}/{o.timestamp:016.5f}"
    count(s, c, -1, -o.size)
    count(s, target, 1, o.size)
    o.container_id = target.id
    o.name = vname
    s.flush()
    return True


def restore(s: Session, c: SwiftContainer, name: str) -> ObjectInfo | None:
    """X-Versions-Location: the newest archived version of ``name`` becomes the object."""
    vc = s.scalar(sa.select(SwiftContainer).where(
        SwiftContainer.project_id == c.project_id,
        SwiftContainer.name == c.sysmeta["versions_location"]))
    if vc is None:
        return None
    prefix = f"{len(name.encode()):03x}{name}/"
    rows = listing(s, SwiftObject, [SwiftObject.container_id == vc.id],
                   ListParams(prefix=prefix, limit=1, reverse=True))
    if not rows or isinstance(rows[0], Subdir):
        return None
    v: SwiftObject = rows[0]
    count(s, vc, -1, -v.size)
    count(s, c, 1, v.size)
    v.container_id = c.id
    v.name = name
    s.flush()
    return object_info(v, c.name)
