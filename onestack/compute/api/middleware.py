"""Microversion negotiation in front of the compute routes.

Reads ``OpenStack-API-Version: compute X.Y`` (or the legacy
``X-OpenStack-Nova-API-Version``), answers 400/406 for malformed or
unsupported versions, stores the version in the ASGI scope for handlers, and
adds both version headers and ``Vary`` to every response, errors included --
Tempest checks that the echoed value equals the requested one.
"""

from __future__ import annotations

from typing import Any

from onestack.compute import microversions
from onestack.compute.api.deps import SCOPE_KEY
from onestack.core.errors import ApiError, nova_format
from onestack.core.web import json_response

VARY = b"OpenStack-API-Version, X-OpenStack-Nova-API-Version"


class MicroversionMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            version, _, _ = microversions.from_headers(headers)
        except ApiError as err:
            response = json_response(nova_format(err), err.status, {
                "Vary": VARY.decode(), "OpenStack-API-Version": f"compute {microversions.MIN}",
                "X-OpenStack-Nova-API-Version": str(microversions.MIN)})
            await response(scope, receive, send)
            return
        scope[SCOPE_KEY] = version
        value = str(version).encode()
        extra = [(b"openstack-api-version", b"compute " + value),
                 (b"x-openstack-nova-api-version", value), (b"vary", VARY)]

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                headers = list(message.get("headers", []))
                # nova also names the request id x-compute-request-id (Tempest reads it)
                rid = next((v for k, v in headers if k.lower() == b"x-openstack-request-id"), None)
                message["headers"] = headers + extra + ([(b"x-compute-request-id", rid)] if rid else [])
            await send(message)

        await self.app(scope, receive, send_with_headers)
