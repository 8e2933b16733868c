"""Assistants: versioned configurations of a graph, as LangGraph Server keeps them.

Only assistants of graphs this server's langgraph.json serves are shown (others
are hidden, as LangGraph Server hides them). The graph drawing, schemas and
subgraphs are what the workers published (see `steadygraph.assistants.graph_info`),
since the API process runs no graph code.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from steadygraph.assistants.graph_info import (
    GRAPH,
    SCHEMAS,
    SUBGRAPHS,
    subgraph_entries,
    xray_key,
)
from steadygraph.assistants.request import (
    AssistantCount,
    AssistantCreate,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionsSearch,
)
from steadygraph.assistants.schemas import NOT_PUBLISHED, published
from steadygraph.auth import authorize, visible
from steadygraph.errors import Conflict, Invalid, NotFound, Unavailable
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.request import RunConfig
from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES
from steadygraph.threads.service import delete_thread

log = logging.getLogger(__name__)


def _config(config: RunConfig | None) -> dict[str, Any] | None:
    return config.model_dump(exclude_none=True) if config is not None else None


def _require_graph(ctx: Services, graph_id: str) -> None:
    if graph_id not in ctx.project.graphs:
        raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(ctx.graph_ids)}")


async def get_assistant(
    ctx: Services,
    assistant_id: str,
    *,
    auth_action: str = "read",
    auth_value: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The assistant, if it exists, its graph is one this server serves and
    the assistants.<auth_action> handler's filter lets it through."""
    value = {"assistant_id": assistant_id, **(auth_value or {})}
    filters = await authorize("assistants", auth_action, value)
    assistant = await ctx.storage.assistants.get(assistant_id)
    if assistant is None:
        raise NotFound("Not Found")
    if assistant["graph_id"] not in ctx.project.graphs or not visible(
        assistant["metadata"], filters
    ):
        raise NotFound(f"assistant {assistant_id} not found")
    return assistant


async def create_assistant(
    ctx: Services, assistant_id: str | None, body: AssistantCreate
) -> dict[str, Any]:
    """`assistant_id` is the requested id (a new one if None)."""
    _require_graph(ctx, body.graph_id)
    assistant_id = assistant_id or str(uuid4())
    value: dict[str, Any] = {
        "assistant_id": assistant_id,
        "graph_id": body.graph_id,
        "config": _config(body.config) or {},
        "context": body.context or {},
        "metadata": dict(body.metadata or {}),
        "if_exists": body.if_exists,
        "name": body.name or "Untitled",
    }
    # The handler may stamp the metadata (e.g. an owner) or refuse.
    await authorize("assistants", "create", value)
    assistant = await ctx.storage.assistants.create(
        assistant_id,
        graph_id=body.graph_id,
        config=_config(body.config),
        context=body.context,
        metadata=value.get("metadata"),
        name=body.name or "Untitled",
        description=body.description,
        if_exists=body.if_exists,
    )
    if body.if_exists == "do_nothing":
        # It may be someone else's assistant, answered unchanged: never show it.
        readable = await authorize("assistants", "read", {"assistant_id": assistant_id})
        if not visible(assistant["metadata"], readable):
            raise Conflict(f"Assistant {assistant_id} already exists")
    return assistant


async def search_assistants(
    ctx: Services, body: AssistantSearch
) -> tuple[list[dict[str, Any]], bool]:
    """One page of assistants, and whether another page follows."""
    if body.graph_id:
        _require_graph(ctx, body.graph_id)
    filters = await authorize("assistants", "search", _search_value(body))
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
        auth_filters=filters,
    )
    return found[: body.limit], len(found) > body.limit


def _search_value(body: AssistantSearch | AssistantCount) -> dict[str, Any]:
    value: dict[str, Any] = {"graph_id": body.graph_id, "metadata": body.metadata or {}}
    if isinstance(body, AssistantSearch):
        value.update(limit=body.limit, offset=body.offset)
    return value


async def count_assistants(ctx: Services, body: AssistantCount) -> int:
    if body.graph_id:
        _require_graph(ctx, body.graph_id)
    # Counted as searched: what a search hides is not counted.
    filters = await authorize("assistants", "search", _search_value(body))
    return await ctx.storage.assistants.count(
        graph_id=body.graph_id,
        metadata=body.metadata,
        name=body.name,
        graph_ids=ctx.graph_ids,
        auth_filters=filters,
    )


