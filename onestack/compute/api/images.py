"""The image proxy (``/images``, ``/images/{id}/metadata``), removed at 2.36.

Nova reads and writes the image service on the caller's behalf, with the
caller's token, so what may be seen or changed is Glance's policy; the view is
nova's (``nova/api/openstack/compute/views/images.py``): ``minRam``,
``minDisk``, ``metadata`` (the custom properties), ``status`` in capitals,
``progress``, ``OS-EXT-IMG-SIZE:size`` and, for snapshots, ``server``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call

# the Glance attributes that are not custom properties
_CORE = {
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum", "os_hash_algo",
    "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format",
    "container_format", "created_at", "updated_at", "tags", "self", "file", "schema", "direct_url",
    "locations", "stores",
}
_STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "importing": "SAVING",
           "uploading": "SAVING", "deleted": "DELETED", "pending_delete": "DELETED", "killed": "ERROR",
           "deactivated": "ERROR"}
_PROGRESS = {"queued": 25, "saving": 50, "active": 100}
# nova's filter names -> what the image list understands
_FILTERS = {"name": "name", "status": "status", "server": "instance_uuid", "type": "image_type",
            "minRam": "min_ram", "minDisk": "min_disk"}
META_MAX = 128


def _images(call: Call) -> Any:
    if d.mv(call) > (2, 35):
        raise NotFound("The resource could not be found.")
    img = d.cm(call).image
    if img is None:
        raise NotFound("The image service is not enabled in this cloud.")
    return img


def _glance_url(call: Call) -> str:
    # the image service is mounted beside compute, at /image
    return call.base_url.rsplit("/compute", 1)[0] + "/image"


def _links(call: Call, image_id: str) -> list[dict[str, str]]:
    out = d.links(call, "images", image_id)
    out.append({"rel": "alternate", "type": "application/vnd.openstack.image",
                "href": f"{_glance_url(call)}/images/{image_id}"})
    return out


def metadata_of(image: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in image.items() if k not in _CORE}


def _detail(call: Call, image: dict[str, Any]) -> dict[str, Any]:
    meta = metadata_of(image)
    out: dict[str, Any] = {
        "id": image["id"], "name": image.get("name"),
        "minRam": int(image.get("min_ram") or 0), "minDisk": int(image.get("min_disk") or 0),
        "metadata": meta, "created": image.get("created_at"), "updated": image.get("updated_at"),
        "status": _STATUS.get(image.get("status") or "", "UNKNOWN"),
        "progress": _PROGRESS.get(image.get("status") or "", 0),
        "OS-EXT-IMG-SIZE:size": image.get("size"),
        "links": _links(call, image["id"]),
    }
    server = meta.get("instance_uuid")
    if server:
        out["server"] = {"id": server, "links": d.links(call, "servers", server)}
    auto = meta.get("auto_disk_config")
    if auto is not None:
        out["OS-DCF:diskConfig"] = "AUTO" if str(auto).lower() in ("1", "t", "true", "on", "y", "yes") else "MANUAL"
    return out


def _list(call: Call) -> tuple[list[dict[str, Any]], int | None]:
    from onestack.image import query

    img = _images(call)
    q = call.query
    lq = query.ListQuery(limit=1000)
    limit = d.qint(call, "limit")
    if limit is not None:
        lq.limit = limit
    lq.marker = q.get("marker") or None
    for name, value in q.items():
        key = _FILTERS.get(name)
        if name.startswith("property-"):
            lq.properties[name[len("property-"):]] = value
        elif key in ("name", "status"):
            lq.in_filters[key] = [value.lower() if key == "status" else value]
        elif key in ("instance_uuid", "image_type"):
            lq.properties[key] = value.rsplit("/", 1)[-1] if key == "instance_uuid" else value
        elif key in ("min_ram", "min_disk"):
            try:
                lq.eq_filters[key] = int(value)
            except ValueError:
                raise BadRequest(f"Invalid {name} filter: {value}") from None
        elif name == "changes-since":
            try:
                when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise BadRequest(f"Invalid changes-since value: {value}") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            lq.time_filters["updated_at"] = [("gte", when)]
    images, _ = img.list_images(call.ctx, lq)
    return images, limit


def _page(call: Call, images: list[dict[str, Any]], limit: int | None, out: dict[str, Any]) -> dict[str, Any]:
    nxt = d.next_link(call, "images", images, limit, lambda i: i["id"])
    if nxt:
        out["images_links"] = nxt
    return out


def index(call: Call) -> dict[str, Any]:
    images, limit = _list(call)
    return _page(call, images, limit, {"images": [
        {"id": i["id"], "name": i.get("name"), "links": _links(call, i["id"])} for i in images]})


def detail(call: Call) -> dict[str, Any]:
    images, limit = _list(call)
    return _page(call, images, limit, {"images": [_detail(call, i) for i in images]})


def show(call: Call) -> dict[str, Any]:
    return {"image": _detail(call, _images(call).get_image(call.ctx, call.params["image_id"]))}


def delete(call: Call) -> Response:
    _images(call).delete_image(call.ctx, call.params["image_id"])
    return Response(status_code=204)


# ---- /images/{id}/metadata -------------------------------------------------------------
def _meta(call: Call) -> dict[str, Any]:
    return metadata_of(_images(call).get_image(call.ctx, call.params["image_id"]))


def _set(call: Call, new: dict[str, Any], *, replace: bool) -> dict[str, Any]:
    from onestack.image.patch import Change

    img = _images(call)
    current = _meta(call)
    merged = dict(new) if replace else {**current, **new}
    if len(merged) > META_MAX:
        from onestack.compute.manager.common import QuotaExceeded

        raise QuotaExceeded("Quota exceeded for metadata_items")
    changes = [Change("remove", k) for k in current if k not in merged]
    changes += [Change("add", k, v) for k, v in merged.items() if current.get(k) != v]
    if changes:
        return metadata_of(img.update_image(call.ctx, call.params["image_id"], changes))
    return current


def _body_meta(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    meta = body.get(key) if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        raise BadRequest("Malformed request body")
    for k, v in meta.items():
        if not isinstance(k, str) or not k or len(k) > 255:
            raise BadRequest(f"Invalid metadata key: {k!r}")
        if not isinstance(v, str) or len(v) > 255:
            raise BadRequest(f"Invalid metadata value for {k}")
        if k in _CORE:
            raise BadRequest(f"Invalid metadata key: {k}")
    return meta


def meta_index(call: Call) -> dict[str, Any]:
    return {"metadata": _meta(call)}


def meta_create(call: Call) -> dict[str, Any]:
    return {"metadata": _set(call, _body_meta(call, "metadata"), replace=False)}


def meta_replace(call: Call) -> dict[str, Any]:
    return {"metadata": _set(call, _body_meta(call, "metadata"), replace=True)}


def meta_show(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    meta = _meta(call)
    if key not in meta:
        raise NotFound("Image not found.")
    return {"meta": {key: meta[key]}}


def meta_update(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    meta = _body_meta(call, "meta")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    _set(call, meta, replace=False)
    return {"meta": meta}


def meta_delete(call: Call) -> Response:
    from onestack.image.patch import Change

    key = call.params["key"]
    if key not in _meta(call):
        raise NotFound(f"Image {call.params['image_id']} has no metadata key {key}")
    _images(call).update_image(call.ctx, call.params["image_id"], [Change("remove", key)])
    return Response(status_code=204)
