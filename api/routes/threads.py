"""Threads: create, read, update, delete, search, copy, prune, and their state."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from steadygraph.api.context import Ctx
from steadygraph.api.errors import not_found, require_uuid
from steadygraph.api.models import ERRORS, Thread, ThreadState
from steadygraph.graph.serde import empty_state_payload
from steadygraph.ids import new_id
from steadygraph.storage import ThreadExistsError
from steadygraph.threads import service as thread_service

router = APIRouter(prefix="/threads", tags=["Threads"])

ThreadSelectField = Literal[
    "thread_id",
    "created_at",
    "updated_at",
    "state_updated_at",
    "metadata",
    "config",
    "context",
    "status",
    "values",
    "interrupts",
    "error",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ThreadTTL(_Body):
    strategy: Literal["delete", "keep_latest"] = "delete"
    ttl: float = Field(..., gt=0, description="Minutes from now until the thread is swept.")


class SuperstepUpdate(_Body):
    values: dict[str, Any] | list[Any] | None = None
    as_node: str
    command: dict[str, Any] | None = None


class Superstep(_Body):
    updates: list[SuperstepUpdate]


class ThreadCreate(_Body):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    ttl: ThreadTTL | None = None
    supersteps: list[Superstep] | None = None


class ThreadPatch(_Body):
    metadata: dict[str, Any] | None = None
    ttl: ThreadTTL | None = None


class ThreadSearch(_Body):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    ids: list[str] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: Literal["thread_id", "status", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[ThreadSelectField] | None = None


class ThreadCount(_Body):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None


class ThreadPrune(_Body):
    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] = "delete"


class CheckpointRef(_Body):
    checkpoint_id: str | None = None
    thread_id: str | None = None
    checkpoint_ns: str | None = None


class StateUpdateBody(_Body):
    values: dict[str, Any] | list[Any] | None = None
    as_node: str | None = None
    checkpoint_id: str | None = None
    checkpoint: CheckpointRef | None = None


class StateAtCheckpoint(_Body):
    checkpoint: CheckpointRef
    subgraphs: bool = False


class HistoryQuery(_Body):
    limit: int = Field(10, ge=1, le=1000)
    before: CheckpointRef | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None


def thread_not_found(thread_id: str) -> HTTPException:
    return not_found(f"Thread with ID {thread_id} not found")


async def _existing(ctx: Ctx, thread_id: str) -> str:
    thread_id = require_uuid(thread_id, "thread")
    if await ctx.storage.get_thread(thread_id) is None:
        raise thread_not_found(thread_id)
    return thread_id


@router.post("", responses={200: {"model": Thread}, **ERRORS})
async def create_thread(ctx: Ctx, body: ThreadCreate | None = Body(None)) -> Any:
    body = body or ThreadCreate()
    thread_id = require_uuid(body.thread_id, "thread") if body.thread_id else new_id()
    thread: dict[str, Any] | None
    try:
        thread = await ctx.storage.create_thread(
            thread_id,
            body.metadata or {},
            if_exists=body.if_exists,
            ttl=body.ttl.model_dump() if body.ttl else None,
        )
    except ThreadExistsError as exc:
        raise HTTPException(
            status_code=409, detail=f"Thread with ID {thread_id} already exists"
        ) from exc
    if body.supersteps:
        await thread_service.update_state(
            ctx,
            thread_id,
            supersteps=[
                [u.model_dump(exclude_none=True) for u in step.updates] for step in body.supersteps
            ],
        )
        thread = await ctx.storage.get_thread(thread_id)
    return thread


@router.post("/search", responses={200: {"model": list[Thread]}, **ERRORS})
async def search_threads(ctx: Ctx, body: ThreadSearch | None = Body(None)) -> Any:
    body = body or ThreadSearch()
    ids = [require_uuid(i, "thread") for i in body.ids] if body.ids is not None else None
    found = await ctx.storage.search_threads(
        metadata=body.metadata,
        values=body.values,
        status=body.status,
        ids=ids,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
    )
    if body.select:
        return [{k: t.get(k) for k in body.select} for t in found]
    return found


@router.post("/count", responses={200: {"model": int}, **ERRORS})
async def count_threads(ctx: Ctx, body: ThreadCount | None = Body(None)) -> int:
    body = body or ThreadCount()
    return await ctx.storage.count_threads(
        metadata=body.metadata, values=body.values, status=body.status
    )


@router.post("/prune", responses={200: {"description": '{"pruned_count": n}'}, **ERRORS})
async def prune_threads(ctx: Ctx, body: ThreadPrune) -> Any:
    ids = [require_uuid(i, "thread") for i in body.thread_ids]
    return {"pruned_count": await thread_service.prune_threads(ctx, ids, body.strategy)}


@router.get("/{thread_id}", responses={200: {"model": Thread}, **ERRORS})
async def get_thread(ctx: Ctx, thread_id: str) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None:
        raise thread_not_found(thread_id)
    return thread


@router.patch("/{thread_id}", responses={200: {"model": Thread}, **ERRORS})
async def update_thread(ctx: Ctx, thread_id: str, body: ThreadPatch) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    thread = await ctx.storage.update_thread(
        thread_id, metadata=body.metadata, ttl=body.ttl.model_dump() if body.ttl else None
    )
    if thread is None:
        raise thread_not_found(thread_id)
    return thread


@router.delete("/{thread_id}", status_code=204, responses={204: {}, **ERRORS})
async def delete_thread(ctx: Ctx, thread_id: str) -> Response:
    await thread_service.delete_thread(ctx, await _existing(ctx, thread_id))
    return Response(status_code=204)


@router.post("/{thread_id}/copy", responses={200: {"model": Thread}, **ERRORS})
async def copy_thread(ctx: Ctx, thread_id: str) -> Any:
    copied = await thread_service.copy_thread(ctx, await _existing(ctx, thread_id))
    # LangGraph Server answers a copy without its values.
    return {k: v for k, v in copied.items() if k != "values"}


@router.get("/{thread_id}/state", responses={200: {"model": ThreadState}, **ERRORS})
async def get_thread_state(ctx: Ctx, thread_id: str, subgraphs: bool = False) -> Any:
    thread_id = await _existing(ctx, thread_id)
    state = await ctx.storage.get_thread_state(thread_id, subgraphs=subgraphs)
    return state or empty_state_payload()


@router.post(
    "/{thread_id}/state", responses={200: {"description": '{"checkpoint": {...}}'}, **ERRORS}
)
async def update_thread_state(ctx: Ctx, thread_id: str, body: StateUpdateBody) -> Any:
    thread_id = await _existing(ctx, thread_id)
    checkpoint_id = body.checkpoint_id or (
        body.checkpoint.checkpoint_id if body.checkpoint else None
    )
    return await thread_service.update_state(
        ctx, thread_id, values=body.values, as_node=body.as_node, checkpoint_id=checkpoint_id
    )


async def _state_at(ctx: Ctx, thread_id: str, checkpoint_id: str | None) -> Any:
    if not checkpoint_id:
        return await ctx.storage.get_thread_state(thread_id) or empty_state_payload()
    state = await ctx.storage.checkpoints.get(thread_id, checkpoint_id)
    if state is None:
        raise not_found(f"Checkpoint {checkpoint_id} of thread {thread_id} not found")
    return state


@router.get("/{thread_id}/state/{checkpoint_id}", responses={200: {"model": ThreadState}, **ERRORS})
async def get_state_at_checkpoint(
    ctx: Ctx, thread_id: str, checkpoint_id: str, subgraphs: bool = False
) -> Any:
    return await _state_at(ctx, await _existing(ctx, thread_id), checkpoint_id)


@router.post("/{thread_id}/state/checkpoint", responses={200: {"model": ThreadState}, **ERRORS})
async def post_state_at_checkpoint(ctx: Ctx, thread_id: str, body: StateAtCheckpoint) -> Any:
    return await _state_at(ctx, await _existing(ctx, thread_id), body.checkpoint.checkpoint_id)


async def _history(ctx: Ctx, thread_id: str, query: HistoryQuery) -> Any:
    thread_id = await _existing(ctx, thread_id)
    before = query.before.checkpoint_id if isinstance(query.before, CheckpointRef) else query.before
    return await ctx.storage.checkpoints.history(
        thread_id, limit=query.limit, before=before, metadata=query.metadata
    )


@router.post("/{thread_id}/history", responses={200: {"model": list[ThreadState]}, **ERRORS})
async def post_history(ctx: Ctx, thread_id: str, body: HistoryQuery | None = Body(None)) -> Any:
    return await _history(ctx, thread_id, body or HistoryQuery())


@router.get("/{thread_id}/history", responses={200: {"model": list[ThreadState]}, **ERRORS})
async def get_history(ctx: Ctx, thread_id: str, limit: int = 10, before: str | None = None) -> Any:
    return await _history(ctx, thread_id, HistoryQuery(limit=limit, before=before))
