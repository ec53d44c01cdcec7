"""``/v2/images``: create, list (filters, sort, pages), show, JSON-patch update,
delete, deactivate and reactivate."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import Response

from onestack.core.errors import BadRequest, UnsupportedMediaType
from onestack.core.web import Call, Route, json_response
from onestack.image import patch, query, schemas
from onestack.image.api.common import media_type, mgr, no_content, parse_bool, read_json, run

IMAGES = "/v2/images"
IMAGE = "/v2/images/{image_id}"
PAGING = {"limit", "marker", "sort_key", "sort_dir", "sort"}
SORT_DIRS = ("asc", "desc")


# ---- list -------------------------------------------------------------------------------
def _split_in(value: str) -> list[str]:
    """``in:a,"b,c",d`` -> [a, "b,c", d] (upstream's quoting)."""
    try:
        row = next(csv.reader([value], skipinitialspace=True))
    except (csv.Error, StopIteration):
        raise BadRequest(f"Invalid filter value {value}. The quote is not closed.") from None
    return [v.strip() for v in row]


def _when(value: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequest(f"Invalid date format: {value}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t


def _time_filter(name: str, expr: str) -> tuple[str, dt.datetime]:
    """Upstream's ``split_filter_op``: ``gte:2020-01-01T00:00:00Z``; no operator means eq."""
    left, sep, right = expr.partition(":")
    if sep and left in query.TIME_OPS:
        return left, _when(right)
    if sep and left.isalpha():
        raise BadRequest(f"Unable to filter on {name} with unknown operator '{left}'.")
    return "eq", _when(expr)


def _int(name: str, value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"{name} param must be an integer") from None
    if n < 0:
        raise BadRequest(f"{name} param must be positive")
    return n


def _sort(q: QueryParams) -> list[tuple[str, str]]:
    keys: list[tuple[str, str | None]] = []
    if "sort" in q:
        if "sort_key" in q or "sort_dir" in q:
            raise BadRequest("The 'sort' parameter cannot be combined with 'sort_key' or 'sort_dir'.")
        for item in q["sort"].split(","):
            key, _, given = item.strip().partition(":")
            keys.append((key.strip(), given.strip() or None))
        dirs_given: list[str] = []
    else:
        keys = [(k.strip(), None) for k in q.getlist("sort_key")]
        dirs_given = [d.strip() for d in q.getlist("sort_dir")]
        if not keys:
            keys = [("created_at", None)]
        if len(dirs_given) > 1 and len(dirs_given) != len(keys):
            raise BadRequest("Number of sort dirs does not match the number of sort keys")
    out: list[tuple[str, str]] = []
    for i, (key, d) in enumerate(keys):
        if key not in query.SORT_COLUMNS:
            raise BadRequest(f"Invalid sort key: {key}. It must be one of the following: "
                             f"{', '.join(query.SORT_COLUMNS)}.")
        direction: str = d or (dirs_given[i] if len(dirs_given) > 1 else (dirs_given[0] if dirs_given else "desc"))
        if direction not in SORT_DIRS:
            raise BadRequest(f"Invalid sort direction: {direction}")
        if key in (k for k, _ in out):
            raise BadRequest(f"Sort key {key} given more than once.")
        out.append((key, direction))
    return out


def parse_list(call: Call) -> query.ListQuery:
    q = call.query
    conf = mgr(call).conf.image
    lq = query.ListQuery(limit=conf.list_limit_default, sort=_sort(q))
    if "limit" in q:
        lq.limit = min(_int("limit", q["limit"]), conf.list_limit_max)
    lq.marker = q.get("marker") or None
    lq.tags = q.getlist("tag")
    for name, value in q.items():  # the last value of each name
        if name in PAGING or name == "tag":
            continue
        if "\x00" in value:
            raise BadRequest("Invalid character in filter value.")
        if name == "visibility":
            if value not in (*schemas.VISIBILITIES, "all"):
                raise BadRequest(f"Invalid visibility value: {value}")
            lq.visibility = value
        elif name == "member_status":
            if value not in (*schemas.MEMBER_STATUSES, "all"):
                raise BadRequest(f"Invalid status value: {value}")
            lq.member_status = value
        elif name == "os_hidden":
            lq.os_hidden = parse_bool(name, value)
        elif name == "protected":
            lq.protected = parse_bool(name, value)
        elif name in ("size_min", "size_max"):
            setattr(lq, name, _int(name, value))
        elif name in query.TIME_COLUMNS:
            lq.time_filters[name] = [_time_filter(name, value)]
        elif name in query.IN_COLUMNS:
            values = _split_in(value[3:]) if value.startswith("in:") else [value]
            if name == "status":
                bad = [v for v in values if v not in schemas.STATUSES]
                if bad:
                    raise BadRequest(f"Invalid status value: {bad[0]}")
            lq.in_filters[name] = values
        elif name in query.INT_EQ:
            lq.eq_filters[name] = _int(name, value)
        elif name in query.EQ_COLUMNS:
            lq.eq_filters[name] = value
        else:
            lq.properties[name] = value
    return lq


def index(call: Call) -> dict[str, Any]:
    lq = parse_list(call)
    images, next_marker = mgr(call).list_images(call.ctx, lq)
    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    body: dict[str, Any] = {
        "images": images,
        "first": IMAGES + ("?" + urlencode(params) if params else ""),
        "schema": "/v2/schemas/images",
    }
    if next_marker is not None:
        body["next"] = IMAGES + "?" + urlencode([*params, ("marker", next_marker)])
    return body


# ---- one image ----------------------------------------------------------------------------
def create(call: Call) -> Response:
    m = mgr(call)
    image = m.create_image(call.ctx, call.body)
    headers = {
        "Location": f"{call.base_url}/v2/images/{image['id']}",
        "OpenStack-image-import-methods": ",".join(m.import_methods()),
    }
    return json_response(image, 201, headers)


def show(call: Call) -> dict[str, Any]:
    return mgr(call).get_image(call.ctx, call.params["image_id"])


async def update(call: Call) -> dict[str, Any]:
    ctype = media_type(call)
    if ctype not in patch.MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Unsupported Content-Type {ctype or '(none)'}: use one of {', '.join(patch.MEDIA_TYPES)}",
            headers={"Accept-Patch": ", ".join(patch.MEDIA_TYPES)},
        )
    changes = patch.parse(await read_json(call), ctype)
    result: dict[str, Any] = await run(mgr(call).update_image, call.ctx, call.params["image_id"], changes)
    return result


def delete(call: Call) -> Response:
    mgr(call).delete_image(call.ctx, call.params["image_id"])
    return no_content()


def deactivate(call: Call) -> Response:
    mgr(call).deactivate(call.ctx, call.params["image_id"])
    return no_content()


def reactivate(call: Call) -> Response:
    mgr(call).reactivate(call.ctx, call.params["image_id"])
    return no_content()


ROUTES = [
    Route("GET", IMAGES, index),
    Route("POST", IMAGES, create, schema={"type": "object"}),
    Route("GET", IMAGE, show),
    Route("PATCH", IMAGE, update),
    Route("DELETE", IMAGE, delete),
    Route("POST", IMAGE + "/actions/deactivate", deactivate),
    Route("POST", IMAGE + "/actions/reactivate", reactivate),
]
