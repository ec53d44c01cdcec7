""".../metadata and .../metadata/{key} of a resource (volumes, snapshots): show,
merge (POST), replace (PUT), and one key's show, set and delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest
from onestack.core.web import Call, Route
from onestack.volume.api.deps import member_of, vm
from onestack.volume.manager.metadata import Metadata

OBJ = {"type": "object"}


def routes(item: str, param: str, manager: str) -> list[Route]:
    """The metadata routes under ``item`` (``/volumes/{volume_id}``), whose id is
    the URL parameter ``param``, served by ``VolumeManager.<manager>.metadata``."""

    def store(call: Call) -> Metadata:
        return getattr(vm(call), manager).metadata  # type: ignore[no-any-return]

    def show(call: Call) -> dict[str, Any]:
        return {"metadata": store(call).get(call.ctx, call.params[param])}

    def merge(call: Call) -> dict[str, Any]:
        meta = member_of(call, "metadata")
        return {"metadata": store(call).set(call.ctx, call.params[param], meta, replace=False)}

    def replace(call: Call) -> dict[str, Any]:
        meta = member_of(call, "metadata")
        return {"metadata": store(call).set(call.ctx, call.params[param], meta, replace=True)}

    def item_show(call: Call) -> dict[str, Any]:
        return {"meta": store(call).item(call.ctx, call.params[param], call.params["key"])}

    def item_update(call: Call) -> dict[str, Any]:
        meta = member_of(call, "meta")
        if not isinstance(meta, dict) or len(meta) != 1:
            raise BadRequest("Malformed request body: 'meta' must hold exactly one item.")
        if call.params["key"] not in meta:
            raise BadRequest("Request body and URI mismatch")
        store(call).set(call.ctx, call.params[param], meta, replace=False)
        return {"meta": meta}

    def item_delete(call: Call) -> Response:
        store(call).delete(call.ctx, call.params[param], call.params["key"])
        return Response(status_code=200)

    return [
        Route("GET", item + "/metadata", show),
        Route("POST", item + "/metadata", merge, schema=OBJ),
        Route("PUT", item + "/metadata", replace, schema=OBJ),
        Route("GET", item + "/metadata/{key}", item_show),
        Route("PUT", item + "/metadata/{key}", item_update, schema=OBJ),
        Route("DELETE", item + "/metadata/{key}", item_delete),
    ]
