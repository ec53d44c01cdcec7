"""Handler factories shared by every Neutron resource (the L3 modules use them too).

``crud_routes(collection, member, manager_of)`` gives the five routes of a resource
whose manager has ``list(ctx, query, url)``, ``show(ctx, id, fields)``,
``create(ctx, body_dict)``, ``update(ctx, id, body_dict, if_match)``, ``delete(ctx, id)``;
``POST`` also takes the bulk form (``{"<collection>": [...]}``), all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onestack.core.web import Call, Route
from onestack.network.manager.common import bad_request
from onestack.network.manager.listing import requested_fields

BODY = {"type": "object"}


def strip_json(value: str) -> str:
    """Neutron accepts ``/v2.0/networks/{id}.json``."""
    return value[:-5] if value.endswith(".json") else value


def member_body(call: Call, member: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or member not in body:
        raise bad_request(f"Resource body required: '{member}' is missing.")
    if not isinstance(body[member], dict):
        raise bad_request(f"Invalid input for operation: '{member}' must be an object.")
    if len(body) != 1:
        extra = sorted(k for k in body if k != member)
        raise bad_request(f"Unrecognized attribute(s) '{', '.join(extra)}'")
    return dict(body[member])


def crud_routes(collection: str, member: str, manager_of: Callable[[Any], Any], *,
                prefix: str = "/v2.0", bulk: bool = True) -> list[Route]:
    base = f"{prefix}/{collection}"

    def list_(call: Call) -> Any:
        return manager_of(call.services).list(call.ctx, call.query, call.url_for_self())

    def show(call: Call) -> Any:
        mgr = manager_of(call.services)
        return {member: mgr.show(call.ctx, strip_json(call.params["id"]), requested_fields(call.query))}

    def create(call: Call) -> Any:
        mgr = manager_of(call.services)
        body = call.body
        if bulk and isinstance(body, dict) and collection in body and member not in body:
            items = body[collection]
            if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
                raise bad_request(f"Invalid input for operation: '{collection}' must be a non-empty "
                                  "list of objects.")
            made: list[dict[str, Any]] = []
            try:
                for item in items:
                    made.append(_create(call, mgr, dict(item)))
            except BaseException:
                for m in reversed(made):
                    try:
                        mgr.delete(call.ctx, m["id"])
                    except Exception:  # best effort: the original error matters
                        pass
                raise
            return {collection: made}
        return {member: _create(call, mgr, member_body(call, member))}

    def _create(call: Call, mgr: Any, body: dict[str, Any]) -> dict[str, Any]:
        """``tags`` in a create body (``tag-creation``): set right after the create."""
        tags = body.pop("tags", None) if collection in call.services.tags.resources else None
        if tags is not None and not isinstance(tags, list):
            raise bad_request("Invalid input for tags. Reason: not a list.", "InvalidInput")
        view = mgr.create(call.ctx, body)
        if tags:
            try:
                view["tags"] = call.services.tags.replace(call.ctx, collection, view["id"], tags)
            except BaseException:
                mgr.delete(call.ctx, view["id"])
                raise
            view["revision_number"] = view.get("revision_number", 0) + 1
        return view

    def update(call: Call) -> Any:
        mgr = manager_of(call.services)
        return {member: mgr.update(call.ctx, strip_json(call.params["id"]), member_body(call, member),
                                   call.headers.get("if-match"))}

    def delete(call: Call) -> Any:
        manager_of(call.services).delete(call.ctx, strip_json(call.params["id"]))
        return None

    return [
        Route("GET", base, list_),
        Route("GET", base + ".json", list_),
        Route("POST", base, create, schema=BODY, status=201),
        Route("POST", base + ".json", create, schema=BODY, status=201),
        Route("GET", base + "/{id}", show),
        Route("PUT", base + "/{id}", update, schema=BODY),
        Route("DELETE", base + "/{id}", delete, status=204),
    ]
