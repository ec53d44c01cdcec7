"""Swift's formpost middleware: an HTML form POSTs files (``multipart/form-data``)
to ``/v1/a/c[/prefix]`` without a token.  The form carries ``redirect``,
``max_file_size``, ``max_file_count``, ``expires`` and ``signature``, an HMAC of
``path\\nredirect\\nmax_file_size\\nmax_file_count\\nexpires`` with one of the
account's or container's temp URL keys.  Each file becomes ``<prefix><filename>``."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import mimetypes
import time

from starlette.responses import Response

from onestack.core.errors import PayloadTooLarge, Unauthorized
from onestack.object_store.api.common import SwiftCall, _digest_of
from onestack.object_store.manager import NewObject

MAX_FORM = 64 * 1024 * 1024


def is_formpost(method: str, content_type: str) -> bool:
    return method == "POST" and content_type.lower().startswith("multipart/form-data")


def _parts(ctype: str, body: bytes) -> list[tuple[str, str | None, str | None, bytes]]:
    """(field name, filename, content type, data) for each part."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
    out = []
    for part in msg.iter_parts() if msg.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        out.append((str(name or ""), filename and str(filename),
                    part.get("content-type"), data))
    return out


def _signed(call: SwiftCall, keys: list[str], fields: dict[str, str], path: str) -> bool:
    parsed = _digest_of(fields.get("signature", ""))
    if parsed is None:
        return False
    algo, want = parsed
    msg = "\n".join([path, fields.get("redirect", ""), fields.get("max_file_size", ""),
                     fields.get("max_file_count", ""), fields.get("expires", "")]).encode()
    return any(hmac.compare_digest(hmac.new(k.encode(), msg, getattr(hashlib, algo)).digest(), want)
               for k in keys)


def _handle(call: SwiftCall, ctype: str, body: bytes) -> tuple[int, str, str]:
    mgr = call.mgr
    fields: dict[str, str] = {}
    files: list[tuple[str, str | None, bytes]] = []
    for name, filename, pctype, data in _parts(ctype, body):
        if filename is not None:
            files.append((filename, pctype, data))
        else:
            fields[name] = data.decode("utf-8", "replace").strip()
    redirect = fields.get("redirect", "")
    try:
        expires = int(fields.get("expires", ""))
    except ValueError:
        raise Unauthorized("FormPost: Invalid Expires") from None
    if expires < time.time():
        raise Unauthorized("FormPost: Form Expired")
    acct = mgr.account_info(call.project_id)
    keys = [v for k, v in acct.meta.items() if k in ("temp-url-key", "temp-url-key-2")]
    cont = mgr.find_container(call.project_id, call.container)
    if cont is not None:
        keys += [v for k, v in cont.meta.items() if k in ("temp-url-key", "temp-url-key-2")]
    path = f"/v1/{call.account}/{call.container}" + (f"/{call.obj}" if call.obj else "")
    root = call.request.scope.get("root_path", "")
    if not keys or not any(_signed(call, keys, fields, p) for p in (root + path, path)):
        raise Unauthorized("FormPost: Invalid Signature")
    try:
        max_size = int(fields.get("max_file_size", "0"))
        max_count = int(fields.get("max_file_count", "0"))
    except ValueError:
        raise Unauthorized("FormPost: Invalid Signature") from None
    if len(files) > max_count:
        return 400, "max_file_count exceeded", redirect
    for filename, pctype, data in files:
        if len(data) > max_size:
            return 400, "max_file_size exceeded", redirect
        name = call.obj + filename
        mgr.check_put(call.project_id, call.container, len(data))
        writer = mgr.store.writer()
        try:
            writer.write(data)
            writer.finish()
            ct = pctype or mimetypes.guess_type(name)[0] or "application/octet-stream"
            mgr.commit_object(call.project_id, call.container, name, writer, len(data),
                              hashlib.md5(data, usedforsecurity=False).hexdigest(),
                              NewObject(content_type=ct))
        except BaseException:
            writer.abort()
            raise
    return 201, "", redirect


async def post(call: SwiftCall) -> Response:
    chunks: list[bytes] = []
    size = 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > MAX_FORM:
            raise PayloadTooLarge("Your request is too large.")
        chunks.append(chunk)
    ctype = call.headers.get("content-type", "")
    try:
        status, message, redirect = await call.run(_handle, call, ctype, b"".join(chunks))
    except Unauthorized as err:  # Swift names the reason in the body
        return Response(err.message.encode(), 401, media_type="text/plain; charset=UTF-8",
                        headers={"WWW-Authenticate": 'Swift realm="unknown"'})
    if redirect:
        sep = "&" if "?" in redirect else "?"
        loc = f"{redirect}{sep}status={status}&message={message}"
        body = f'<html><body><p><a href="{loc}">Click to continue...</a></p></body></html>'
        return Response(body.encode(), 303, headers={"Location": loc}, media_type="text/html")
    text = {201: "201 Created", 400: "400 Bad Request"}[status]
    return Response(f"<html><h1>{text}</h1><p>FormPost: {message}</p></html>".encode() if message
                    else f"<html><h1>{text}</h1><p></p></html>".encode(),
                    status, media_type="text/html")
