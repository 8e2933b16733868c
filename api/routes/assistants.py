"""Assistants: the default one per graph, and lookups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from api.context import Ctx
from api.errors import not_found, require_uuid
from api.models import ERRORS, Assistant, AssistantCount, AssistantSearch

router = APIRouter(prefix="/assistants", tags=["Assistants"])


@router.post("/search", responses={200: {"model": list[Assistant]}, **ERRORS})
async def search_assistants(ctx: Ctx, body: AssistantSearch | None = Body(None)) -> Any:
    body = body or AssistantSearch()
    found = await ctx.storage.search_assistants(
        graph_id=body.graph_id,
        metadata=body.metadata,
        name=body.name,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
    )
    if body.select:
        return [{k: a[k] for k in body.select} for a in found]
    return found


@router.post("/count", responses={200: {"model": int}, **ERRORS})
async def count_assistants(ctx: Ctx, body: AssistantCount | None = Body(None)) -> int:
    body = body or AssistantCount()
    return await ctx.storage.count_assistants(
        graph_id=body.graph_id, metadata=body.metadata, name=body.name
    )


@router.get("/{assistant_id}", responses={200: {"model": Assistant}, **ERRORS})
async def get_assistant(ctx: Ctx, assistant_id: str) -> Any:
    assistant = await ctx.storage.get_assistant(require_uuid(assistant_id, "assistant"))
    if assistant is None:
        raise not_found()
    return assistant
