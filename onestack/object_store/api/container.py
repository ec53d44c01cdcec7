"""/v1/{account}/{container}: create, stats, metadata, ACLs, the object listing."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.object_store import views
from onestack.object_store.api import bulk, listing
from onestack.object_store.api.common import SwiftCall, meta_headers, meta_updates
from onestack.object_store.api.routes_support import empty
from onestack.object_store.manager import ContainerInfo

# header -> sysmeta key
SYS_HEADERS = {
    "x-container-read": "read_acl",
    "x-container-write": "write_acl",
    "x-versions-location": "versions_location",
    "x-history-location": "history_location",
}


def _sys_updates(call: SwiftCall) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for h, key in SYS_HEADERS.items():
        if h in call.headers:
            out[key] = call.headers[h].strip() or None
        rm = "x-remove-" + h[2:]
        if rm in call.headers:
            out[key] = None
    for key in ("versions_location", "history_location"):
        v = out.get(key)
        if v and ("/" in v or len(v.encode()) > 256):
            raise BadRequest("Container name cannot contain slashes")
    return out


def _check_quota_meta(updates: dict[str, Any]) -> None:
    for k in ("quota-bytes", "quota-count"):
        v = updates.get(k)
        if v and not v.isdigit():
            raise BadRequest(f"Invalid {k.title()}")


def _headers(call: SwiftCall, c: ContainerInfo) -> dict[str, str]:
    h = {
        "X-Container-Object-Count": str(c.object_count),
        "X-Container-Bytes-Used": str(c.bytes_used),
        "X-Timestamp": views.x_timestamp(c.created_at),
        "X-Put-Timestamp": views.x_timestamp(c.created_at),
        "X-Storage-Policy": "Policy-0",
        "Last-Modified": views.http_date(c.created_at),
    }
    meta = dict(c.meta)
    if call.owner:
        for hdr, key in SYS_HEADERS.items():
            if c.sysmeta.get(key):
                h["-".join(p.capitalize() for p in hdr.split("-")).replace("X-Container-", "X-Container-")] = c.sysmeta[key]
    else:
        meta = {k: v for k, v in meta.items() if not k.startswith("temp-url-key")}
    h.update(meta_headers(meta, "container"))
    return h


async def head(call: SwiftCall) -> Response:
    c = await call.run(call.mgr.get_container, call.project_id, call.container)
    fmt = views.listing_format(call.query, call.headers.get("accept"))
    return empty(204, _headers(call, c), views.LISTING_TYPES[fmt])


async def get(call: SwiftCall) -> Response:
    p = listing.params(call, call.mgr.conf.object_store.container_listing_limit)
    rows = await call.run(call.mgr.list_objects, call.project_id, call.container, p)
    c = await call.run(call.mgr.get_container, call.project_id, call.container)
    fmt = views.listing_format(call.query, call.headers.get("accept"))
    resp = views.render_listing(fmt, "container", call.container, [views.object_entry(r) for r in rows])
    resp.headers.update(_headers(call, c))
    return resp


async def put(call: SwiftCall) -> Response:
    if "extract-archive" in call.query:
        return await bulk.extract_archive(call)
    meta = meta_updates(call.headers, "container")
    _check_quota_meta(meta)
    created = await call.run(call.mgr.put_container, call.project_id, call.container, meta,
                             _sys_updates(call))
    return empty(201 if created else 202)


async def post(call: SwiftCall) -> Response:
    meta = meta_updates(call.headers, "container")
    _check_quota_meta(meta)
    await call.run(call.mgr.post_container, call.project_id, call.container, meta,
                   _sys_updates(call))
    return empty(204)


async def delete(call: SwiftCall) -> Response:
    await call.run(call.mgr.delete_container, call.project_id, call.container)
    return empty(204)
