"""How images and members look on the wire (Glance v2), and to other services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onestack.image.models import Image, ImageMember


def isotime(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image(img: Image, properties: dict[str, str], tags: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(properties)
    out.update({
        "id": img.id,
        "name": img.name,
        "status": img.status,
        "visibility": img.visibility,
        "protected": bool(img.protected),
        "os_hidden": bool(img.os_hidden),
        "checksum": img.checksum,
        "os_hash_algo": img.os_hash_algo,
        "os_hash_value": img.os_hash_value,
        "owner": img.project_id,
        "size": img.size,
        "virtual_size": img.virtual_size,
        "min_ram": img.min_ram,
        "min_disk": img.min_disk,
        "disk_format": img.disk_format,
        "container_format": img.container_format,
        "created_at": isotime(img.created_at),
        "updated_at": isotime(img.updated_at),
        "tags": sorted(tags),
        "self": f"/v2/images/{img.id}",
        "file": f"/v2/images/{img.id}/file",
        "schema": "/v2/schemas/image",
    })
    return out


def member(m: ImageMember) -> dict[str, Any]:
    return {
        "created_at": isotime(m.created_at),
        "updated_at": isotime(m.updated_at),
        "image_id": m.image_id,
        "member_id": m.member,
        "schema": "/v2/schemas/member",
        "status": m.status,
    }
