"""Listing query parameters, shared by account and container GET."""

from __future__ import annotations

from onestack.object_store.api.common import SwiftCall
from onestack.object_store.errors import PreconditionFailed
from onestack.object_store.manager import ListParams


def params(call: SwiftCall, max_limit: int) -> ListParams:
    q = call.query
    limit = max_limit
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError:
            raise PreconditionFailed("Value of limit must be an integer") from None
        if limit < 0:
            raise PreconditionFailed("Value of limit must be a positive integer")
        if limit > max_limit:
            raise PreconditionFailed(f"Maximum limit is {max_limit}")
    delimiter = q.get("delimiter", "")
    if len(delimiter) > 1:
        raise PreconditionFailed("Bad delimiter")
    return ListParams(
        prefix=q.get("prefix", ""),
        delimiter=delimiter,
        marker=q.get("marker", ""),
        end_marker=q.get("end_marker", ""),
        limit=limit,
        reverse=q.get("reverse", "").lower() in ("1", "true", "yes", "on", "t", "y"),
    )
