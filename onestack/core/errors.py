"""API errors, raised anywhere below the HTTP layer and rendered once, per service.

Each service passes an ``ErrorFormat`` to its app: the same ``ApiError`` becomes
Keystone's ``{"error": {...}}``, Nova's ``{"itemNotFound": {...}}`` and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class ApiError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        type: str | None = None,
    ) -> None:
        # an upstream exception class name, for formats that show one (Neutron's "type")
        self.type = type
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.message = message or self.title
        self.headers = dict(headers or {})
        super().__init__(self.message)


class BadRequest(ApiError):
    status, title = 400, "Bad Request"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not Found"


class MethodNotAllowed(ApiError):
    status, title = 405, "Method Not Allowed"


class NotAcceptable(ApiError):
    status, title = 406, "Not Acceptable"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class Gone(ApiError):
    status, title = 410, "Gone"


class PayloadTooLarge(ApiError):
    status, title = 413, "Request Entity Too Large"


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported Media Type"


class NotImplementedYet(ApiError):
    status, title = 501, "Not Implemented"


ErrorFormat = Callable[[ApiError], dict[str, Any]]


def keystone_format(err: ApiError) -> dict[str, Any]:
    return {"error": {"code": err.status, "title": err.title, "message": err.message}}


_NOVA_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    501: "notImplemented",
}


def nova_format(err: ApiError) -> dict[str, Any]:
    """The body shape Nova and Cinder share."""
    name = _NOVA_NAMES.get(err.status, "computeFault" if err.status >= 500 else "badRequest")
    return {name: {"code": err.status, "message": err.message}}


_NEUTRON_TYPES = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    412: "HTTPPreconditionFailed",
    413: "HTTPRequestEntityTooLarge",
    415: "HTTPUnsupportedMediaType",
    501: "HTTPNotImplemented",
}


def neutron_format(err: ApiError) -> dict[str, Any]:
    """Neutron's body: ``{"NeutronError": {"type", "message", "detail"}}``."""
    name = err.type or _NEUTRON_TYPES.get(err.status, "HTTPInternalServerError")
    return {"NeutronError": {"type": name, "message": err.message, "detail": ""}}
