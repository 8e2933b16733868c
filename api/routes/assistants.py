"""Assistants: versioned configurations of a graph.

Create, read, update (a new version each time), delete, search, count,
versions and set-latest, as LangGraph Server answers them; the graph drawing,
schemas and subgraphs come from what the workers published (see
`steadygraph.assistants.graph_info`), since this process runs no graph code.

Deleting a system assistant (metadata.created_by == "system") is allowed, as
in LangGraph Server; the server creates it again at its next start.
"""

from __future__ import annotations

import logging
from typing import Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from steadygraph.api.context import Ctx
from steadygraph.api.errors import not_found, require_uuid
from steadygraph.api.models import ERRORS, Assistant, AssistantCount, AssistantSearch, ErrorBody
from steadygraph.assistants.graph_info import (
    GRAPH,
    SCHEMAS,
    STATUS,
    SUBGRAPHS,
    subgraph_entries,
    xray_key,
)
from steadygraph.errors import Invalid, NotFound, Unavailable
from steadygraph.ids import system_assistant_id
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.request import RunConfig
from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES
from steadygraph.threads.service import delete_thread

log = logging.getLogger(__name__)

router = APIRouter(prefix="/assistants", tags=["Assistants"])

NOT_PUBLISHED = "graph info not yet published by a worker"
WITH_UNAVAILABLE: dict[int | str, dict[str, Any]] = {**ERRORS, 503: {"model": ErrorBody}}


# ---- request bodies ----------------------------------------------------------


class _Body(BaseModel):
    # Unknown fields are ignored, as LangGraph Server's schema allows them.
    model_config = ConfigDict(extra="ignore")


class AssistantCreate(_Body):
    graph_id: str
    assistant_id: str | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatch(_Body):
    graph_id: str | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class AssistantVersionsSearch(_Body):
    metadata: dict[str, Any] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class AssistantVersionChange(_Body):
    version: int | None = None


# ---- response shapes (documentation only) ------------------------------------


class AssistantVersion(BaseModel):
    assistant_id: str
    version: int
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str
    name: str
    description: str | None


class GraphSchemaNoId(BaseModel):
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    state_schema: dict[str, Any] | None
    config_schema: dict[str, Any] | None
    context_schema: dict[str, Any] | None


class GraphSchema(GraphSchemaNoId):
    graph_id: str


# ---- helpers -------------------------------------------------------------------


def _config(config: RunConfig | None) -> dict[str, Any] | None:
    return config.model_dump(exclude_none=True) if config is not None else None


def _require_graph(ctx: Services, graph_id: str) -> None:
    if graph_id not in ctx.project.graphs:
        raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(ctx.graph_ids)}")


async def _served_assistant(ctx: Services, assistant_id: str) -> dict[str, Any]:
    """The assistant, if it exists and its graph is one this server serves
    (others are hidden, as LangGraph Server hides them)."""
    assistant = await ctx.storage.assistants.get(assistant_id)
    if assistant is None:
        raise not_found()
    if assistant["graph_id"] not in ctx.project.graphs:
        raise not_found(f"assistant {assistant_id} not found")
    return assistant


