"""/v1/{account}: stats, metadata, the container listing."""

from __future__ import annotations

from starlette.responses import Response

from onestack.core.errors import BadRequest, Forbidden, MethodNotAllowed
from onestack.object_store import views
from onestack.object_store.api import bulk, listing
from onestack.object_store.api.common import SwiftCall, meta_headers, meta_updates
from onestack.object_store.api.routes_support import empty
from onestack.object_store.manager import QUOTA_KEY, QUOTA_KINDS, AccountInfo


def _headers(call: SwiftCall, a: AccountInfo) -> dict[str, str]:
    h = {
        "X-Account-Container-Count": str(a.container_count),
        "X-Account-Object-Count": str(a.object_count),
        "X-Account-Bytes-Used": str(a.bytes_used),
        "X-Timestamp": views.x_timestamp(a.created_at),
        "X-Put-Timestamp": views.x_timestamp(a.created_at),
        "X-Account-Storage-Policy-Policy-0-Container-Count": str(a.container_count),
        "X-Account-Storage-Policy-Policy-0-Object-Count": str(a.object_count),
        "X-Account-Storage-Policy-Policy-0-Bytes-Used": str(a.bytes_used),
    }
    meta = {k: v for k, v in a.meta.items() if not k.startswith(QUOTA_KEY)}
    if not call.owner:
        meta = {k: v for k, v in meta.items() if not k.startswith("temp-url-key")}
    h.update(meta_headers(meta, "account"))
    for k, v in a.meta.items():
        if k.startswith(QUOTA_KEY):  # X-Account-Quota-Bytes / -Count (Swift >= 2.34)
            h["X-Account-Quota-" + k[len(QUOTA_KEY):].capitalize()] = v
    return h


async def head(call: SwiftCall) -> Response:
    a = await call.run(call.mgr.account_info, call.project_id)
    fmt = views.listing_format(call.query, call.headers.get("accept"))
    return empty(204, _headers(call, a), views.LISTING_TYPES[fmt])


async def get(call: SwiftCall) -> Response:
    p = listing.params(call, call.mgr.conf.object_store.account_listing_limit)
    a = await call.run(call.mgr.account_info, call.project_id)
    rows = await call.run(call.mgr.list_containers, call.project_id, p)
    fmt = views.listing_format(call.query, call.headers.get("accept"))
    resp = views.render_listing(fmt, "account", call.account, [views.container_entry(r) for r in rows])
    resp.headers.update(_headers(call, a))
    return resp


def _quota_updates(call: SwiftCall) -> dict[str, str | None]:
    """``X-Account-Quota-Bytes``/``-Count`` (``X-Remove-...`` or an empty value
    removes): kept in the account's metadata under keys no header can name."""
    out: dict[str, str | None] = {}
    for what in QUOTA_KINDS:
        v = call.headers.get(f"x-account-quota-{what}")
        if v is not None:
            v = v.strip()
            if v and not v.isdigit():
                raise BadRequest(f"Invalid X-Account-Quota-{what.capitalize()}")
            out[QUOTA_KEY + what] = v or None
        if f"x-remove-account-quota-{what}" in call.headers:
            out[QUOTA_KEY + what] = None
    return out


async def post(call: SwiftCall) -> Response:
    if "bulk-delete" in call.query:
        return await bulk.bulk_delete(call)
    updates = meta_updates(call.headers, "account")
    quota = _quota_updates(call)
    for k in ("x-account-meta-quota-bytes", "x-remove-account-meta-quota-bytes"):
        if k in call.headers and not call.reseller:
            raise Forbidden()
    if quota and not call.reseller:
        raise Forbidden()
    updates.update(quota)
    await call.run(call.mgr.update_account, call.project_id, updates)
    return empty(204)


async def put(call: SwiftCall) -> Response:
    if "extract-archive" in call.query:
        return await bulk.extract_archive(call)
    raise MethodNotAllowed()


async def delete(call: SwiftCall) -> Response:
    if "bulk-delete" in call.query:
        return await bulk.bulk_delete(call)
    raise MethodNotAllowed()
