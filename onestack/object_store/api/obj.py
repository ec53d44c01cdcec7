"""/v1/{account}/{container}/{object}: streamed upload and download, metadata,
ranges, conditional requests, server-side copy, large-object manifests."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import math
import mimetypes
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import Response, StreamingResponse

from onestack.core.errors import BadRequest, NotFound, PayloadTooLarge
from onestack.core.lanes import Lane, abort_all, close_all
from onestack.object_store import views
from onestack.object_store.api import bulk, manifests
from onestack.object_store.api.common import (
    SwiftCall,
    authorize,
    meta_headers,
    meta_updates,
    parse_int,
)
from onestack.object_store.api.manifests import Plan, Seg
from onestack.object_store.api.routes_support import empty, json_response
from onestack.object_store.drivers import BlobWriter
from onestack.object_store.errors import (
    LengthRequired,
    NotModified,
    PreconditionFailed,
    RangeNotSatisfiable,
    Unprocessable,
)
from onestack.object_store.manager import MAX_OBJECT_NAME, NewObject, ObjectInfo, check_meta

WRITE_BUFFER = 1024 * 1024
# PUTs with a Content-Length up to this are received whole before the thread hop
SMALL_PUT = 256 * 1024
SMALL_BODY = 1024 * 1024  # GETs up to this size are read whole, not streamed
SYS_PASSTHROUGH = {"content-encoding": "Content-Encoding", "content-disposition": "Content-Disposition"}


# ---- reading -----------------------------------------------------------------------
def _etags(header: str) -> list[str]:
    return [t.strip().strip('"') for t in header.split(",") if t.strip()]


def _http_ts(v: str) -> float | None:
    try:
        d = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError):
        return None
    return d.timestamp() if d is not None else None


def check_conditions(call: SwiftCall, etag: str, ts: float, headers: dict[str, str]) -> None:
    """If-Match, If-Unmodified-Since (412); If-None-Match, If-Modified-Since (304 on reads)."""
    h = call.headers
    bare = etag.strip('"')
    last = math.ceil(ts)
    if "if-match" in h:
        tags = _etags(h["if-match"])
        if "*" not in tags and bare not in tags:
            raise PreconditionFailed(headers=headers)
    elif "if-unmodified-since" in h:
        t = _http_ts(h["if-unmodified-since"])
        if t is not None and last > t:
            raise PreconditionFailed(headers=headers)
    if "if-none-match" in h:
        tags = _etags(h["if-none-match"])
        if "*" in tags or bare in tags:
            if call.method in ("GET", "HEAD"):
                raise NotModified(headers=headers)
            raise PreconditionFailed(headers=headers)
    elif "if-modified-since" in h and call.method in ("GET", "HEAD"):
        t = _http_ts(h["if-modified-since"])
        if t is not None and last <= t:
            raise NotModified(headers=headers)


def parse_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """``bytes=a-b,c-,-n`` -> satisfiable (start, end inclusive) pairs; None = ignore header."""
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    specs = header.strip()[6:].split(",")
    if len(specs) > 100:
        return None
    out: list[tuple[int, int]] = []
    for spec in specs:
        a, sep, b = spec.strip().partition("-")
        if not sep:
            return None
        try:
            if a == "":
                n = int(b)
                if n < 0:
                    return None
                if n == 0 or size == 0:
                    continue
                out.append((max(0, size - n), size - 1))
                continue
            start = int(a)
            end = int(b) if b else size - 1
        except ValueError:
            return None
        if start < 0 or end < start:
            return None
        if start >= size:
            continue
        out.append((start, min(end, size - 1)))
    if not out:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return out


async def _stream(call: SwiftCall, segs: list[Seg]) -> AsyncIterator[bytes]:
    for s in segs:
        if s.length <= 0:
            continue
        it: Iterator[bytes] = await run_in_threadpool(call.mgr.read, s.blob, s.offset, s.length)
        async for chunk in iterate_in_threadpool(it):
            yield chunk


def object_headers(call: SwiftCall, o: ObjectInfo, plan: Plan) -> dict[str, str]:
    h = {
        "Content-Type": o.content_type,
        "ETag": plan.etag,
        "Last-Modified": views.http_date(o.timestamp),
        "X-Timestamp": views.x_timestamp(o.timestamp),
        "Accept-Ranges": "bytes",
    }
    for k, name in SYS_PASSTHROUGH.items():
        if o.sysmeta.get(k):
            h[name] = o.sysmeta[k]
    if o.dlo:
        h["X-Object-Manifest"] = o.dlo
    if o.is_slo:
        h["X-Static-Large-Object"] = "True"
    if o.delete_at is not None:
        h["X-Delete-At"] = str(o.delete_at)
    h.update(meta_headers(o.meta, "object"))
    return h


def _resolve(call: SwiftCall) -> tuple[ObjectInfo, Plan]:
    o = call.mgr.get_object(call.project_id, call.container, call.obj)
    if call.query.get("multipart-manifest") == "get" and (o.is_slo or o.dlo):
        if o.is_slo:
            return o, Plan([Seg(o.blob, 0, o.size)], o.size, o.etag)
        return o, Plan([], 0, o.etag)
    return o, manifests.plan_for(call.mgr, o)


def _read_whole(call: SwiftCall, seg: Seg) -> bytes:
    return b"".join(call.mgr.read(seg.blob, seg.offset, seg.length))


def _resolve_and_read(call: SwiftCall) -> tuple[ObjectInfo, Plan, bytes | None]:
    """``_resolve``, and for a plain GET of a small whole object its bytes too, in the
    same thread hop (None when it must be read otherwise, or it went meanwhile)."""
    o, plan = _resolve(call)
    if (call.method == "GET" and "range" not in call.headers and len(plan.segs) == 1
            and plan.size <= SMALL_BODY and "multipart-manifest" not in call.query):
        try:
            return o, plan, _read_whole(call, plan.segs[0])
        except KeyError:
            pass
    return o, plan, None


async def _read(call: SwiftCall, retry: bool = True) -> Response:
    o, plan, prefetched = await call.run(_resolve_and_read, call)
    headers = object_headers(call, o, plan)
    manifest_get = call.query.get("multipart-manifest") == "get"
    if manifest_get and o.is_slo:
        headers["Content-Type"] = "application/json; charset=utf-8"
        if call.query.get("format") == "raw":
            stored = await call.run(manifests.load_manifest, call.mgr, o)
            raw = json.dumps(manifests.raw_manifest(stored)).encode()
            headers["ETag"] = hashlib.md5(raw, usedforsecurity=False).hexdigest()
            return _full(call, Plan([], len(raw), headers["ETag"]), headers, raw)
    elif manifest_get and o.dlo:
        headers["ETag"] = o.etag
    cond_headers = {"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]}
    check_conditions(call, plan.etag if not manifest_get else headers["ETag"], o.timestamp, cond_headers)
    if call.tempurl and call.method == "GET":
        fname = call.query.get("filename")
        if fname is not None:
            kind = "inline" if "inline" in call.query else "attachment"
            headers["Content-Disposition"] = f'{kind}; filename="{fname}"; filename*=UTF-8\'\'{quote(fname)}'
        elif "inline" in call.query:
            headers["Content-Disposition"] = "inline"
        elif "Content-Disposition" not in headers:
            base = call.obj.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f'attachment; filename="{base}"; filename*=UTF-8\'\'{quote(base)}'
    ranges = parse_ranges(call.headers.get("range"), plan.size)
    if not ranges:
        if call.method == "GET" and len(plan.segs) == 1 and plan.size <= SMALL_BODY:
            # a small object read whole (with its row, in one thread hop), not a stream
            if prefetched is not None:
                return _full(call, plan, headers, prefetched)
            try:
                body = await call.run(_read_whole, call, plan.segs[0])
            except KeyError:  # overwritten or deleted since its row was read: again
                if retry:
                    return await _read(call, retry=False)
                raise NotFound("object not found") from None
            return _full(call, plan, headers, body)
        return _full(call, plan, headers)
    if len(ranges) == 1:
        a, b = ranges[0]
        headers["Content-Range"] = f"bytes {a}-{b}/{plan.size}"
        headers["Content-Length"] = str(b - a + 1)
        if call.method == "HEAD":
            return Response(b"", 206, headers=headers)
        return StreamingResponse(_stream(call, manifests.slice_plan(plan.segs, a, b - a + 1)), 206,
                                 headers=headers)
    boundary = uuid.uuid4().hex
    ctype = headers["Content-Type"]
    parts: list[tuple[bytes, list[Seg]]] = []
    total = 0
    for a, b in ranges:
        head = (f"--{boundary}\r\nContent-Type: {ctype}\r\n"
                f"Content-Range: bytes {a}-{b}/{plan.size}\r\n\r\n").encode()
        parts.append((head, manifests.slice_plan(plan.segs, a, b - a + 1)))
        total += len(head) + (b - a + 1) + 2
    tail = f"--{boundary}--".encode()
    total += len(tail)
    headers["Content-Type"] = f"multipart/byteranges;boundary={boundary}"
    headers["Content-Length"] = str(total)

    async def body() -> AsyncIterator[bytes]:
        for head, segs in parts:
            yield head
            async for chunk in _stream(call, segs):
                yield chunk
            yield b"\r\n"
        yield tail

    if call.method == "HEAD":
        return Response(b"", 206, headers=headers)
    return StreamingResponse(body(), 206, headers=headers)


def _full(call: SwiftCall, plan: Plan, headers: dict[str, str], body: bytes | None = None) -> Response:
    headers["Content-Length"] = str(plan.size)
    if call.method == "HEAD":
        return Response(b"", 200, headers=headers)
    if body is not None:
        return Response(body, 200, headers=headers)
    return StreamingResponse(_stream(call, plan.segs), 200, headers=headers)


async def get(call: SwiftCall) -> Response:
    return await _read(call)


async def head(call: SwiftCall) -> Response:
    return await _read(call)


# ---- writing ------------------------------------------------------------------------
def _delete_at(call: SwiftCall) -> int | None | bool:
    """False = not given; None = remove; else the epoch second."""
    h = call.headers
    if "x-delete-at" in h:
        v = parse_int(h["x-delete-at"], "X-Delete-At")
        if v < time.time():
            raise BadRequest("X-Delete-At in past")
        return v
    if "x-delete-after" in h:
        v = parse_int(h["x-delete-after"], "X-Delete-After")
        if v < 0:
            raise BadRequest("X-Delete-After in past")
        return int(time.time()) + v
    if "x-remove-delete-at" in h:
        return None
    return False


def _object_meta(call: SwiftCall) -> dict[str, str]:
    """The request's object metadata.  As in Swift, an empty value is kept (the object
    then has ``X-Object-Meta-Foo:`` with no value); ``X-Remove-Object-Meta-*`` drops it."""
    return {k: v for k, v in meta_updates(call.headers, "object").items() if v is not None}


def _sysmeta(call: SwiftCall) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in SYS_PASSTHROUGH:
        if k in call.headers:
            out[k] = call.headers[k]
    if "x-object-manifest" in call.headers:
        v = call.headers["x-object-manifest"]
        c, sep, _ = unquote(v).lstrip("/").partition("/")
        if not c or not sep:
            raise BadRequest("X-Object-Manifest must be in the format container/prefix")
        out["manifest"] = v.lstrip("/")
    return out


def _content_type(call: SwiftCall, fallback: str | None = None) -> str:
    ct = call.headers.get("content-type")
    detect = call.headers.get("x-detect-content-type", "").lower() in ("true", "1", "yes")
    if detect or not ct:
        if fallback and not detect:
            return fallback
        return mimetypes.guess_type(call.obj)[0] or "application/octet-stream"
    return ct


def _check_name(call: SwiftCall) -> None:
    if len(call.obj.encode()) > MAX_OBJECT_NAME:
        raise BadRequest(f"Object name length of {len(call.obj.encode())} longer than {MAX_OBJECT_NAME}")


async def _receive_small(call: SwiftCall) -> bytes:
    """The whole body of a request whose Content-Length is at most ``SMALL_PUT``
    (the HTTP server holds the body to that length; a client that leaves early
    ends the stream with ``ClientDisconnect``, as for any PUT)."""
    chunks = [chunk async for chunk in call.request.stream()]
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _receive(call: SwiftCall, writer: BlobWriter, limit: int) -> tuple[int, str]:
    """Stream the request body into ``writer``: bounded memory, md5 on the way.

    Two lanes (``core.lanes``), threads of their own working through the pieces in
    order: one hashes, one writes, while the event loop receives the next piece.
    Pieces are what the HTTP server hands over (up to its read-ahead window,
    ``core/http_protocol.py``), small ones joined up to ``WRITE_BUFFER``.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    lanes = [Lane(md5.update, "object-md5"), Lane(writer.write, "object-write")]
    size = 0
    buf: list[bytes] = []
    buffered = 0

    async def push(data: bytes) -> None:
        for lane in lanes:
            if not lane.try_put(data):  # the lane is behind: wait for room off the loop
                await run_in_threadpool(lane.put, data)

    try:
        async for chunk in call.request.stream():
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge("Your request is too large.")
            buf.append(chunk)
            buffered += len(chunk)
            if buffered >= WRITE_BUFFER:
                data = buf[0] if len(buf) == 1 else b"".join(buf)
                buf, buffered = [], 0
                await push(data)
        if buf:
            await push(b"".join(buf))
        await run_in_threadpool(close_all, lanes)
        await run_in_threadpool(writer.finish)
    finally:  # on an error, the lanes end before the caller aborts the writer
        await asyncio.shield(run_in_threadpool(abort_all, lanes))
    return size, md5.hexdigest()


