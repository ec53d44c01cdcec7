"""What every object-store handler shares: the call, metadata headers, access checks."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden, Unauthorized
from onestack.object_store.manager import ContainerInfo, ObjectStoreManager

T = TypeVar("T")
WRITE_ROLES = {"admin", "member", "swiftoperator"}
RESELLER_ROLE = "ResellerAdmin"
TEMPURL_DIGESTS = {40: "sha1", 64: "sha256", 128: "sha512"}


@dataclass
class SwiftCall:
    request: Request
    mgr: ObjectStoreManager
    ctx: RequestContext | None
    project_id: str
    account: str
    container: str
    obj: str
    trans_id: str
    owner: bool = False  # the account's owner (or a reseller admin): sees ACLs, sysmeta
    reseller: bool = False
    tempurl: bool = False

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)


def meta_updates(headers: Any, kind: str) -> dict[str, str | None]:
    """``X-<Kind>-Meta-Foo: v`` -> {"foo": "v"}; ``X-Remove-<Kind>-Meta-Foo`` -> {"foo": None}."""
    out: dict[str, str | None] = {}
    set_p, rm_p = f"x-{kind}-meta-", f"x-remove-{kind}-meta-"
    for k, v in headers.items():
        k = k.lower()
        if k.startswith(set_p) and len(k) > len(set_p):
            out[k[len(set_p):]] = v.strip()
        elif k.startswith(rm_p) and len(k) > len(rm_p):
            out[k[len(rm_p):]] = None
    return out


def meta_headers(meta: dict[str, str], kind: str) -> dict[str, str]:
    prefix = f"X-{kind.title()}-Meta-"
    return {prefix + "-".join(p.capitalize() for p in k.split("-")): v for k, v in meta.items()}


def parse_int(v: str, what: str) -> int:
    try:
        return int(v)
    except ValueError:
        raise BadRequest(f"Non-integer {what}") from None


# ---- access ---------------------------------------------------------------------
def _acl_items(acl: str | None) -> list[str]:
    return [i.strip() for i in (acl or "").split(",") if i.strip()]


def acl_allows(acl: str | None, ctx: RequestContext | None, *, read: bool, listing: bool = False) -> bool:
    """Swift container ACLs: ``.r:*`` (anyone may read objects), ``.rlistings``
    (and list), ``project:user`` with ``*`` wildcards (ids or names)."""
    items = _acl_items(acl)
    if read:
        referrer_ok = any(i in (".r:*", ".r:.*") or i == ".r:" for i in items)
        if referrer_ok and (not listing or ".rlistings" in items):
            return True
    if ctx is None or not ctx.authenticated:
        return False
    tok = ctx.token or {}
    projects = {"*", ctx.project_id, (tok.get("project") or {}).get("name")}
    users = {"*", ctx.user_id, (tok.get("user") or {}).get("name")}
    for item in items:
        if item.startswith("."):
            continue
        p, sep, u = item.partition(":")
        if sep and p in projects and u in users:
            return True
    return False


def authorize(call: SwiftCall, container: ContainerInfo | None, *, write: bool,
              listing: bool = False) -> None:
    """Owner (member/admin, reader read-only), ResellerAdmin, else the container's ACL."""
    ctx = call.ctx
    if call.tempurl:
        return
    if ctx is not None:
        roles = set(ctx.roles)
        if RESELLER_ROLE in roles:
            call.owner = call.reseller = True
            return
        if ctx.project_id == call.project_id:
            if roles & WRITE_ROLES:
                call.owner = True
                return
            if "reader" in roles:
                if write:
                    raise Forbidden()
                call.owner = True
                return
    if container is not None and (call.obj or listing):
        acl = container.sysmeta.get("write_acl" if write else "read_acl")
        if acl_allows(acl, ctx, read=not write, listing=listing):
            return
    if ctx is None:
        raise Unauthorized()
    raise Forbidden()


# ---- temp URLs ------------------------------------------------------------------
def _parse_expires(v: str) -> int | None:
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return int(dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())
    except ValueError:
        return None


def _digest_of(sig: str) -> tuple[str, bytes] | None:
    if ":" in sig:
        algo, _, b64 = sig.partition(":")
        if algo not in ("sha1", "sha256", "sha512"):
            return None
        try:
            raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except (binascii.Error, ValueError):
            return None
        return algo, raw
    hex_algo = TEMPURL_DIGESTS.get(len(sig))
    if hex_algo is None:
        return None
    try:
        return hex_algo, bytes.fromhex(sig)
    except ValueError:
        return None


def tempurl_valid(call: SwiftCall, keys: list[str], paths: list[str]) -> bool:
    """``hmac(key, "METHOD\\nexpires\\npath")`` with sha1/sha256/sha512 (hex or ``algo:b64``)."""
    q = call.query
    expires = _parse_expires(q.get("temp_url_expires", ""))
    parsed = _digest_of(q.get("temp_url_sig", ""))
    if expires is None or parsed is None or expires < time.time() or not keys:
        return False
    algo, want = parsed
    methods = [call.method] if call.method != "HEAD" else ["HEAD", "GET", "PUT"]
    for key in keys:
        for m in methods:
            for path in paths:
                msg = f"{m}\n{q['temp_url_expires']}\n{path}".encode()
                got = hmac.new(key.encode(), msg, getattr(hashlib, algo)).digest()
                if hmac.compare_digest(got, want):
                    return True
    return False
