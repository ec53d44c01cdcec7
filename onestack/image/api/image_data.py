"""Image bytes: ``PUT``/``GET /v2/images/{id}/file`` (streamed both ways, with
``Range``), ``PUT /stage`` and ``POST /import`` (interoperable import).

Uploads never hold a whole image in memory: chunks from the socket are
gathered up to ``WRITE_BUFFER`` and handed to the driver writer in a thread.
A client that disconnects, or sends fewer or more bytes than its
``Content-Length``, leaves the image ``queued`` with nothing stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from onestack.core.errors import BadRequest, UnsupportedMediaType
from onestack.core.web import Call, Route
from onestack.image import schemas
from onestack.image.api.common import RangeNotSatisfiable, media_type, mgr, no_content, run
from onestack.image.manager import DataUpload

FILE = "/v2/images/{image_id}/file"
WRITE_BUFFER = 1024 * 1024
OCTET = "application/octet-stream"


def _check_octet(call: Call) -> None:
    ctype = media_type(call, OCTET)
    if ctype != OCTET:
        raise UnsupportedMediaType(f"Unsupported Content-Type {ctype}: image data must be {OCTET}")


def _declared_length(call: Call) -> int | None:
    v = call.headers.get("content-length")
    if v is None:
        return None
    try:
        n = int(v)
    except ValueError:
        raise BadRequest("Invalid Content-Length") from None
    if n < 0:
        raise BadRequest("Invalid Content-Length")
    return n


async def _receive(call: Call, up: DataUpload) -> None:
    """Stream the body into ``up`` and commit; on any failure, undo and re-raise.

    Pipelined: ``up.write`` hands each ``WRITE_BUFFER`` to the upload's lanes (MD5,
    the multihash and the write, each a thread of its own: ``core.lanes``) while the
    event loop receives the next.
    """
    declared = _declared_length(call)
    pending: asyncio.Future[None] | None = None

    async def settle() -> None:
        """Let the write in flight end (its error, if any, is raised)."""
        nonlocal pending
        if pending is not None:
            p, pending = pending, None
            await p

    try:
        try:
            buf: list[bytes] = []
            held = 0
            async for chunk in call.request.stream():
                if not chunk:
                    continue
                buf.append(chunk)
                held += len(chunk)
                if held >= WRITE_BUFFER:
                    data, buf, held = b"".join(buf), [], 0
                    await settle()
                    pending = asyncio.ensure_future(run(up.write, data))
            await settle()
            if buf:
                await run(up.write, b"".join(buf))
        finally:
            if pending is not None:  # an error while a write was in flight: let it end first
                await asyncio.shield(asyncio.wait([pending]))
                if not pending.cancelled():
                    pending.exception()  # retrieved: it is not the error that is raised
        if declared is not None and up.size != declared:
            raise BadRequest(f"Received {up.size} bytes of image data, expected {declared} (Content-Length).")
        await run(up.commit)
    except ClientDisconnect:
        await run(up.fail)
        raise BadRequest("The client disconnected before sending all the image data.") from None
    except Exception:
        await run(up.fail)
        raise
    except BaseException:  # cancelled: no awaiting now, undo right here
        with contextlib.suppress(Exception):
            up.fail()
        raise


async def upload(call: Call) -> Response:
    _check_octet(call)
    up = await run(mgr(call).begin_upload, call.ctx, call.params["image_id"])
    await _receive(call, up)
    return no_content()


async def stage(call: Call) -> Response:
    _check_octet(call)
    up = await run(mgr(call).begin_stage, call.ctx, call.params["image_id"])
    await _receive(call, up)
    return no_content()


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` / ``a-`` / ``-n`` range -> (start, end inclusive); None = whole.

    Like upstream (webob's ``Range``), a header that is not a single byte
    range is ignored; a range that starts past the end is a 416."""
    if not header:
        return None
    h = header.strip()
    if not h.lower().startswith("bytes=") or "," in h:
        return None
    a, sep, b = h[6:].strip().partition("-")
    if not sep:
        return None
    try:
        if a == "":
            n = int(b)
            if n <= 0:
                return None
            if size == 0:
                raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
            return max(0, size - n), size - 1
        start = int(a)
        end = int(b) if b else size - 1
    except ValueError:
        return None
    if start < 0 or (b and end < start):
        return None
    if start >= size:
        raise RangeNotSatisfiable(
            f"Requested range {h} not satisfiable for {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, min(end, size - 1)


async def download(call: Call) -> Response:
    m = mgr(call)
    info = await run(m.open_data, call.ctx, call.params["image_id"])
    if info is None:
        return no_content()
    headers = {"Content-Type": OCTET}
    rng = parse_range(call.headers.get("range"), info.size)
    if rng is None:
        start, length, status = 0, info.size, 200
        if info.checksum:
            headers["Content-MD5"] = info.checksum
    else:
        start, length, status = rng[0], rng[1] - rng[0] + 1, 206
        headers["Content-Range"] = f"bytes {rng[0]}-{rng[1]}/{info.size}"
    headers["Content-Length"] = str(length)
    if call.request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    chunks = await run(m.read_data, info.key, start, length)
    return StreamingResponse(iterate_in_threadpool(chunks), status_code=status, headers=headers)


def import_image(call: Call) -> Response:
    mgr(call).import_image(call.ctx, call.params["image_id"], call.body)
    return no_content(202)


ROUTES: list[Any] = [
    Route("PUT", FILE, upload),
    Route("GET", FILE, download),
    Route("PUT", "/v2/images/{image_id}/stage", stage),
    Route("POST", "/v2/images/{image_id}/import", import_image, schema=schemas.IMPORT),
]