def _created(o: ObjectInfo, etag: str | None = None, extra: dict[str, str] | None = None) -> Response:
    return empty(201, {"ETag": etag or o.etag, "Last-Modified": views.http_date(o.timestamp),
                       "X-Timestamp": views.x_timestamp(o.timestamp), **(extra or {})})


async def put(call: SwiftCall) -> Response:
    if "extract-archive" in call.query:
        return await bulk.extract_archive(call)
    _check_name(call)
    h = call.headers
    if "x-copy-from" in h:
        return await _copy(call, h["x-copy-from"], h.get("x-copy-from-account"), dest=None)
    limit = call.mgr.conf.object_store.max_file_size
    chunked = "chunked" in h.get("transfer-encoding", "").lower()
    if "content-length" in h and not chunked:
        length = parse_int(h["content-length"], "Content-Length")
        if length > limit:
            raise PayloadTooLarge("Your request is too large.")
    elif not chunked:
        raise LengthRequired()
    else:
        length = 0
    delete_at = _delete_at(call)
    slo = call.query.get("multipart-manifest") == "put"
    new = NewObject(content_type=_content_type(call), meta=_object_meta(call), sysmeta=_sysmeta(call),
                    delete_at=None if delete_at is False else delete_at,
                    if_none_match_any=h.get("if-none-match", "").strip() == "*")
    check_meta(new.meta)
    if not slo and not chunked and length <= SMALL_PUT:
        # a small object: received whole here, then one thread hop that writes the
        # blob and commits its row (the commit checks the container and quotas)
        data = await _receive_small(call)
        want = h.get("etag", "").strip().strip('"').lower()
        o = await call.run(call.mgr.put_object_bytes, call.project_id, call.container, call.obj,
                           data, want, new)
        return _created(o)
    await call.run(call.mgr.check_put, call.project_id, call.container, None if slo else length)
    if new.if_none_match_any:
        existing = await call.run(call.mgr.find_object, call.project_id, call.container, call.obj)
        if existing is not None:
            raise PreconditionFailed()
    writer = await run_in_threadpool(call.mgr.store.writer)
    try:
        if slo:
            return await _put_slo(call, writer, new)
        size, etag = await _receive(call, writer, limit)
        want = h.get("etag", "").strip().strip('"').lower()
        if want and want != etag:
            raise Unprocessable()
        o = await call.run(call.mgr.commit_object, call.project_id, call.container, call.obj,
                           writer, size, etag, new)
    except BaseException:
        writer.abort()
        raise
    return _created(o)


