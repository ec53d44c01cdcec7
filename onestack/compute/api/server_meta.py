"""/servers/{id}/metadata and /servers/{id}/tags (2.26+)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.api.servers import get_authorized
from onestack.compute.microversions import Version
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call


def _meta_schema(v: Version) -> dict[str, Any]:
    return t.wrap("metadata", t.metadata_any_key)


def _meta_item_schema(v: Version) -> dict[str, Any]:
    return t.wrap("meta", {**t.metadata_any_key, "minProperties": 1, "maxProperties": 1})


def meta_index(call: Call) -> dict[str, Any]:
    inst = get_authorized(call, "server-metadata:index")
    return {"metadata": dict(inst.metadata_ or {})}


def meta_show(call: Call) -> dict[str, Any]:
    inst = get_authorized(call, "server-metadata:show")
    key = call.params["key"]
    meta = inst.metadata_ or {}
    if key not in meta:
        raise NotFound("Metadata item was not found")
    return {"meta": {key: meta[key]}}


def meta_create(call: Call) -> dict[str, Any]:
    body = d.validate(call, _meta_schema)
    inst = get_authorized(call, "server-metadata:create")
    return {"metadata": d.cm(call).meta.set_metadata(call.ctx, inst.uuid, body["metadata"], replace=False)}


def meta_replace(call: Call) -> dict[str, Any]:
    body = d.validate(call, _meta_schema)
    inst = get_authorized(call, "server-metadata:update_all")
    return {"metadata": d.cm(call).meta.set_metadata(call.ctx, inst.uuid, body["metadata"], replace=True)}


def meta_update(call: Call) -> dict[str, Any]:
    body = d.validate(call, _meta_item_schema)
    key = call.params["key"]
    if key not in body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    inst = get_authorized(call, "server-metadata:update")
    d.cm(call).meta.set_metadata(call.ctx, inst.uuid, body["meta"], replace=False)
    return {"meta": body["meta"]}


def meta_delete(call: Call) -> Response:
    inst = get_authorized(call, "server-metadata:delete")
    d.cm(call).meta.delete_metadata(call.ctx, inst.uuid, call.params["key"])
    return Response(status_code=204)


# ---- tags --------------------------------------------------------------------------
def _need_226(call: Call) -> None:
    if d.mv(call) < (2, 26):
        raise NotFound("The resource could not be found.")


def _tags_schema(v: Version) -> dict[str, Any]:
    return t.wrap("tags", {"type": "array", "items": t.tag, "maxItems": 50})


def tags_index(call: Call) -> dict[str, Any]:
    _need_226(call)
    inst = get_authorized(call, "os-server-tags:index")
    return {"tags": d.cm(call).meta.tags(call.ctx, inst.uuid)}


def tag_show(call: Call) -> Response:
    _need_226(call)
    inst = get_authorized(call, "os-server-tags:show")
    d.cm(call).meta.has_tag(call.ctx, inst.uuid, call.params["tag"])
    return Response(status_code=204)


def tags_replace(call: Call) -> dict[str, Any]:
    _need_226(call)
    body = d.validate(call, _tags_schema)
    inst = get_authorized(call, "os-server-tags:update_all")
    return {"tags": d.cm(call).meta.replace_tags(call.ctx, inst.uuid, body["tags"])}


def tag_add(call: Call) -> Response:
    _need_226(call)
    tag = call.params["tag"]
    if not tag or len(tag) > 60 or "," in tag or "/" in tag:
        raise BadRequest(f"Tag '{tag}' is invalid: 1-60 characters without ',' or '/'")
    inst = get_authorized(call, "os-server-tags:update")
    created = d.cm(call).meta.add_tag(call.ctx, inst.uuid, tag)
    location = f"{d.root(call)}/servers/{inst.uuid}/tags/{tag}"
    return Response(status_code=201 if created else 204, headers={"Location": location})


def tag_delete(call: Call) -> Response:
    _need_226(call)
    inst = get_authorized(call, "os-server-tags:delete")
    d.cm(call).meta.delete_tag(call.ctx, inst.uuid, call.params["tag"])
    return Response(status_code=204)


def tags_delete(call: Call) -> Response:
    _need_226(call)
    inst = get_authorized(call, "os-server-tags:delete_all")
    d.cm(call).meta.delete_tag(call.ctx, inst.uuid, None)
    return Response(status_code=204)
