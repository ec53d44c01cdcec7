"""The thin HTTP layer every service shares.

A service declares an explicit route table of ``Route(method, path, handler)``.
The wrapper here does, in order: authenticate (unless the route is public), parse
and validate the JSON body against the route's schema, run the handler (sync
handlers in a thread, so database work never blocks the loop), and render the
result.  Errors are rendered once, in the service's own format.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import fastjsonschema
import jsonschema
import orjson
from sqlalchemy import exc as db_exc
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router
from starlette.routing import Route as StarletteRoute

from onestack.core.context import RequestContext
from onestack.core.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ErrorFormat,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)

LOG = logging.getLogger(__name__)
MAX_JSON_BODY = 1024 * 1024
# datetimes go through ``default=str`` exactly as with the standard encoder
_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "COPY"]



_R = TypeVar("_R", bound=BaseRoute)


def whole_path(route: _R) -> _R:
    """Match ``route`` against the whole decoded path, newlines included.

    Starlette compiles ``{x:path}`` (and a ``Mount``'s remainder) to ``.*``, which stops
    at a newline, after which ``$`` matches: ``/v1/a/c/obj%0A`` reached the object store
    as ``obj``, and ``/network/v2.0/routers/%0A`` the network service as
    ``/v2.0/routers/``.  Compiled with DOTALL, the name keeps its newline."""
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)  # type: ignore[attr-defined]
    return route


def mount(path: str, app: Any) -> Mount:
    """A service under ``path`` (``whole_path``)."""
    return whole_path(Mount(path, app=app))

class Authenticator(Protocol):
    def __call__(self, token: str) -> RequestContext: ...


@dataclass(slots=True)
class Call:
    """What a handler receives: validated input and the caller's context."""

    request: Request
    ctx: RequestContext
    body: Any
    params: dict[str, str]
    query: QueryParams
    services: Any = None
    _base: str | None = None

    @property
    def headers(self) -> Any:
        return self.request.headers

    def url_for_self(self) -> str:
        return str(self.request.url).split("?", 1)[0]

    @property
    def base_url(self) -> str:
        """Where this service is mounted, e.g. ``http://host:5000/identity``."""
        if self._base is None:  # views ask once per item of a listing
            self._base = service_base(self.request)
        return self._base


def service_base(request: Request) -> str:
    root = str(request.base_url).rstrip("/")
    return root + request.scope.get("root_path", "").rstrip("/").removeprefix(
        request.scope.get("app_root_path", "")
    )


Handler = Callable[[Call], Any] | Callable[[Call], Awaitable[Any]]


@dataclass(slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    schema: Mapping[str, Any] | None = None
    public: bool = False
    status: int = 200
    body_optional: bool = False
    extra_methods: Sequence[str] = field(default_factory=tuple)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    if data is None and status in (204, 304):
        return Response(status_code=status, headers=dict(headers or {}))
    try:
        body = orjson.dumps(data, default=str, option=_ORJSON_OPTS)
    except TypeError:  # e.g. integers beyond 64 bits: the standard encoder copes
        body = json.dumps(data, separators=(",", ":"), default=str).encode()
    return Response(body, status_code=status, headers=dict(headers or {}), media_type="application/json")


def _fast_validator(schema: Mapping[str, Any]) -> Callable[[Any], Any] | None:
    try:
        return fastjsonschema.compile(dict(schema))  # type: ignore[no-any-return]
    except fastjsonschema.JsonSchemaDefinitionException:
        return None  # a schema it cannot compile: jsonschema alone decides


def _passes(fast: Callable[[Any], Any], body: Any) -> bool:
    try:
        fast(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _schema_message(err: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in err.absolute_path)
    where = f" for field '{path}'" if path else ""
    return f"Invalid input{where}: {err.message}"


class Service:
    """One API service mounted at a path prefix, with its own error format."""

    def __init__(
        self,
        name: str,
        routes: Sequence[Route],
        *,
        error_format: ErrorFormat,
        authenticate: Authenticator | None,
        services: Any = None,
        redirect_slashes: bool = True,
    ) -> None:
        self.name = name
        self.error_format = error_format
        self.authenticate = authenticate
        self.services = services
        merged: dict[str, dict[str, Route]] = {}
        for r in routes:
            merged.setdefault(r.path, {})[r.method] = r
            for m in r.extra_methods:
                merged[r.path][m] = r
        starlette_routes = [
            # every method reaches the endpoint, which answers 405 in this service's format
            whole_path(StarletteRoute(path, self._endpoint(by_method), methods=ALL_METHODS))
            for path, by_method in merged.items()
        ]
        # A bare Router: no per-service middleware stack on the hot path; the
        # endpoint wrapper renders every error in this service's format.
        # redirect_slashes=False: a trailing slash is a 404, not a redirect (Glance)
        self.app = Router(
            routes=starlette_routes, default=self._not_found, redirect_slashes=redirect_slashes
        )
        self._validators = {
            id(r): _validator(r.schema) for r in routes if r.schema is not None
        }
        # compiled validators answer "is it valid?" some twenty times faster;
        # jsonschema still writes the message for a body that is not
        self._fast = {id(r): _fast_validator(r.schema) for r in routes if r.schema is not None}

    # ---- rendering --------------------------------------------------------
    def error_response(self, err: ApiError) -> Response:
        headers = dict(err.headers)
        if err.status == 401 and self.authenticate is not None:
            headers.setdefault("WWW-Authenticate", 'Keystone uri=""')
        return json_response(self.error_format(err), err.status, headers)

    async def _not_found(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        response = self.error_response(NotFound("The resource could not be found."))
        await response(scope, receive, send)

    def _unexpected(self, request: Request) -> Response:
        LOG.exception("unexpected error in %s %s", request.method, request.url.path)
        return self.error_response(
            ApiError("An unexpected error prevented the server from fulfilling your request.")
        )

    # ---- the per-route wrapper ---------------------------------------------
    def _endpoint(self, by_method: dict[str, Route]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            route = by_method.get(request.method)
            if route is None and request.method == "HEAD":
                route = by_method.get("GET")
            if route is None:
                return self.error_response(MethodNotAllowed())
            try:
                return await self._dispatch(route, request)
            except ApiError as err:
                return self.error_response(err)
            except db_exc.IntegrityError:
                # a unique or foreign key the handler did not anticipate (or a race)
                LOG.info("integrity error in %s %s", request.method, request.url.path, exc_info=True)
                return self.error_response(Conflict("Conflict occurred attempting to store the "
                                                    "resource: it conflicts with existing data."))
            except db_exc.DataError:
                # a value the database refuses: too long, or a NUL character on PostgreSQL
                LOG.info("data error in %s %s", request.method, request.url.path, exc_info=True)
                return self.error_response(BadRequest("Invalid input: a value is too long or "
                                                      "contains characters that cannot be stored."))
            except HTTPException as exc:
                return self.error_response(ApiError(exc.detail, status=exc.status_code))
            except Exception:
                return self._unexpected(request)

        return endpoint

    async def _dispatch(self, route: Route, request: Request) -> Response:
        ctx = RequestContext(request_id="req-" + str(uuid.uuid4()))
        if not route.public:
            token = request.headers.get("x-auth-token")
            if not token:
                raise Unauthorized("The request you have made requires authentication.")
            assert self.authenticate is not None
            ctx = self.authenticate(token)
            ctx.request_id = ctx.request_id or "req-" + str(uuid.uuid4())
        body: Any = None
        if request.method in ("POST", "PUT", "PATCH"):
            body = await self._read_json(request, route)
        call = Call(
            request=request,
            ctx=ctx,
            body=body,
            params=dict(request.path_params),
            query=request.query_params,
            services=self.services,
        )
        handler = route.handler
        if inspect.iscoroutinefunction(handler):
            result = await handler(call)
        else:
            result = await run_in_threadpool(handler, call)
        if isinstance(result, Response):
            response = result
        else:
            response = json_response(result, route.status)
        response.headers.setdefault("x-openstack-request-id", ctx.request_id)
        if request.method == "HEAD":
            response.body = b""
        return response

    async def _read_json(self, request: Request, route: Route) -> Any:
        if route.schema is None and not route.body_optional:
            return None
        raw = await request.body()
        if len(raw) > MAX_JSON_BODY:
            raise PayloadTooLarge("Request is too large.")
        if not raw.strip():
            if route.body_optional:
                return None
            raise BadRequest("Expecting to find a JSON body in the request.")
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
        if ctype and ctype not in ("application/json",) and not ctype.endswith("+json"):
            raise UnsupportedMediaType(f"Content type {ctype} is not supported.")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("Malformed request body: not valid JSON.") from None
        if route.schema is not None:
            fast = self._fast[id(route)]
            if fast is None or not _passes(fast, body):
                validator = self._validators[id(route)]
                err = jsonschema.exceptions.best_match(validator.iter_errors(body))
                if err is not None:
                    raise BadRequest(_schema_message(err))
        return body