async def _put_slo(call: SwiftCall, writer: BlobWriter, new: NewObject) -> Response:
    chunks: list[bytes] = []
    size = 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > manifests.MAX_MANIFEST_BYTES:
            raise PayloadTooLarge("Manifest File > 8388608 bytes")
        chunks.append(chunk)
    stored, total, slo_etag = await call.run(
        manifests.build_slo, call.mgr, call.project_id, b"".join(chunks),
        call.mgr.conf.object_store.max_manifest_segments)
    want = call.headers.get("etag", "").strip().strip('"').lower()
    if want and want != slo_etag:
        raise Unprocessable()
    for e in stored:
        e["last_modified"] = views.iso(e["last_modified"])
    body = json.dumps(stored).encode()
    await run_in_threadpool(writer.write, body)
    await run_in_threadpool(writer.finish)
    new.sysmeta.update({"slo": True, "slo_etag": slo_etag, "slo_size": total})
    new.sysmeta.pop("manifest", None)
    o = await call.run(call.mgr.commit_object, call.project_id, call.container, call.obj, writer,
                       len(body), hashlib.md5(body, usedforsecurity=False).hexdigest(), new)
    return _created(o, f'"{slo_etag}"')


async def post(call: SwiftCall) -> Response:
    delete_at = _delete_at(call)
    ct = call.headers.get("content-type")
    sys_updates: dict[str, Any] = {k: None for k in SYS_PASSTHROUGH}
    sys_updates.update(_sysmeta(call))
    await call.run(call.mgr.post_object, call.project_id, call.container, call.obj,
                   _object_meta(call), sys_updates, ct, delete_at)
    return Response(b"<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>",
                    202, media_type="text/html; charset=UTF-8")


