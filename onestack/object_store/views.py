"""What Swift puts on the wire: listing formats (text, json, xml) and error bodies."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson
from starlette.responses import Response

from onestack.object_store.manager import ContainerInfo, ListedObject, Subdir

# Swift's short bodies (swob's RESPONSE_REASONS), HTML like Swift's.
REASONS: dict[int, tuple[str, str]] = {
    400: ("Bad Request", ""),
    401: ("Unauthorized", "This server could not verify that you are authorized to access the document you requested."),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    411: ("Length Required", "Length Required"),
    412: ("Precondition Failed", "A precondition for this request was not satisfied."),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    416: ("Requested Range Not Satisfiable", "The Range requested is not available."),
    422: ("Unprocessable Entity", "Unable to process the contained instructions"),
    500: ("Internal Error", "The server has either erred or is incapable of performing the requested operation."),
    501: ("Not Implemented", "The requested method is not implemented by this server."),
}

LISTING_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "plain": "text/plain; charset=utf-8",
}


def error_body(status: int, message: str | None = None) -> tuple[bytes, str]:
    """Swift answers 4xx/5xx with a short HTML page, or plain text for specific messages."""
    title, text = REASONS.get(status, ("Error", ""))
    if message and message not in (title, text) and status in (400, 413, 412, 409):
        return message.encode(), "text/plain; charset=UTF-8"
    return f"<html><h1>{title}</h1><p>{text}</p></html>".encode(), "text/html; charset=UTF-8"


def http_date(ts: float) -> str:
    return email.utils.formatdate(math.ceil(ts), usegmt=True)


def x_timestamp(ts: float) -> str:
    return f"{ts:016.5f}"


def iso(ts: float) -> str:
    """``datetime.fromtimestamp(ts, UTC)`` as ``%Y-%m-%dT%H:%M:%S.%f`` — the same
    rounding (half-even microseconds), with the seconds part cached: listings
    format thousands of these."""
    sec = math.floor(ts)
    us = round((ts - sec) * 1e6)
    if us >= 1_000_000:
        sec, us = sec + 1, us - 1_000_000
    return f"{_iso_second(sec)}.{us:06d}"


@functools.lru_cache(maxsize=4096)
def _iso_second(sec: int) -> str:
    return dt.datetime.fromtimestamp(sec, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def listing_format(query: Any, accept: str | None) -> str:
    fmt = (query.get("format") or "").lower()
    if fmt in ("json", "xml", "plain"):
        return fmt
    if fmt == "text":
        return "plain"
    accept = (accept or "").lower()
    for part in accept.split(","):
        media = part.split(";")[0].strip()
        if media == "application/json":
            return "json"
        if media in ("application/xml", "text/xml"):
            return "xml"
        if media in ("text/plain", "*/*", "text/*"):
            return "plain"
    return "plain"


def container_entry(e: ContainerInfo | Subdir) -> dict[str, Any]:
    if isinstance(e, Subdir):
        return {"subdir": e.subdir}
    return {"name": e.name, "count": e.object_count, "bytes": e.bytes_used,
            "last_modified": iso(e.created_at)}


def object_entry(e: ListedObject | Subdir) -> dict[str, Any]:
    if isinstance(e, Subdir):
        return {"subdir": e.subdir}
    d: dict[str, Any] = {"hash": e.etag, "last_modified": iso(e.timestamp), "bytes": e.size,
                         "name": e.name, "content_type": e.content_type}
    if e.slo:
        d["slo_etag"] = f'"{e.etag}"'
    return d


def render_listing(fmt: str, kind: str, name: str, entries: list[dict[str, Any]],
                   status_empty_plain: int = 204) -> Response:
    """``kind`` is ``account`` (entries are containers) or ``container``."""
    if fmt == "json":
        return Response(orjson.dumps(entries), 200,
                        media_type=LISTING_TYPES["json"])
    if fmt == "xml":
        item = "container" if kind == "account" else "object"
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{kind} name={quoteattr(name)}>"]
        for e in entries:
            if "subdir" in e:
                parts.append(f"<subdir name={quoteattr(e['subdir'])}><name>{escape(e['subdir'])}</name></subdir>")
                continue
            parts.append(f"<{item}>")
            for k, v in e.items():
                parts.append(f"<{k}>{escape(str(v))}</{k}>")
            parts.append(f"</{item}>")
        parts.append(f"</{kind}>")
        return Response("".join(parts).encode(), 200, media_type=LISTING_TYPES["xml"])
    if not entries:
        return Response(b"", status_empty_plain, media_type=LISTING_TYPES["plain"])
    body = "".join((e.get("subdir") or e["name"]) + "\n" for e in entries)
    return Response(body.encode(), 200, media_type=LISTING_TYPES["plain"])