async def update_assistant(
    ctx: Services, assistant_id: str, body: AssistantPatch
) -> dict[str, Any]:
    """A new version of the assistant, made its latest."""
    if body.graph_id is not None:
        _require_graph(ctx, body.graph_id)
    value: dict[str, Any] = {
        "graph_id": body.graph_id,
        "config": _config(body.config) or {},
        "context": body.context or {},
        "metadata": body.metadata,
        "name": body.name,
    }
    await _authorized(ctx, assistant_id, "update", value)
    return await ctx.storage.assistants.update(
        assistant_id,
        graph_id=body.graph_id,
        config=_config(body.config),
        context=body.context,
        metadata=value.get("metadata"),
        name=body.name,
        description=body.description,
    )


async def delete_assistant(ctx: Services, assistant_id: str, *, delete_threads: bool) -> None:
    """Delete an assistant with all its versions; its pending and running runs
    are cancelled first. With `delete_threads`, also the threads it ran on
    (`metadata.assistant_id`), with their runs and checkpoints.

    Deleting a system assistant (metadata.created_by == "system") is allowed,
    as in LangGraph Server; the server creates it again at its next start.
    """
    if await _authorized(ctx, assistant_id, "delete") is None:
        raise NotFound(f"Assistant with ID {assistant_id} not found")
    if delete_threads:
        await _delete_threads_of(ctx, assistant_id)
    await _cancel_runs_of(ctx, assistant_id)
    await ctx.storage.assistants.delete(assistant_id)


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


async def list_versions(
    ctx: Services, assistant_id: str, body: AssistantVersionsSearch
) -> list[dict[str, Any]]:
    """Newest first. As in LangGraph Server, a page with no version is a 404."""
    await _authorized(ctx, assistant_id, "read")
    versions = await ctx.storage.assistants.versions(
        assistant_id, metadata=body.metadata, limit=body.limit, offset=body.offset
    )
    if not versions:
        raise NotFound(f"Assistant {assistant_id} not found")
    return versions


async def set_latest_version(ctx: Services, assistant_id: str, version: int) -> dict[str, Any]:
    await _authorized(ctx, assistant_id, "update", {"version": version})
    return await ctx.storage.assistants.set_latest(assistant_id, version)


async def _authorized(
    ctx: Services, assistant_id: str, action: str, value: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The assistant (None if there is none: the caller answers that as it
    always did), once the assistants.<action> handler allowed it (it may edit
    `value`); one its filter hides is a 404, as if it did not exist."""
    value = value if value is not None else {}
    value["assistant_id"] = assistant_id
    filters = await authorize("assistants", action, value)
    assistant = await ctx.storage.assistants.get(assistant_id)
    if assistant is not None and not visible(assistant["metadata"], filters):
        raise NotFound(f"Assistant {assistant_id} not found")
    return assistant


# ---- what the workers published about the assistant's graph --------------------------


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


async def get_graph(ctx: Services, assistant_id: str, xray: str | None) -> Any:
    """The drawable graph, to `xray` (as sent: true, false or a depth) subgraph levels."""
    assistant = await get_assistant(ctx, assistant_id)
    level = _parse_xray(xray)
    status, drawings = await published(ctx, assistant["graph_id"], GRAPH)
    if status.get("graph_error"):
        raise Invalid(status["graph_error"])
    drawing = drawings.get(xray_key(level, int(status.get("xray_depth") or 0)))
    if drawing is None:
        raise Unavailable(NOT_PUBLISHED)
    return drawing


async def get_schemas(ctx: Services, assistant_id: str) -> dict[str, Any]:
    assistant = await get_assistant(ctx, assistant_id)
    _, documents = await published(ctx, assistant["graph_id"], SCHEMAS)
    schemas = documents.get("")
    if schemas is None:
        raise Unavailable(NOT_PUBLISHED)
    return {"graph_id": assistant["graph_id"], **schemas}


async def get_subgraphs(
    ctx: Services, assistant_id: str, namespace: str | None, *, recurse: bool
) -> dict[str, Any]:
    assistant = await get_assistant(ctx, assistant_id)
    status, documents = await published(ctx, assistant["graph_id"], SUBGRAPHS)
    if status.get("subgraphs_error"):
        raise Invalid(status["subgraphs_error"])
    subgraphs = documents.get("")
    if subgraphs is None:
        raise Unavailable(NOT_PUBLISHED)
    return subgraph_entries(subgraphs, namespace=namespace, recurse=recurse)
