"""What browsers, LangGraph Studio and the user's own app need around our routes.

* CORS, as `langgraph dev` answers it: any origin by default, or langgraph.json's
  `http.cors`; on `steadygraph dev` also Chrome's Private Network Access header, so
  Studio (a public site) may call the API on the loopback address.
* JSON bodies sent as `text/plain`: a browser's `fetch` without a preflight sends
  its string body so, and LangGraph Server reads every body as JSON whatever its type.
* `http.app`: the user's Starlette/FastAPI app served beside ours. As in LangGraph
  Server its routes are matched first, its middleware wraps every request and its
  lifespan runs with ours.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from steadygraph.api.auth import AuthMiddleware
from steadygraph.config.http import HttpConfig
from steadygraph.config.project import ConfigError, ProjectConfig
from steadygraph.runs.headers import REQUEST_HEADERS

__all__ = [
    "DEFAULT_CORS",
    "PlainTextAsJson",
    "RecordHeaders",
    "cors_middleware",
    "install_http_layer",
    "load_user_app",
]

# `langgraph dev`'s default: any origin, so Studio and local web apps connect.
DEFAULT_CORS: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_methods": ["*"],
    "allow_headers": ["*"],
    # The SDK reads these to page through results and to find a created run.
    "expose_headers": ["x-pagination-total", "x-pagination-next", "content-location"],
}


class PlainTextAsJson:
    """Read a request body sent as `text/plain` (or with no type) as the JSON it
    is. Requests for the user's own routes (`passthrough`) are left as sent."""

    def __init__(self, app: ASGIApp, passthrough: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.passthrough = passthrough

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _WITH_BODY:
            headers = scope.get("headers") or []
            types = [v for k, v in headers if k == b"content-type"]
            plain = not types or types[0].split(b";")[0].strip().lower() == b"text/plain"
            if plain and not self._theirs(scope):
                scope = dict(scope)
                scope["headers"] = [
                    *((k, v) for k, v in headers if k != b"content-type"),
                    (b"content-type", b"application/json"),
                ]
        await self.app(scope, receive, send)

    def _theirs(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in self.passthrough)


_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RecordHeaders:
    """Keep the request's headers where run submission finds them, for
    `http.configurable_headers` (see steadygraph.runs.headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = tuple(
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]
        )
        token = REQUEST_HEADERS.set(headers)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_HEADERS.reset(token)


def cors_middleware(http: HttpConfig, *, allow_private_network: bool = False) -> Middleware:
    """`http.cors` as written, else the permissive development default (which
    sends no credentials: browsers refuse them with a wildcard origin)."""
    options = dict(DEFAULT_CORS if http.cors is None else http.cors)
    if allow_private_network:
        options["allow_private_network"] = True
    return Middleware(CORSMiddleware, **options)


def install_http_layer(
    app: FastAPI,
    project: ProjectConfig,
    user_app: Starlette | None,
    *,
    allow_private_network: bool = False,
) -> None:
    """Wrap the app for browsers and mount `http.app` (loaded by `load_user_app`).
    The user's middleware stays outermost, as in LangGraph Server; then CORS,
    which answers preflights before anything else of ours runs. With
    `http.middleware_order: "auth_first"`, authentication runs before the
    user's middleware (CORS still first, so a refusal reaches browsers)."""
    if user_app is not None:
        _merge_user_app(app, user_app)
    ours: list[Middleware] = [
        Middleware(PlainTextAsJson, passthrough=list(user_app.routes) if user_app else []),
    ]
    if project.http.configurable_headers is not None:
        ours.append(Middleware(RecordHeaders))
    ours.insert(0, cors_middleware(project.http, allow_private_network=allow_private_network))
    position = len(user_app.user_middleware) if user_app is not None else 0
    app.user_middleware[position:position] = ours
    if project.http.middleware_order == "auth_first" and user_app is not None:
        auth = [m for m in app.user_middleware if m.cls is AuthMiddleware]
        rest = [m for m in app.user_middleware if m.cls is not AuthMiddleware and m is not ours[0]]
        app.user_middleware[:] = [ours[0], *auth, *rest]


# --- http.app ---------------------------------------------------------------------


def load_user_app(project: ProjectConfig) -> Starlette | None:
    """Import `http.app` (with the project's env and import path, as graphs get
    them); ConfigError names the entry when it is not a Starlette/FastAPI app."""
    ref = project.http.app
    if ref is None:
        return None
    # Imported here, not at module level: the API imports no graph-loading code
    # unless the project has an app of its own.
    from steadygraph.graph.loading import add_project_to_sys_path, apply_env, import_file

    label = f"{project.path.name}: http.app"
    apply_env(project.env)
    add_project_to_sys_path(project)
    try:
        if ref.is_file:
            file = (project.base_dir / ref.module).resolve()
            if not file.is_file():
                raise ConfigError(f"{label}: file {ref.module} not found (looked in {file})")
            module: Any = import_file(file)
        else:
            module = importlib.import_module(ref.module)
    except ConfigError:
        raise
    except Exception as exc:  # user code may raise anything while importing
        raise ConfigError(
            f"{label}: failed to import {ref.module}: {type(exc).__name__}: {exc}"
        ) from exc
    value: Any = module
    for part in ref.attr.split("."):
        if not hasattr(value, part):
            raise ConfigError(f"{label}: attribute {ref.attr!r} not found in {ref.module}")
        value = getattr(value, part)
    if not isinstance(value, Starlette):
        raise ConfigError(
            f"{label}: {ref} is a {type(value).__name__}, not a Starlette or FastAPI app"
        )
    return value


_UNSHADOWABLE = frozenset({"/ok", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


def _merge_user_app(app: FastAPI, user_app: Starlette) -> None:
    # Their routes answer before ours, except health and API docs, which they
    # cannot shadow (as in LangGraph Server).
    ours = list(app.router.routes)
    first = [r for r in ours if getattr(r, "path", None) in _UNSHADOWABLE]
    rest = [r for r in ours if r not in first]
    app.router.routes[:] = [*first, *user_app.routes, *rest]
    app.user_middleware[:0] = list(user_app.user_middleware)
    for exc_class, handler in user_app.exception_handlers.items():
        # Our error bodies ({"detail": ...}) stay ours; the user's other handlers apply.
        app.exception_handlers.setdefault(exc_class, handler)
    # One `state` for both apps: the user's routes see `request.app` (ours) with
    # whatever their lifespan stored on their app's state.
    app.state = user_app.state
    app.router.lifespan_context = _both_lifespans(app.router.lifespan_context, user_app)


def _both_lifespans(ours: Any, user_app: Starlette) -> Any:
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Mapping[str, Any] | None]:
        async with ours(app) as our_state:
            async with user_app.router.lifespan_context(user_app) as their_state:
                merged = {**(our_state or {}), **(their_state or {})}
                yield merged or None

    return lifespan