async def delete(call: SwiftCall) -> Response:
    if call.query.get("multipart-manifest") == "delete":
        o = await call.run(call.mgr.get_object, call.project_id, call.container, call.obj)
        if o.is_slo:
            return await _delete_slo(call, o)
    await call.run(call.mgr.delete_object, call.project_id, call.container, call.obj)
    return empty(204)


async def _delete_slo(call: SwiftCall, o: ObjectInfo) -> Response:
    stored = await call.run(manifests.load_manifest, call.mgr, o)
    deleted = not_found = 0
    for e in stored + [{"name": f"/{call.container}/{call.obj}"}]:
        c, _, name = e["name"].lstrip("/").partition("/")
        try:
            await call.run(call.mgr.delete_object, call.project_id, c, name)
            deleted += 1
        except NotFound:
            not_found += 1
    result = {"Number Deleted": deleted, "Number Not Found": not_found, "Response Body": "",
              "Response Status": "200 OK", "Errors": []}
    if "json" in call.headers.get("accept", ""):
        return json_response(result)
    text = "".join(f"{k}: {'' if v == [] else v}\n" for k, v in result.items())
    return Response(text.encode(), 200, media_type="text/plain; charset=utf-8")


# ---- copy ---------------------------------------------------------------------------
def _split(path: str, what: str) -> tuple[str, str]:
    c, _, o = unquote(path).lstrip("/").partition("/")
    if not c or not o:
        raise PreconditionFailed(f"Bad {what} header value; must be of the form <container name>/<object name>")
    return c, o


