"""Microversion negotiation in front of the volume routes: reads
``OpenStack-API-Version: volume 3.X``, answers 400/406 for malformed or
unsupported versions, and echoes the version (and ``Vary``) on every
response."""

from __future__ import annotations

from typing import Any

from onestack.core.errors import ApiError, nova_format
from onestack.core.web import json_response
from onestack.volume import microversions
from onestack.volume.api.deps import SCOPE_KEY

VARY = b"OpenStack-API-Version"


class MicroversionMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = None
        for k, v in scope.get("headers", []):
            if k.lower() == b"openstack-api-version":
                header = v.decode("latin-1") if header is None else header + "," + v.decode("latin-1")
        try:
            version = microversions.parse(header)
        except ApiError as err:
            response = json_response(nova_format(err), err.status, {
                "Vary": VARY.decode(), "OpenStack-API-Version": f"volume {microversions.MIN}"})
            await response(scope, receive, send)
            return
        scope[SCOPE_KEY] = version
        extra = [(b"openstack-api-version", b"volume " + str(version).encode()), (b"vary", VARY)]

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
