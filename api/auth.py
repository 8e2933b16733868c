"""Authentication: every request but the open ones proves who it is first.

Two ways, either or both:

* static API keys (`STEADYGRAPH_API_KEYS`, comma-separated so a key can be
  rotated): the request's `x-api-key` header must be one of them;
* the project's `@auth.authenticate` (langgraph.json `auth.path`), called with
  the arguments it declares; what it returns becomes the caller that services
  authorize (`steadygraph.auth.authorize`) and runs carry.

With both, the API key is checked first. `/ok`, `/info`, `/metrics`, `/docs` and
`/openapi.json` stay open, as in LangGraph Server.
"""

from __future__ import annotations

import hmac
import inspect
import logging
from collections.abc import Sequence
from typing import Any

from langgraph_sdk import Auth
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from steadygraph.auth.context import Caller, acting_as
from steadygraph.auth.users import InvalidUser, to_user
from steadygraph.config.settings import Settings

log = logging.getLogger(__name__)

# /metrics too: a Prometheus scraper carries no API key (as LangGraph Server's
# /metrics, it tells counts and timings, no content).
OPEN_PATHS = frozenset(
    {"/ok", "/info", "/metrics", "/docs", "/docs/oauth2-redirect", "/openapi.json"}
)


class Unauthenticated(Exception):
    def __init__(
        self, status_code: int, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


class AuthMiddleware:
    """ASGI middleware in front of every route (so MCP and A2A too)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        auth: Auth | None,
        api_keys: Sequence[str],
        router: Router,
        open_routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.app = app
        # The routes of langgraph.json's `http.app`, unless it sets
        # `enable_custom_route_auth` (LangGraph Server leaves them open too).
        self.open_routes = list(open_routes)
        self.auth = auth
        self.api_keys = [key.encode() for key in api_keys]
        self.router = router
        handler = auth._authenticate_handler if auth is not None else None
        self.authenticate = handler
        self.declared = set(inspect.signature(handler).parameters) if handler else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or scope["path"] in OPEN_PATHS
            or _is_preflight(scope)
            or any(route.matches(scope)[0] != Match.NONE for route in self.open_routes)
        ):
            await self.app(scope, receive, send)
            return
        try:
            self._check_api_key(scope)
            caller = await self._caller(scope)
        except Unauthenticated as exc:
            response = JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
            await response(scope, receive, send)
            return
        with acting_as(caller):
            await self.app(scope, receive, send)

    def _check_api_key(self, scope: Scope) -> None:
        if not self.api_keys:
            return
        given = _header(scope, b"x-api-key")
        # Compared in constant time, and against every key (no early exit).
        matched = False
        for key in self.api_keys:
            matched |= given is not None and hmac.compare_digest(given, key)
        if not matched:
            detail = "Missing x-api-key header" if given is None else "Invalid API key"
            raise Unauthenticated(401, detail)

    async def _caller(self, scope: Scope) -> Caller | None:
        if self.authenticate is None or self.auth is None:
            return None
        try:
            returned = await self._call_authenticate(scope)
        except Auth.exceptions.HTTPException as exc:
            headers = dict(exc.headers) if exc.headers else None
            raise Unauthenticated(exc.status_code, str(exc.detail), headers) from exc
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int) and 400 <= status < 600:
                # Starlette's/FastAPI's HTTPException, raised from auth code.
                raise Unauthenticated(status, str(getattr(exc, "detail", exc))) from exc
            log.exception("@auth.authenticate failed on %s", scope["path"])
            raise Unauthenticated(500, f"Authentication failed: {type(exc).__name__}") from exc
        if returned is None:
            raise Unauthenticated(401, "Unauthorized")
        try:
            user = to_user(returned)
        except InvalidUser as exc:
            log.error("@auth.authenticate returned no usable user: %s", exc)
            raise Unauthenticated(500, str(exc)) from exc
        return Caller(user=user, handlers=self.auth)

    async def _call_authenticate(self, scope: Scope) -> Any:
        assert self.authenticate is not None
        arguments = self._arguments(scope)
        if inspect.iscoroutinefunction(self.authenticate):
            return await self.authenticate(**arguments)
        return await run_in_threadpool(self.authenticate, **arguments)

    def _arguments(self, scope: Scope) -> dict[str, Any]:
        """The arguments the handler declared, by name, as LangGraph Server passes them."""
        available: dict[str, Any] = {}
        wanted = self.declared
        if "authorization" in wanted:
            raw = _header(scope, b"authorization")
            available["authorization"] = raw.decode("latin-1") if raw is not None else None
        if "headers" in wanted:
            available["headers"] = dict(scope.get("headers") or [])
        if "path" in wanted:
            available["path"] = scope["path"]
        if "method" in wanted:
            available["method"] = scope.get("method", "GET")
        if "query_params" in wanted:
            available["query_params"] = QueryParams(scope.get("query_string") or b"")
        if "path_params" in wanted:
            available["path_params"] = self._path_params(scope)
        if "request" in wanted and scope["type"] == "http":
            available["request"] = Request(scope)
        if "scope" in wanted:
            available["scope"] = scope
        if "scopes" in wanted:
            available["scopes"] = []
        return {name: value for name, value in available.items() if name in wanted}

    def _path_params(self, scope: Scope) -> dict[str, Any]:
        # Authentication runs before routing: match the route here to know them.
        for route in self.router.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return dict(child.get("path_params") or {})
        return {}


def access_notice(settings: Settings, auth: Auth | None) -> str:
    """The start-up line saying who may call this API."""
    where = f"http://{settings.host}:{settings.port}"
    ways = []
    if settings.api_keys:
        ways.append(f"{len(settings.api_keys)} API key(s) (x-api-key)")
    if auth is not None:
        ways.append("the project's custom auth (langgraph.json auth.path)")
    if ways:
        return f"steadygraph: API at {where} requires " + " and ".join(ways)
    return (
        f"steadygraph: API at {where} is UNAUTHENTICATED: anyone who can reach it can use "
        "every thread, run and assistant (set STEADYGRAPH_API_KEYS or langgraph.json "
        "auth.path to require credentials)"
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None


def _is_preflight(scope: Scope) -> bool:
    # A browser's CORS preflight carries no credentials; CORS answers it.
    return (
        scope["type"] == "http"
        and scope["method"] == "OPTIONS"
        and _header(scope, b"access-control-request-method") is not None
    )
