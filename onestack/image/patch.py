"""Image updates as JSON patch, in both media types Glance accepts.

``application/openstack-images-v2.1-json-patch`` is RFC 6902:
``[{"op": "replace", "path": "/name", "value": "x"}]``; there ``add`` of an
existing attribute replaces it.  The older
``application/openstack-images-v2.0-json-patch`` writes each operation as
``{"replace": "/name", "value": "x"}`` and ``add`` of an existing attribute is a
409.  Only ``add``, ``replace`` and ``remove`` exist, on top-level paths, and —
beyond upstream, which answers 400 — on members of ``/tags`` (``/tags/0``,
``/tags/-``), because openstacksdk computes its patches with ``jsonpatch``
and so sends exactly those for a change of tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onestack.core.errors import BadRequest, Conflict, Forbidden

V21 = "application/openstack-images-v2.1-json-patch"
V20 = "application/openstack-images-v2.0-json-patch"
MEDIA_TYPES = (V21, V20)
OPS = ("add", "replace", "remove")
MAX_OPS = 1000


@dataclass(frozen=True)
class Change:
    op: str
    path: str  # the decoded top-level attribute name
    value: Any = None
    strict_add: bool = False  # v2.0: ``add`` of an existing attribute is a conflict
    index: str | None = None  # for ``/tags/<n>`` and ``/tags/-``


def _decode_pointer(pointer: Any) -> tuple[str, str | None]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise BadRequest(f"Pointer `{pointer}` does not start with \"/\".")
    parts = pointer[1:].split("/")
    if len(parts) == 2 and parts[0] == "tags" and (parts[1] == "-" or parts[1].isdigit()):
        return "tags", parts[1]
    if len(parts) != 1 or not parts[0]:
        raise BadRequest(f"Invalid JSON pointer for this resource: '{pointer}'")
    raw = parts[0]
    i = raw.find("~")
    while i != -1:
        if raw[i + 1:i + 2] not in ("0", "1"):
            raise BadRequest(f"Pointer `{pointer}` contains \"~\" not part of a recognized escape sequence.")
        i = raw.find("~", i + 2)
    return raw.replace("~1", "/").replace("~0", "~"), None


def parse(body: Any, media_type: str) -> list[Change]:
    if not isinstance(body, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    if len(body) > MAX_OPS:
        raise BadRequest("Too many operations.")
    v20 = media_type == V20
    out = []
    for raw in body:
        if not isinstance(raw, dict):
            raise BadRequest("Operations must be JSON objects.")
        if v20:
            ops = [k for k in raw if k in OPS]
            if len(ops) != 1:
                raise BadRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".')
            op, pointer = ops[0], raw[ops[0]]
        else:
            op, pointer = raw.get("op"), raw.get("path")
            if op not in OPS:
                raise BadRequest(f"Invalid operation: `{op}`.")
            if "path" not in raw:
                raise BadRequest("Unable to find `path` in operation.")
        path, index = _decode_pointer(pointer)
        if op in ("add", "replace"):
            if "value" not in raw:
                raise BadRequest(f"Operation \"{op}\" requires a member named \"value\".")
            out.append(Change(op, path, raw["value"], strict_add=v20, index=index))
        else:
            out.append(Change(op, path, index=index))
    return out


def apply(state: dict[str, Any], core: frozenset[str], changes: list[Change]) -> dict[str, Any]:
    """Apply ``changes`` to a copy of ``state`` (core attributes and custom properties
    side by side); who may change what is checked by the caller."""
    new = dict(state)
    for c in changes:
        if c.index is not None:
            new["tags"] = _tag_op(list(new.get("tags") or []), c)
            continue
        present = c.path in new
        if c.op == "add":
            if c.strict_add and present and (c.path not in core or new[c.path] is not None):
                raise Conflict(f"Property {c.path} already present.")
            new[c.path] = c.value
        elif c.op == "replace":
            if c.path not in core and not present:
                raise Conflict(f"Property {c.path} does not exist.")
            new[c.path] = c.value
        else:
            if c.path in core:
                raise Forbidden(f"Property {c.path} may not be removed.")
            if not present:
                raise Conflict(f"Property {c.path} does not exist.")
            del new[c.path]
    return new


def _tag_op(tags: list[Any], c: Change) -> list[Any]:
    if c.index == "-":
        if c.op != "add":
            raise BadRequest(f"Invalid JSON pointer for this resource: '/tags/-' with {c.op}")
        return [*tags, c.value]
    i = int(c.index or 0)
    if i > len(tags) or (c.op != "add" and i == len(tags)):
        raise Conflict(f"Tag index {i} does not exist.")
    if c.op == "add":
        tags.insert(i, c.value)
    elif c.op == "replace":
        tags[i] = c.value
    else:
        del tags[i]
    return tags
