"""Swift's bulk middleware: ``PUT ...?extract-archive=tar[.gz|.bz2]`` makes
containers and objects from an uploaded archive; ``DELETE|POST /v1/a?bulk-delete``
deletes the objects and containers listed in the body (one URL-encoded
``container[/object]`` a line).  Both answer 200 with a summary (text, or JSON when
the client accepts it), as Swift does: per-item failures are in ``Errors``."""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import tarfile
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response

from onestack.core.errors import ApiError, BadRequest, NotFound, PayloadTooLarge
from onestack.object_store.api.common import SwiftCall
from onestack.object_store.manager import MAX_OBJECT_NAME, NewObject, check_container_name

MAX_DELETES = 10000
MAX_FAILED = 1000
FORMATS = {"tar": "r:", "tar.gz": "r:gz", "tar.bz2": "r:bz2"}
STATUS = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request", 401: "401 Unauthorized",
          404: "404 Not Found", 409: "409 Conflict", 413: "413 Request Entity Too Large"}


def _status(code: int) -> str:
    return STATUS.get(code, f"{code} Error")


def _answer(call: SwiftCall, result: dict[str, Any]) -> Response:
    if "json" in call.headers.get("accept", ""):
        return Response(json.dumps(result).encode(), 200, media_type="application/json; charset=utf-8")
    text = "".join(f"{k}: {'' if v == [] else v}\n" for k, v in result.items())
    return Response(text.encode(), 200, media_type="text/plain; charset=utf-8")


async def _body(call: SwiftCall, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("Your request is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


# ---- extract-archive ------------------------------------------------------------------
def _store(call: SwiftCall, container: str, name: str, data: bytes, made: set[str]) -> None:
    mgr = call.mgr
    if container not in made:
        if mgr.find_container(call.project_id, container) is None:
            check_container_name(container)
            mgr.put_container(call.project_id, container, {}, {})
        made.add(container)
    mgr.check_put(call.project_id, container, len(data))
    writer = mgr.store.writer()
    try:
        writer.write(data)
        writer.finish()
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        mgr.commit_object(call.project_id, container, name, writer, len(data), etag,
                          NewObject(content_type=ctype))
    except BaseException:
        writer.abort()
        raise


def _extract(call: SwiftCall, data: bytes, mode: str) -> dict[str, Any]:
    created = 0
    errors: list[list[str]] = []
    made: set[str] = set()
    base = "/".join(p for p in (call.container, call.obj) if p)
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode=mode)
    except (tarfile.TarError, EOFError, OSError):
        return {"Number Files Created": 0, "Response Body": "Invalid Tar File",
                "Response Status": _status(400), "Errors": []}
    with tar:
        for member in tar:
            if not member.isfile():
                continue
            rel = member.name
            while rel.startswith(("./", "/")):
                rel = rel[2:] if rel.startswith("./") else rel[1:]
            path = "/".join(p for p in (base, rel) if p)
            container, _, name = path.partition("/")
            if not container or not name:
                continue
            if len(name.encode()) > MAX_OBJECT_NAME:
                errors.append([path, _status(400)])
                continue
            fh = tar.extractfile(member)
            try:
                _store(call, container, name, fh.read() if fh else b"", made)
                created += 1
            except ApiError as err:
                errors.append([path, _status(err.status)])
            if len(errors) >= MAX_FAILED:
                break
    return {"Number Files Created": created, "Response Body": "",
            "Response Status": _status(400 if errors else 201), "Errors": errors}


async def extract_archive(call: SwiftCall) -> Response:
    fmt = call.query.get("extract-archive", "")
    mode = FORMATS.get(fmt.lower().removeprefix("."))
    if mode is None:
        raise BadRequest(f"Unsupported archive format: {fmt!r}")
    data = await _body(call, call.mgr.conf.object_store.max_file_size)
    return _answer(call, await call.run(_extract, call, data, mode))


# ---- bulk-delete ----------------------------------------------------------------------
def _delete(call: SwiftCall, paths: list[str]) -> dict[str, Any]:
    deleted = not_found = 0
    errors: list[list[str]] = []
    for raw in paths:
        container, _, name = unquote(raw).lstrip("/").partition("/")
        try:
            if name:
                call.mgr.delete_object(call.project_id, container, name)
            else:
                call.mgr.delete_container(call.project_id, container)
            deleted += 1
        except NotFound:
            not_found += 1
        except ApiError as err:
            errors.append([raw, _status(err.status)])
    status = 400 if errors else 200
    return {"Number Deleted": deleted, "Number Not Found": not_found, "Response Body": "",
            "Response Status": _status(status), "Errors": errors}


async def bulk_delete(call: SwiftCall) -> Response:
    data = await _body(call, MAX_DELETES * (MAX_OBJECT_NAME * 3 + 256))
    paths = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    if len(paths) > MAX_DELETES:
        raise PayloadTooLarge(f"Maximum Bulk Deletes: {MAX_DELETES} per request")
    return _answer(call, await call.run(_delete, call, paths))
