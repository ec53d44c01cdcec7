"""The object store's one route table, and the thin dispatcher in front of it.

Swift differs from the JSON services enough that it does not use
``core.web.Service``: errors are short HTML/plain bodies, bodies stream both ways
(handlers are async and never read a whole body), and a request may be allowed
without a token (temp URLs, public-read container ACLs).  The route table stays
explicit; authentication still goes through the identity service's validator.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import Router

from onestack.core.context import RequestContext
from onestack.core.errors import ApiError, Forbidden, MethodNotAllowed, Unauthorized
from onestack.core.web import Authenticator, whole_path
from onestack.object_store import views
from onestack.object_store.api import account, container, formpost, info, obj
from onestack.object_store.api.common import SwiftCall, authorize, tempurl_valid
from onestack.object_store.manager import ObjectStoreManager

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Callable[[SwiftCall], Awaitable[Response]]
    public: bool = False

ACCOUNT = "/v1/{account}"
CONTAINER = "/v1/{account}/{container}"
OBJECT = "/v1/{account}/{container}/{obj:path}"

ROUTES: list[Route] = [
    Route("GET", "/info", info.get, public=True),
    Route("GET", "/healthcheck", info.healthcheck, public=True),
    Route("HEAD", "/healthcheck", info.healthcheck, public=True),
    Route("GET", "/crossdomain.xml", info.crossdomain, public=True),
    Route("GET", ACCOUNT, account.get),
    Route("HEAD", ACCOUNT, account.head),
    Route("POST", ACCOUNT, account.post),
    Route("PUT", ACCOUNT, account.put),
    Route("DELETE", ACCOUNT, account.delete),
    Route("GET", CONTAINER, container.get),
    Route("HEAD", CONTAINER, container.head),
    Route("PUT", CONTAINER, container.put),
    Route("POST", CONTAINER, container.post),
    Route("DELETE", CONTAINER, container.delete),
    Route("GET", OBJECT, obj.get),
    Route("HEAD", OBJECT, obj.head),
    Route("PUT", OBJECT, obj.put),
    Route("POST", OBJECT, obj.post),
    Route("DELETE", OBJECT, obj.delete),
    Route("COPY", OBJECT, obj.copy),
]

# Which routes read (GET/HEAD) and which write, for access checks before the handler.
READS = {"GET", "HEAD"}


def trans_id() -> str:
    return f"tx{uuid.uuid4().hex[:21]}-{int(time.time()):010x}"


def error_response(err: ApiError, method: str, tid: str) -> Response:
    headers = {**err.headers, "X-Trans-Id": tid, "X-Openstack-Request-Id": tid}
    if err.status == 401:
        headers.setdefault("WWW-Authenticate", 'Swift realm="unknown"')
    if err.status in (304,):
        return Response(b"", err.status, headers=headers)
    body, ctype = views.error_body(err.status, err.message)
    if method == "HEAD":
        headers["Content-Length"] = "0"
        body = b""
    return Response(body, err.status, headers=headers, media_type=ctype)


class App:
    def __init__(self, mgr: ObjectStoreManager, authenticate: Authenticator | None,
                 cached_auth: Callable[[str], RequestContext | None] | None = None) -> None:
        self.mgr = mgr
        self.authenticate = authenticate
        # answers from the token cache without I/O, or None: then ``authenticate``
        # runs in a thread (it may read the database)
        self.cached_auth = cached_auth
        self.prefix = mgr.conf.object_store.reseller_prefix
        by_path: dict[str, dict[str, Route]] = {}
        for r in ROUTES:
            by_path.setdefault(r.path, {})[r.method] = r
        self.container_routes = by_path[CONTAINER]
        # a bare Router, as core.web's services: the endpoint renders every error
        self.app = Router(routes=[
            whole_path(StarletteRoute(path, self._endpoint(methods), methods=list(methods)))
            for path, methods in by_path.items()
        ])

    def _endpoint(self, methods: dict[str, Route]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            tid = trans_id()
            route = methods.get(request.method)
            if request.path_params.get("obj") == "":  # "/v1/a/c/" is the container
                route = self.container_routes.get(request.method)
            try:
                if route is None:
                    raise MethodNotAllowed()
                if route.public:
                    resp = await route.handler(self._call(request, tid, "", public=True))
                elif (request.path_params.get("container")
                      and formpost.is_formpost(request.method, request.headers.get("content-type", ""))):
                    resp = await formpost.post(self._formpost_call(request, tid))
                else:
                    call = await self._authenticated(request, tid)
                    resp = await route.handler(call)
            except ApiError as err:
                return error_response(err, request.method, tid)
            except ClientDisconnect:  # nothing was stored; nobody reads this answer (Swift logs a 499)
                LOG.info("client disconnected during %s %s (%s)", request.method, request.url.path, tid)
                return Response(status_code=499)
            except Exception:
                LOG.exception("unexpected error in %s %s", request.method, request.url.path)
                return error_response(ApiError(), request.method, tid)
            resp.headers.setdefault("X-Trans-Id", tid)
            resp.headers.setdefault("X-Openstack-Request-Id", tid)
            return resp  # type: ignore[no-any-return]

        return endpoint

    def _call(self, request: Request, tid: str, project_id: str, public: bool = False) -> SwiftCall:
        p = request.path_params
        return SwiftCall(request=request, mgr=self.mgr, ctx=None, project_id=project_id,
                         account=p.get("account", ""), container=p.get("container", ""),
                         obj=p.get("obj", ""), trans_id=tid)

    def _formpost_call(self, request: Request, tid: str) -> SwiftCall:
        """A form POST is authorized by its signature (checked by the handler)."""
        acct = request.path_params["account"]
        if not acct.startswith(self.prefix):
            raise Unauthorized()
        call = self._call(request, tid, acct[len(self.prefix):])
        call.tempurl = True
        return call

    async def _authenticated(self, request: Request, tid: str) -> SwiftCall:
        acct = request.path_params["account"]
        token = request.headers.get("x-auth-token") or request.headers.get("x-storage-token")
        project_id = acct[len(self.prefix):] if acct.startswith(self.prefix) else ""
        call = self._call(request, tid, project_id)
        if not project_id:
            raise Forbidden() if token else Unauthorized()
        q = request.query_params
        if call.obj and "temp_url_sig" in q and "temp_url_expires" in q:
            if await call.run(self._tempurl, call):
                call.tempurl = True
                return call
            raise Unauthorized("Temp URL invalid")
        if token:
            if self.authenticate is None:
                raise Unauthorized()
            ctx = self.cached_auth(token) if self.cached_auth is not None else None
            call.ctx = ctx if ctx is not None else await call.run(self.authenticate, token)
        write = request.method not in READS
        needs_container = not (call.ctx and (
            "ResellerAdmin" in call.ctx.roles or call.ctx.project_id == project_id))
        cont = None
        if needs_container and call.container:
            cont = await call.run(self.mgr.find_container, project_id, call.container)
        authorize(call, cont, write=write, listing=bool(call.container) and not call.obj)
        return call

    def _tempurl(self, call: SwiftCall) -> bool:
        if call.method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            return False
        acct = self.mgr.account_info(call.project_id)
        keys = [v for k, v in acct.meta.items() if k in ("temp-url-key", "temp-url-key-2")]
        cont = self.mgr.find_container(call.project_id, call.container)
        if cont is not None:
            keys += [v for k, v in cont.meta.items() if k in ("temp-url-key", "temp-url-key-2")]
        root = call.request.scope.get("root_path", "")
        prefix = call.query.get("temp_url_prefix")
        if prefix is None:
            path = f"/v1/{call.account}/{call.container}/{call.obj}"
            return tempurl_valid(call, keys, [path, root + path])
        # A prefix-based temp URL signs "prefix:/v1/a/c/<prefix>" and covers every
        # object whose name starts with <prefix>.
        if not call.obj.startswith(prefix):
            return False
        path = f"/v1/{call.account}/{call.container}/{prefix}"
        return tempurl_valid(call, keys, ["prefix:" + path, "prefix:" + root + path])


def build(mgr: ObjectStoreManager, authenticate: Authenticator | None,
          cached_auth: Callable[[str], RequestContext | None] | None = None) -> Router:
    return App(mgr, authenticate, cached_auth).app
