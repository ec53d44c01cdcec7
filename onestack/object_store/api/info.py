"""GET /info: exactly the features this server implements."""

from __future__ import annotations

from starlette.responses import Response

from onestack import __version__
from onestack.object_store import manager as m
from onestack.object_store.api.common import SwiftCall
from onestack.object_store.api.routes_support import json_response

SWIFT_API_VERSION = "2.34.0"


def capabilities(call: SwiftCall) -> dict[str, object]:
    osc = call.mgr.conf.object_store
    return {
        "swift": {
            # The Swift release whose API this emulates: clients (Tempest's account
            # quota tests, for one) compare it against Swift versions to know what
            # to expect.  onestack's own version is beside it.
            "version": SWIFT_API_VERSION,
            "onestack_version": __version__,
            "max_file_size": osc.max_file_size,
            "container_listing_limit": osc.container_listing_limit,
            "account_listing_limit": osc.account_listing_limit,
            "max_object_name_length": m.MAX_OBJECT_NAME,
            "max_container_name_length": m.MAX_CONTAINER_NAME,
            "max_account_name_length": 256,
            "max_meta_name_length": m.MAX_META_NAME,
            "max_meta_value_length": m.MAX_META_VALUE,
            "max_meta_count": m.MAX_META_COUNT,
            "max_meta_overall_size": m.MAX_META_OVERALL,
            "extra_header_count": 0,
            "max_header_size": 8192,
            "valid_api_versions": ["v1"],
            "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}],
            "strict_cors_mode": True,
        },
        "slo": {
            "max_manifest_segments": osc.max_manifest_segments,
            "max_manifest_size": 8 * 1024 * 1024,
            "min_segment_size": 1,
            "yield_frequency": 10,
        },
        "dlo": {"max_segments": osc.container_listing_limit},
        "tempurl": {
            "methods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
            "incoming_remove_headers": [],
            "incoming_allow_headers": [],
            "outgoing_remove_headers": [],
            "outgoing_allow_headers": [],
            "allowed_digests": ["sha1", "sha256", "sha512"],
        },
        "container_quotas": {},
        "account_quotas": {},
        "versioned_writes": {"allowed_flags": ["X-Versions-Location", "X-History-Location"]},
        "crossdomain": {},
        "formpost": {},
        "bulk_upload": {"max_containers_per_extraction": 10000, "max_failed_extractions": 1000},
        "bulk_delete": {"max_deletes_per_request": 10000, "max_failed_deletes": 1000},
    }


async def get(call: SwiftCall) -> Response:
    return json_response(capabilities(call))


CROSSDOMAIN = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE cross-domain-policy SYSTEM '
    '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
    "<cross-domain-policy>\n"
    '<allow-access-from domain="*" secure="false" />\n'
    "</cross-domain-policy>"
)


async def healthcheck(call: SwiftCall) -> Response:
    """Swift's healthcheck middleware: ``GET /healthcheck`` -> 200 ``OK``."""
    body = b"" if call.method == "HEAD" else b"OK"
    return Response(body, 200, media_type="text/plain", headers={"Content-Length": "2"})


async def crossdomain(call: SwiftCall) -> Response:
    """Swift's crossdomain middleware: the Flash/Silverlight cross-domain policy."""
    return Response(CROSSDOMAIN.encode(), 200, media_type="application/xml; charset=utf-8")