async def _published(
    ctx: Services, graph_id: str, kind: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status document of a graph and its documents of `kind`, by key."""
    documents = await ctx.storage.assistants.get_graph_info(graph_id, [STATUS, kind])
    status = documents.get((STATUS, ""))
    if status is None:
        raise Unavailable(NOT_PUBLISHED)
    if status.get("error"):
        raise Invalid(f"Graph '{graph_id}' could not be loaded by the worker: {status['error']}")
    return status, {key: doc for (k, key), doc in documents.items() if k == kind}


def _parse_xray(value: str | None) -> bool | int:
    """`xray` is a boolean or a positive depth, as LangGraph Server reads it."""
    if not value or value in ("false", "False"):
        return False
    if value in ("true", "True"):
        return True
    try:
        depth = int(value)
    except ValueError:
        depth = 0
    if depth <= 0:
        raise Invalid("Invalid xray value")
    return depth


# ---- routes ----------------------------------------------------------------------


@router.post("", responses={200: {"model": Assistant}, **ERRORS})
async def create_assistant(ctx: Ctx, body: AssistantCreate) -> Any:
    assistant_id = require_uuid(body.assistant_id, "assistant") if body.assistant_id else None
    _require_graph(ctx, body.graph_id)
    return await ctx.storage.assistants.create(
        assistant_id or str(uuid4()),
        graph_id=body.graph_id,
        config=_config(body.config),
        context=body.context,
        metadata=body.metadata,
        name=body.name or "Untitled",
        description=body.description,
        if_exists=body.if_exists,
    )


@router.post("/search", responses={200: {"model": list[Assistant]}, **ERRORS})
async def search_assistants(
    ctx: Ctx, response: Response, body: AssistantSearch | None = Body(None)
) -> Any:
    body = body or AssistantSearch()
    if body.graph_id:
        _require_graph(ctx, body.graph_id)
    # One more than asked for tells whether another page exists.
    found = await ctx.storage.assistants.search(
        graph_id=body.graph_id,
        metadata=body.metadata,
        name=body.name,
        limit=body.limit + 1,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
        graph_ids=ctx.graph_ids,
    )
    page = found[: body.limit]
    # The SDK's response_format="object" reads X-Pagination-Next.
    if len(found) > body.limit:
        next_offset = body.offset + body.limit
        response.headers["X-Pagination-Next"] = str(next_offset)
        response.headers["X-Pagination-Total"] = str(next_offset + 1)
    else:
        response.headers["X-Pagination-Total"] = str(body.offset + len(page))
    if body.select:
        return [{k: a[k] for k in body.select} for a in page]
    return page


@router.post("/count", responses={200: {"model": int}, **ERRORS})
async def count_assistants(ctx: Ctx, body: AssistantCount | None = Body(None)) -> int:
    body = body or AssistantCount()
    if body.graph_id:
        _require_graph(ctx, body.graph_id)
    return await ctx.storage.assistants.count(
        graph_id=body.graph_id, metadata=body.metadata, name=body.name, graph_ids=ctx.graph_ids
    )


@router.get("/{assistant_id}", responses={200: {"model": Assistant}, **ERRORS})
async def get_assistant(ctx: Ctx, assistant_id: str) -> Any:
    return await _served_assistant(ctx, require_uuid(assistant_id, "assistant"))


@router.patch("/{assistant_id}", responses={200: {"model": Assistant}, **ERRORS})
async def update_assistant(
    ctx: Ctx, assistant_id: str, body: AssistantPatch | None = Body(None)
) -> Any:
    assistant_id = require_uuid(assistant_id, "assistant")
    body = body or AssistantPatch()
    if body.graph_id is not None:
        _require_graph(ctx, body.graph_id)
    return await ctx.storage.assistants.update(
        assistant_id,
        graph_id=body.graph_id,
        config=_config(body.config),
        context=body.context,
        metadata=body.metadata,
        name=body.name,
        description=body.description,
    )


@router.delete("/{assistant_id}", status_code=204, responses=ERRORS)
async def delete_assistant(
    ctx: Ctx, assistant_id: str, delete_threads: bool = Query(False)
) -> Response:
    """Delete an assistant with all its versions; its pending and running runs
    are cancelled first. With `delete_threads`, also the threads it ran on
    (`metadata.assistant_id`), with their runs and checkpoints."""
    assistant_id = require_uuid(assistant_id, "assistant")
    if await ctx.storage.assistants.get(assistant_id) is None:
        raise not_found(f"Assistant with ID {assistant_id} not found")
    if delete_threads:
        await _delete_threads_of(ctx, assistant_id)
    await _cancel_runs_of(ctx, assistant_id)
    await ctx.storage.assistants.delete(assistant_id)
    return Response(status_code=204)


async def _cancel_runs_of(ctx: Services, assistant_id: str) -> None:
    for run in await ctx.storage.runs_with_status(list(ACTIVE_RUN_STATUSES)):
        if run["assistant_id"] != assistant_id:
            continue
        try:
            await cancel_run(ctx, run, "interrupt")
        except Exception:
            # The assistant goes anyway; a run that could not be stopped ends
            # on its own (its steps do not need the assistant row).
            log.warning(
                "could not cancel run %s of deleted assistant", run["run_id"], exc_info=True
            )


async def _delete_threads_of(ctx: Services, assistant_id: str) -> None:
    # Listed in full before deleting, so deletions do not shift the pages.
    thread_ids: list[str] = []
    while page := await ctx.storage.search_threads(
        metadata={"assistant_id": assistant_id}, limit=100, offset=len(thread_ids)
    ):
        thread_ids.extend(t["thread_id"] for t in page)
    for thread_id in thread_ids:
        try:
            await delete_thread(ctx, thread_id)
        except NotFound:
            continue  # deleted meanwhile by someone else


@router.post(
    "/{assistant_id}/versions", responses={200: {"model": list[AssistantVersion]}, **ERRORS}
)
async def list_versions(
    ctx: Ctx, assistant_id: str, body: AssistantVersionsSearch | None = Body(None)
) -> Any:
    """Newest first. As in LangGraph Server, a page with no version is a 404."""
    assistant_id = require_uuid(assistant_id, "assistant")
    body = body or AssistantVersionsSearch()
    versions = await ctx.storage.assistants.versions(
        assistant_id, metadata=body.metadata, limit=body.limit, offset=body.offset
    )
    if not versions:
        raise not_found(f"Assistant {assistant_id} not found")
    return versions


@router.post("/{assistant_id}/latest", responses={200: {"model": Assistant}, **ERRORS})
async def set_latest_version(
    ctx: Ctx,
    assistant_id: str,
    body: AssistantVersionChange | None = Body(None),
    version: int | None = Query(None, description="Also accepted in the body (as the SDK sends)."),
) -> Any:
    assistant_id = require_uuid(assistant_id, "assistant")
    chosen = body.version if body is not None and body.version is not None else version
    if chosen is None:
        raise Invalid("version: Field required")
    return await ctx.storage.assistants.set_latest(assistant_id, chosen)


@router.get(
    "/{assistant_id}/graph",
    responses={200: {"model": dict[str, list[dict[str, Any]]]}, **WITH_UNAVAILABLE},
)
async def get_assistant_graph(
    ctx: Ctx,
    assistant_id: str,
    xray: str | None = Query(None, description="true, false, or a positive subgraph depth."),
) -> Any:
    """The drawable graph. `assistant_id` may also be a graph id."""
    if assistant_id in ctx.project.graphs:
        assistant_id = system_assistant_id(assistant_id)
    assistant = await _served_assistant(ctx, require_uuid(assistant_id, "assistant"))
    level = _parse_xray(xray)
    status, drawings = await _published(ctx, assistant["graph_id"], GRAPH)
    if status.get("graph_error"):
        raise Invalid(status["graph_error"])
    drawing = drawings.get(xray_key(level, int(status.get("xray_depth") or 0)))
    if drawing is None:
        raise Unavailable(NOT_PUBLISHED)
    return drawing


@router.get("/{assistant_id}/schemas", responses={200: {"model": GraphSchema}, **WITH_UNAVAILABLE})
async def get_assistant_schemas(ctx: Ctx, assistant_id: str) -> Any:
    assistant = await _served_assistant(ctx, require_uuid(assistant_id, "assistant"))
    _, documents = await _published(ctx, assistant["graph_id"], SCHEMAS)
    schemas = documents.get("")
    if schemas is None:
        raise Unavailable(NOT_PUBLISHED)
    return {"graph_id": assistant["graph_id"], **schemas}


@router.get(
    "/{assistant_id}/subgraphs",
    responses={200: {"model": dict[str, GraphSchemaNoId]}, **WITH_UNAVAILABLE},
)
async def get_assistant_subgraphs(ctx: Ctx, assistant_id: str, recurse: bool = False) -> Any:
    return await _subgraphs(ctx, assistant_id, None, recurse)


@router.get(
    "/{assistant_id}/subgraphs/{namespace}",
    responses={200: {"model": dict[str, GraphSchemaNoId]}, **WITH_UNAVAILABLE},
)
async def get_assistant_subgraphs_by_namespace(
    ctx: Ctx, assistant_id: str, namespace: str, recurse: bool = False
) -> Any:
    return await _subgraphs(ctx, assistant_id, namespace, recurse)


async def _subgraphs(
    ctx: Services, assistant_id: str, namespace: str | None, recurse: bool
) -> dict[str, Any]:
    assistant = await _served_assistant(ctx, require_uuid(assistant_id, "assistant"))
    status, documents = await _published(ctx, assistant["graph_id"], SUBGRAPHS)
    if status.get("subgraphs_error"):
        raise Invalid(status["subgraphs_error"])
    published = documents.get("")
    if published is None:
        raise Unavailable(NOT_PUBLISHED)
    return subgraph_entries(published, namespace=namespace, recurse=recurse)
