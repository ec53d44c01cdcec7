"""Attribute validation as Neutron's API layer does it (``neutron_lib.api.attributes``
and ``validators``): unknown attributes, read-only ones, type checks and
conversions, with upstream's messages (all 400)."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onestack.core.context import RequestContext
from onestack.network.manager import common
from onestack.network.manager.common import bad_request

Check = Callable[[str, Any], Any]
MISSING: Any = object()
MAC_RE = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


@dataclass(frozen=True)
class Attr:
    check: Check
    post: bool = True
    put: bool = True


def validate(body: dict[str, Any], spec: dict[str, Attr], *, create: bool) -> dict[str, Any]:
    unknown = [k for k in body if k not in spec and k not in ("tenant_id", "project_id")]
    if unknown:
        raise bad_request(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
    out: dict[str, Any] = {}
    for k, v in body.items():
        if k in ("tenant_id", "project_id"):
            if not create:
                raise bad_request(f"Cannot update read-only attribute {k}")
            out[k] = string(64)(k, v)
            continue
        a = spec[k]
        if create and not a.post:
            raise bad_request(f"Attribute '{k}' not allowed in POST")
        if not create and not a.put:
            raise bad_request(f"Cannot update read-only attribute {k}")
        out[k] = a.check(k, v)
    return out


def owner(ctx: RequestContext, values: dict[str, Any], is_admin: bool) -> str:
    """The project a new resource belongs to (``project_id``/``tenant_id``)."""
    pid, tid = values.pop("project_id", None), values.pop("tenant_id", None)
    if pid and tid and pid != tid:
        raise bad_request("'project_id' and 'tenant_id' do not match")
    wanted = pid or tid
    if wanted and wanted != ctx.project_id and not is_admin:
        raise bad_request("Specifying 'project_id' or 'tenant_id' other than the authenticated "
                          "project in request requires admin privileges")
    result = wanted or ctx.project_id
    if not result:
        raise bad_request("Running without keystone AuthN requires that tenant_id is specified")
    return str(result)


def fail(name: str, reason: str) -> Exception:
    return bad_request(f"Invalid input for {name}. Reason: {reason}.")


def string(max_len: int | None = 255, *, nullable: bool = False) -> Check:
    def check(name: str, v: Any) -> Any:
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise fail(name, f"'{v}' is not a valid string")
        if max_len is not None and len(v) > max_len:
            raise fail(name, f"'{v}' exceeds maximum length of {max_len}")
        return v
    return check


def boolean(name: str, v: Any) -> bool:
    return common.boolean(v, name, "HTTPBadRequest")


def integer(lo: int | None = None, hi: int | None = None, *, nullable: bool = False) -> Check:
    def check(name: str, v: Any) -> Any:
        if v is None and nullable:
            return None
        if isinstance(v, bool):
            raise fail(name, f"'{v}' is not an integer")
        try:
            n = int(v)
            if isinstance(v, float) and n != v:
                raise ValueError
        except (TypeError, ValueError):
            raise fail(name, f"'{v}' is not an integer") from None
        if lo is not None and n < lo:
            raise fail(name, f"'{n}' should be greater than or equal to {lo}")
        if hi is not None and n > hi:
            raise fail(name, f"'{n}' should be less than or equal to {hi}")
        return n
    return check


def uuid_str(*, nullable: bool = False) -> Check:
    def check(name: str, v: Any) -> Any:
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise fail(name, f"'{v}' is not a valid UUID")
        try:
            uuid.UUID(v)
        except ValueError:
            raise fail(name, f"'{v}' is not a valid UUID") from None
        return v
    return check


def ip_address(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise fail(name, f"'{v}' is not a valid IP address")
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        raise fail(name, f"'{v}' is not a valid IP address") from None


def nullable_ip(name: str, v: Any) -> str | None:
    return None if v is None else ip_address(name, v)


def cidr(name: str, v: Any) -> str:
    if not isinstance(v, str) or "/" not in v:
        raise fail(name, f"'{v}' is not a valid IP subnet")
    try:
        ipaddress.ip_interface(v)
    except ValueError:
        raise fail(name, f"'{v}' is not a valid IP subnet") from None
    return v


def cidr_or_ip(name: str, v: Any) -> str:
    if isinstance(v, str) and "/" in v:
        return cidr(name, v)
    return ip_address(name, v)


def mac(name: str, v: Any) -> str:
    if not isinstance(v, str) or not MAC_RE.match(v):
        raise fail(name, f"'{v}' is not a valid MAC address")
    value = v.lower().replace("-", ":")
    if value == "00:00:00:00:00:00" or int(value[:2], 16) & 1:
        raise fail(name, f"'{v}' is not a valid MAC address")
    return value


def string_list(max_item: int = 255) -> Check:
    def check(name: str, v: Any) -> Any:
        if not isinstance(v, list):
            raise fail(name, f"'{v}' is not a list")
        return [string(max_item)(name, x) for x in v]
    return check


def dict_value(name: str, v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise fail(name, f"'{v}' is not a dictionary")
    return v


def any_value(name: str, v: Any) -> Any:
    return v
