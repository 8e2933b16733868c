"""Assistants: create, read, update (a new version each time), delete, search,
count, versions and set-latest, and the graph drawing, schemas and subgraphs
the workers published. The work is in `steadygraph.assistants.service`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.assistants import (
    Assistant,
    AssistantVersion,
    GraphSchema,
    GraphSchemaNoId,
)
from steadygraph.api.models.common import ERRORS, WITH_UNAVAILABLE
from steadygraph.assistants import service as assistants
from steadygraph.assistants.request import (
    MAX_VERSION,
    AssistantCount,
    AssistantCreate,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionChange,
    AssistantVersionsSearch,
)
from steadygraph.errors import Invalid
from steadygraph.ids import system_assistant_id

router = APIRouter(prefix="/assistants", tags=["Assistants"])


@router.post("", responses={200: {"model": Assistant}, **ERRORS})
async def create_assistant(ctx: Ctx, body: AssistantCreate) -> Any:
    assistant_id = require_uuid(body.assistant_id, "assistant") if body.assistant_id else None
    return await assistants.create_assistant(ctx, assistant_id, body)


@router.post("/search", responses={200: {"model": list[Assistant]}, **ERRORS})
async def search_assistants(
    ctx: Ctx, response: Response, body: AssistantSearch | None = Body(None)
) -> Any:
    body = body or AssistantSearch()
    page, more = await assistants.search_assistants(ctx, body)
    # The SDK's response_format="object" reads X-Pagination-Next.
    if more:
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
    return await assistants.count_assistants(ctx, body or AssistantCount())


@router.get("/{assistant_id}", responses={200: {"model": Assistant}, **ERRORS})
async def get_assistant(ctx: Ctx, assistant_id: str) -> Any:
    return await assistants.get_assistant(ctx, require_uuid(assistant_id, "assistant"))


@router.patch("/{assistant_id}", responses={200: {"model": Assistant}, **ERRORS})
async def update_assistant(
    ctx: Ctx, assistant_id: str, body: AssistantPatch | None = Body(None)
) -> Any:
    return await assistants.update_assistant(
        ctx, require_uuid(assistant_id, "assistant"), body or AssistantPatch()
    )


@router.delete("/{assistant_id}", status_code=204, responses=ERRORS)
async def delete_assistant(
    ctx: Ctx, assistant_id: str, delete_threads: bool = Query(False)
) -> Response:
    """Delete an assistant with all its versions; its pending and running runs
    are cancelled first. With `delete_threads`, also the threads it ran on
    (`metadata.assistant_id`), with their runs and checkpoints."""
    await assistants.delete_assistant(
        ctx, require_uuid(assistant_id, "assistant"), delete_threads=delete_threads
    )
    return Response(status_code=204)


@router.post(
    "/{assistant_id}/versions", responses={200: {"model": list[AssistantVersion]}, **ERRORS}
)
async def list_versions(
    ctx: Ctx, assistant_id: str, body: AssistantVersionsSearch | None = Body(None)
) -> Any:
    """Newest first. As in LangGraph Server, a page with no version is a 404."""
    return await assistants.list_versions(
        ctx, require_uuid(assistant_id, "assistant"), body or AssistantVersionsSearch()
    )


@router.post("/{assistant_id}/latest", responses={200: {"model": Assistant}, **ERRORS})
async def set_latest_version(
    ctx: Ctx,
    assistant_id: str,
    body: AssistantVersionChange | None = Body(None),
    version: int | None = Query(
        None, ge=1, le=MAX_VERSION, description="Also accepted in the body (as the SDK sends)."
    ),
) -> Any:
    assistant_id = require_uuid(assistant_id, "assistant")
    chosen = body.version if body is not None and body.version is not None else version
    if chosen is None:
        raise Invalid("version: Field required")
    return await assistants.set_latest_version(ctx, assistant_id, chosen)


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
    return await assistants.get_graph(ctx, require_uuid(assistant_id, "assistant"), xray)


@router.get("/{assistant_id}/schemas", responses={200: {"model": GraphSchema}, **WITH_UNAVAILABLE})
async def get_assistant_schemas(ctx: Ctx, assistant_id: str) -> Any:
    return await assistants.get_schemas(ctx, require_uuid(assistant_id, "assistant"))


@router.get(
    "/{assistant_id}/subgraphs",
    responses={200: {"model": dict[str, GraphSchemaNoId]}, **WITH_UNAVAILABLE},
)
async def get_assistant_subgraphs(ctx: Ctx, assistant_id: str, recurse: bool = False) -> Any:
    return await assistants.get_subgraphs(
        ctx, require_uuid(assistant_id, "assistant"), None, recurse=recurse
    )


@router.get(
    "/{assistant_id}/subgraphs/{namespace}",
    responses={200: {"model": dict[str, GraphSchemaNoId]}, **WITH_UNAVAILABLE},
)
async def get_assistant_subgraphs_by_namespace(
    ctx: Ctx, assistant_id: str, namespace: str, recurse: bool = False
) -> Any:
    return await assistants.get_subgraphs(
        ctx, require_uuid(assistant_id, "assistant"), namespace, recurse=recurse
    )
