"""Threads: create, read, update, delete, search, copy, prune, and their state.
The work is in `steadygraph.threads.service`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.common import ERRORS
from steadygraph.api.models.threads import Thread, ThreadState
from steadygraph.threads import service as threads
from steadygraph.threads.request import (
    HistoryQuery,
    StateAtCheckpoint,
    StateUpdateBody,
    ThreadCount,
    ThreadCreate,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
)

router = APIRouter(prefix="/threads", tags=["Threads"])


@router.post("", responses={200: {"model": Thread}, **ERRORS})
async def create_thread(ctx: Ctx, body: ThreadCreate | None = Body(None)) -> Any:
    body = body or ThreadCreate()
    thread_id = require_uuid(body.thread_id, "thread") if body.thread_id else None
    return await threads.create_thread(ctx, thread_id, body)


@router.post("/search", responses={200: {"model": list[Thread]}, **ERRORS})
async def search_threads(ctx: Ctx, body: ThreadSearch | None = Body(None)) -> Any:
    body = body or ThreadSearch()
    ids = [require_uuid(i, "thread") for i in body.ids] if body.ids is not None else None
    found = await threads.search_threads(ctx, body, ids)
    if body.select:
        return [{k: t.get(k) for k in body.select} for t in found]
    return found


@router.post("/count", responses={200: {"model": int}, **ERRORS})
async def count_threads(ctx: Ctx, body: ThreadCount | None = Body(None)) -> int:
    return await threads.count_threads(ctx, body or ThreadCount())


@router.post("/prune", responses={200: {"description": '{"pruned_count": n}'}, **ERRORS})
async def prune_threads(ctx: Ctx, body: ThreadPrune) -> Any:
    ids = [require_uuid(i, "thread") for i in body.thread_ids]
    return {"pruned_count": await threads.prune_threads(ctx, ids, body.strategy)}


@router.get("/{thread_id}", responses={200: {"model": Thread}, **ERRORS})
async def get_thread(ctx: Ctx, thread_id: str) -> Any:
    return await threads.get_thread(ctx, require_uuid(thread_id, "thread"))


@router.patch("/{thread_id}", responses={200: {"model": Thread}, **ERRORS})
async def update_thread(ctx: Ctx, thread_id: str, body: ThreadPatch) -> Any:
    return await threads.update_thread(ctx, require_uuid(thread_id, "thread"), body)


@router.delete("/{thread_id}", status_code=204, responses={204: {}, **ERRORS})
async def delete_thread(ctx: Ctx, thread_id: str) -> Response:
    await threads.delete_thread(ctx, require_uuid(thread_id, "thread"))
    return Response(status_code=204)


@router.post("/{thread_id}/copy", responses={200: {"model": Thread}, **ERRORS})
async def copy_thread(ctx: Ctx, thread_id: str) -> Any:
    copied = await threads.copy_thread(ctx, require_uuid(thread_id, "thread"))
    # LangGraph Server answers a copy without its values.
    return {k: v for k, v in copied.items() if k != "values"}


@router.get("/{thread_id}/state", responses={200: {"model": ThreadState}, **ERRORS})
async def get_thread_state(ctx: Ctx, thread_id: str, subgraphs: bool = False) -> Any:
    return await threads.get_state(ctx, require_uuid(thread_id, "thread"), subgraphs=subgraphs)


@router.post(
    "/{thread_id}/state", responses={200: {"description": '{"checkpoint": {...}}'}, **ERRORS}
)
async def update_thread_state(ctx: Ctx, thread_id: str, body: StateUpdateBody) -> Any:
    return await threads.update_thread_state(ctx, require_uuid(thread_id, "thread"), body)


@router.get("/{thread_id}/state/{checkpoint_id}", responses={200: {"model": ThreadState}, **ERRORS})
async def get_state_at_checkpoint(
    ctx: Ctx, thread_id: str, checkpoint_id: str, subgraphs: bool = False
) -> Any:
    return await threads.get_state_at(ctx, require_uuid(thread_id, "thread"), checkpoint_id)


@router.post("/{thread_id}/state/checkpoint", responses={200: {"model": ThreadState}, **ERRORS})
async def post_state_at_checkpoint(ctx: Ctx, thread_id: str, body: StateAtCheckpoint) -> Any:
    return await threads.get_state_at(
        ctx, require_uuid(thread_id, "thread"), body.checkpoint.checkpoint_id
    )


@router.post("/{thread_id}/history", responses={200: {"model": list[ThreadState]}, **ERRORS})
async def post_history(ctx: Ctx, thread_id: str, body: HistoryQuery | None = Body(None)) -> Any:
    return await threads.history(ctx, require_uuid(thread_id, "thread"), body or HistoryQuery())


@router.get("/{thread_id}/history", responses={200: {"model": list[ThreadState]}, **ERRORS})
async def get_history(
    ctx: Ctx,
    thread_id: str,
    limit: int = Query(10, ge=1, le=1000),
    before: str | None = Query(None, description="A checkpoint id of the thread."),
) -> Any:
    # An empty `before` (what a form or a careless client sends) means none.
    query = HistoryQuery(limit=limit, before=before or None)
    return await threads.history(ctx, require_uuid(thread_id, "thread"), query)
