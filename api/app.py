"""The FastAPI application: wiring only. Routes live in `api/routes/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from steadygraph import __version__
from steadygraph.api import errors
from steadygraph.api.body_limit import BodySizeLimit
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
from steadygraph.api.url_guard import NoNulInUrl
from steadygraph.config.project import load_project
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.postgres_pool import shared_pool
from steadygraph.graph.store import check_store_config, open_store
from steadygraph.ids import system_assistant_id
from steadygraph.services import Services
from steadygraph.storage import open_storage
from steadygraph.temporal.client import connect, ensure_search_attributes
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = await open_storage(settings.storage_url)
        try:
            await storage.ensure_system_assistants(
                {graph_id: system_assistant_id(graph_id) for graph_id in project.graphs}
            )
            client = await connect(settings)
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

    app = FastAPI(
        title="Steadygraph",
        version=__version__,
        summary="LangGraph Server's API, with every run a durable Temporal workflow.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoNulInUrl)
    for module in (system, assistants, threads, runs, stateless_runs, crons, store_routes):
        app.include_router(module.router)
    app.include_router(thread_storage.router)
    # langgraph.json `http.disable_mcp` / `http.disable_a2a` leave them unserved (404).
    for feature, module in (("mcp", mcp), ("a2a", a2a)):
        if not project.http_disabled(feature):
            app.include_router(module.router)
    return app
