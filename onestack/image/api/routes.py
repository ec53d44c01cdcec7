"""The image service's one route table (Glance v2), mounted at ``/image``."""

from __future__ import annotations

from onestack.core.web import Authenticator, Route, Service
from onestack.image.api import image_data, images, info, members, schemas, tags, versions
from onestack.image.api.common import glance_format
from onestack.image.manager import ImageManager

ROUTES: list[Route] = [
    *versions.ROUTES,
    *images.ROUTES,
    *image_data.ROUTES,
    *tags.ROUTES,
    *members.ROUTES,
    *schemas.ROUTES,
    *info.ROUTES,
]


def build(mgr: ImageManager, authenticate: Authenticator | None) -> Service:
    # Glance answers 404 to "/v2/images/" (Tempest's *_null_id tests), no redirect
    return Service(
        "image", ROUTES, error_format=glance_format, authenticate=authenticate,
        services=mgr, redirect_slashes=False,
    )
