"""The FastAPI application: wiring only. Routes live in `api/routes/`."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import FastAPI

from steadygraph import __version__
from steadygraph.api import errors
from steadygraph.api.auth import AuthMiddleware, access_notice
from steadygraph.api.body_limit import BodySizeLimit
from steadygraph.api.http_layer import install_http_layer, load_user_app
from steadygraph.api.metrics import HttpMetrics
from steadygraph.api.routes import (
    a2a,
    assistants,
    crons,
    mcp,
    runs,
    stateless_runs,
    system,
    thread_storage,
    threads,
)
from steadygraph.api.routes import store as store_routes
from steadygraph.api.routes import thread_streams as thread_stream_routes
from steadygraph.api.url_guard import NoNulInUrl
from steadygraph.auth.loading import load_auth
from steadygraph.config.project import ProjectConfig, load_project
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.postgres_pool import shared_pool
from steadygraph.graph.store import check_store_config, open_store
from steadygraph.ids import system_assistant_id
from steadygraph.services import Services
from steadygraph.startup_retry import retrying
from steadygraph.storage import open_storage
from steadygraph.temporal.client import connect, ensure_search_attributes
from steadygraph.tracing import instrument_app
from steadygraph.webhooks.policy import WebhookPolicy


def create_app(settings: Settings) -> FastAPI:
    # Read (not imported: no graph code in the API) before serving, so a
    # broken langgraph.json stops start-up with its own message.
    project = load_project(settings.config_path)
    check_store_config(project)  # a bad store block or embed stops start-up with one message
    # The API only checks URLs; header secrets are the worker's business.
    webhook_policy = WebhookPolicy.from_project_raw(
        project.raw, with_headers=False, where=project.path.name
    )
    # Imported here, once: a broken auth.py stops start-up, never a request.
    auth = load_auth(project)
    print(access_notice(settings, auth), file=sys.stderr, flush=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = await retrying(
            "the database",
            settings.shown_storage_url,
            lambda: open_storage(settings.storage_url),
            timeout_s=settings.connect_timeout_s,
        )
        try:
            await storage.ensure_system_assistants(
                {graph_id: system_assistant_id(graph_id) for graph_id in project.graphs}
            )
            client = await retrying(
                "Temporal",
                settings.temporal_target,
                lambda: connect(settings),
                timeout_s=settings.connect_timeout_s,
            )
            await ensure_search_attributes(client)
            async with (
                shared_pool(settings) as pool,
                open_checkpointer(settings, pool=pool) as checkpointer,
            ):
                app.state.context = Services(
                    settings, project, storage, client, webhook_policy, checkpointer
                )
                async with open_store(settings, project, pool=pool) as store:
                    app.state.store = store
                    yield
        finally:
            await storage.close()

    meta = not project.http_disabled("meta")
    app = FastAPI(
        title="Steadygraph",
        version=__version__,
        summary="LangGraph Server's API, with every run a durable Temporal workflow.",
        lifespan=lifespan,
        # `http.disable_meta` removes /docs, /openapi.json and /info; /ok stays.
        docs_url="/docs" if meta else None,
        redoc_url="/redoc" if meta else None,
        openapi_url="/openapi.json" if meta else None,
    )
    errors.install(app)
    # Outermost last: the user's middleware and CORS (install_http_layer) wrap
    # authentication, so a browser's preflight never needs credentials; bad
    # URLs and oversized bodies are refused before anything reads them.
    user_app = load_user_app(project)  # langgraph.json `http.app`, if any
    custom_routes = (
        user_app.routes if user_app and not project.http.enable_custom_route_auth else []
    )
    app.add_middleware(
        AuthMiddleware,
        auth=auth,
        api_keys=settings.api_keys,
        router=app.router,
        open_routes=custom_routes,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoNulInUrl)
    # Around authentication and the input guards, so refused requests are counted too.
    app.add_middleware(HttpMetrics)
    include_routers(app, project)
    install_http_layer(app, project, user_app, allow_private_network=settings.allow_private_network)
    instrument_app(app, settings)  # outermost: a request's span covers all of the above
    return app


def include_routers(app: FastAPI, project: ProjectConfig) -> None:
    """Our routes, less the groups langgraph.json's `http.disable_<feature>` turns
    off (unserved: 404), grouped as LangGraph Server groups them."""
    groups: list[tuple[str, tuple[ModuleType, ...]]] = [
        ("assistants", (assistants,)),
        ("threads", (threads, thread_storage, thread_stream_routes)),
        ("runs", (runs, stateless_runs, crons)),
        ("store", (store_routes,)),
        ("mcp", (mcp,)),
        ("a2a", (a2a,)),
    ]
    if project.http_disabled("meta"):
        app.include_router(system.health_router)
    else:
        app.include_router(system.router)
    for feature, modules in groups:
        if not project.http_disabled(feature):
            for module in modules:
                app.include_router(module.router)
