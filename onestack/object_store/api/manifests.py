"""Large objects: what bytes an object's GET serves (its *plan*), DLO and SLO.

A plan is a list of ``Seg(blob, offset, length)``; a plain object is one segment,
a DLO (``X-Object-Manifest: container/prefix``) is the objects under the prefix,
an SLO is the segments its manifest names (nested SLOs expanded).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from onestack.core.errors import BadRequest, Conflict
from onestack.object_store.manager import ObjectInfo, ObjectStoreManager

MAX_DEPTH = 10
MAX_MANIFEST_BYTES = 8 * 1024 * 1024


@dataclass
class Seg:
    blob: str
    offset: int
    length: int


@dataclass
class Plan:
    segs: list[Seg]
    size: int
    etag: str  # as sent on the wire (quoted for SLO/DLO, like Swift)


def _split_path(path: str) -> tuple[str, str]:
    c, _, o = unquote(path).lstrip("/").partition("/")
    if not c or not o:
        raise BadRequest(f"Invalid segment path {path}")
    return c, o


def _parse_range(r: str, size: int) -> tuple[int, int]:
    """One SLO segment range "a-b" / "a-" / "-n" -> (offset, length)."""
    a, sep, b = r.partition("-")
    try:
        if not sep:
            raise ValueError
        if a == "":
            n = int(b)
            return max(0, size - n), min(n, size)
        start = int(a)
        end = size - 1 if b == "" else min(int(b), size - 1)
        if start > end:
            raise ValueError
        return start, end - start + 1
    except ValueError:
        raise BadRequest(f"Invalid range {r}") from None


def plan_for(mgr: ObjectStoreManager, o: ObjectInfo, depth: int = 0) -> Plan:
    if o.is_slo:
        return Plan(slo_segments(mgr, o, depth), int(o.sysmeta.get("slo_size", 0)),
                    '"{}"'.format(o.sysmeta.get("slo_etag", "")))
    if o.dlo:
        segs = mgr.dlo_segments(o.project_id, unquote(o.dlo))
        md5 = hashlib.md5(usedforsecurity=False)
        plan: list[Seg] = []
        for s in segs:
            md5.update(s.etag.encode())
            plan.append(Seg(s.blob, 0, s.size))
        return Plan(plan, sum(s.length for s in plan), f'"{md5.hexdigest()}"')
    return Plan([Seg(o.blob, 0, o.size)], o.size, o.etag)


def load_manifest(mgr: ObjectStoreManager, o: ObjectInfo) -> list[dict[str, Any]]:
    return json.loads(mgr.read_all(o.blob, MAX_MANIFEST_BYTES))  # type: ignore[no-any-return]


def slo_segments(mgr: ObjectStoreManager, o: ObjectInfo, depth: int = 0) -> list[Seg]:
    if depth > MAX_DEPTH:
        raise Conflict("Max recursion depth exceeded")
    out: list[Seg] = []
    for item in load_manifest(mgr, o):
        c, name = _split_path(item["name"])
        seg = mgr.find_object(o.project_id, c, name)
        if seg is None or (seg.listing_etag != item["hash"]):
            raise Conflict(f"Object segment no longer valid: {item['name']}")
        sub = plan_for(mgr, seg, depth + 1).segs if seg.is_slo else [Seg(seg.blob, 0, seg.size)]
        if item.get("range"):
            start, length = _parse_range(item["range"], seg.listing_size)
            out.extend(slice_plan(sub, start, length))
        else:
            out.extend(sub)
    return out


def slice_plan(segs: list[Seg], start: int, length: int) -> list[Seg]:
    """The segments covering ``[start, start+length)`` of the concatenation."""
    out: list[Seg] = []
    pos = 0
    end = start + length
    for s in segs:
        s_end = pos + s.length
        if s_end > start and pos < end:
            a = max(start, pos)
            b = min(end, s_end)
            out.append(Seg(s.blob, s.offset + (a - pos), b - a))
        pos = s_end
        if pos >= end:
            break
    return out


def build_slo(mgr: ObjectStoreManager, project_id: str, body: bytes,
              max_segments: int) -> tuple[list[dict[str, Any]], int, str]:
    """Validate a ``multipart-manifest=put`` body; returns (stored manifest, size, slo etag)."""
    try:
        items = json.loads(body)
    except ValueError:
        raise BadRequest("Manifest must be valid JSON.\n") from None
    if not isinstance(items, list) or not items:
        raise BadRequest("Manifest must be a list.\n")
    if len(items) > max_segments:
        raise BadRequest(f"Too many segments; max {max_segments}.\n")
    errors: list[str] = []
    stored: list[dict[str, Any]] = []
    total = 0
    md5 = hashlib.md5(usedforsecurity=False)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise BadRequest("Index 0: expected a dict with a \"path\"\n")
        extra = set(item) - {"path", "etag", "size_bytes", "range"}
        if extra:
            raise BadRequest(f"Invalid manifest keys: {sorted(extra)}\n")
        path = item["path"]
        try:
            c, name = _split_path(path)
        except BadRequest:
            errors.append(f"{path}, Invalid path")
            continue
        seg = mgr.find_object(project_id, c, name)
        if seg is None:
            errors.append(f"/{c}/{name}, 404 Not Found")
            continue
        etag = (item.get("etag") or "").strip('"')
        if etag and etag != seg.listing_etag:
            errors.append(f"/{c}/{name}, Etag Mismatch")
            continue
        size = item.get("size_bytes")
        if size is not None and int(size) != seg.listing_size:
            errors.append(f"/{c}/{name}, Size Mismatch")
            continue
        if seg.listing_size < 1 and len(items) > 1:
            errors.append(f"/{c}/{name}, Too Small; each segment must be at least 1 byte.")
            continue
        entry: dict[str, Any] = {"name": f"/{c}/{name}", "bytes": seg.listing_size,
                                 "hash": seg.listing_etag, "content_type": seg.content_type,
                                 "last_modified": seg.timestamp}
        if seg.is_slo:
            entry["sub_slo"] = True
        if item.get("range"):
            start, length = _parse_range(str(item["range"]), seg.listing_size)
            entry["range"] = f"{start}-{start + length - 1}"
            md5.update(f"{seg.listing_etag}:{entry['range']};".encode())
            total += length
        else:
            md5.update(seg.listing_etag.encode())
            total += seg.listing_size
        stored.append(entry)
    if errors:
        raise BadRequest("Errors:\n" + "\n".join(errors) + "\n")
    return stored, total, md5.hexdigest()


def raw_manifest(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``multipart-manifest=get&format=raw``: the shape a client PUTs."""
    out = []
    for e in stored:
        d: dict[str, Any] = {"path": e["name"], "etag": e["hash"], "size_bytes": e["bytes"]}
        if e.get("range"):
            d["range"] = e["range"]
        out.append(d)
    return out