def _project_of(call: SwiftCall, account: str | None) -> str:
    if not account:
        return call.project_id
    prefix = call.mgr.conf.object_store.reseller_prefix
    if not account.startswith(prefix):
        raise PreconditionFailed("Bad account")
    return account[len(prefix):]


def _authorize_other(call: SwiftCall, project_id: str, container: str, obj: str, write: bool) -> None:
    other = replace(call, project_id=project_id, container=container, obj=obj, owner=False, reseller=False)
    cont = call.mgr.find_container(project_id, container)
    authorize(other, cont, write=write)


def _copy_bytes(call: SwiftCall, writer: BlobWriter, segs: list[Seg], limit: int) -> tuple[int, str]:
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    for s in segs:
        for chunk in call.mgr.read(s.blob, s.offset, s.length):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge("Your request is too large.")
            md5.update(chunk)
            writer.write(chunk)
    writer.finish()
    return size, md5.hexdigest()


async def copy(call: SwiftCall) -> Response:
    dest = call.headers.get("destination")
    if not dest:
        raise PreconditionFailed("You must provide a Destination header")
    return await _copy(call, f"{call.container}/{call.obj}", None, dest=dest)


async def _copy(call: SwiftCall, source: str, source_account: str | None, dest: str | None) -> Response:
    """PUT with X-Copy-From (``dest`` None: the request path is the target) or COPY."""
    src_c, src_o = _split(source, "X-Copy-From" if dest is None else "Destination")
    src_p = _project_of(call, source_account)
    if dest is None:
        dst_p, dst_c, dst_o = call.project_id, call.container, call.obj
        if src_p != call.project_id or not call.owner:
            await call.run(_authorize_other, call, src_p, src_c, src_o, False)
    else:
        dst_c, dst_o = _split(dest, "Destination")
        dst_p = _project_of(call, call.headers.get("destination-account"))
        await call.run(_authorize_other, call, dst_p, dst_c, dst_o, True)
    if len(dst_o.encode()) > MAX_OBJECT_NAME:
        raise BadRequest("Object name too long")
    src_call = replace(call, project_id=src_p, container=src_c, obj=src_o)
    o, plan = await call.run(_resolve, src_call)
    check_conditions(src_call, plan.etag, o.timestamp, {})
    manifest_copy = call.query.get("multipart-manifest") == "get"
    fresh = call.headers.get("x-fresh-metadata", "").lower() in ("true", "1", "yes")
    meta = {} if fresh else dict(o.meta)
    meta.update(_object_meta(call))
    sysmeta = {k: v for k, v in o.sysmeta.items() if k in SYS_PASSTHROUGH}
    if manifest_copy:
        sysmeta = dict(o.sysmeta)
    sysmeta.update({k: v for k, v in _sysmeta(call).items()})
    ct = call.headers.get("content-type") if dest is None else None
    delete_at = _delete_at(call)
    new = NewObject(content_type=ct or o.content_type, meta=meta, sysmeta=sysmeta,
                    delete_at=None if delete_at is False else delete_at)
    writer = call.mgr.store.writer()
    limit = call.mgr.conf.object_store.max_file_size
    try:
        cont = await call.run(call.mgr.get_container, dst_p, dst_c)
        await call.run(call.mgr.check_quota, dst_p, cont, plan.size)
        size, etag = await run_in_threadpool(_copy_bytes, call, writer, plan.segs, limit)
        new_o = await call.run(call.mgr.commit_object, dst_p, dst_c, dst_o, writer, size, etag, new)
    except BaseException:
        writer.abort()
        raise
    extra = {"X-Copied-From": quote(f"{src_c}/{src_o}"),
             "X-Copied-From-Last-Modified": views.http_date(o.timestamp),
             "X-Copied-From-Account": quote(source_account or call.account),
             # Swift's copy middleware answers with the new object's metadata too
             **meta_headers(new.meta, "object")}
    etag_out = '"{}"'.format(new.sysmeta["slo_etag"]) if new.sysmeta.get("slo") else None
    return _created(new_o, etag_out, extra)
