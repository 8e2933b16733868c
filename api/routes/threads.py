"""Threads and their state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException

from api.context import Ctx
from api.errors import not_found, require_uuid
from api.models import ERRORS, Thread, ThreadCreate, ThreadState
from steadygraph.ids import new_id
from steadygraph.serde import empty_state_payload
from steadygraph.storage import ThreadExistsError

router = APIRouter(prefix="/threads", tags=["Threads"])


def thread_not_found(thread_id: str) -> HTTPException:
    return not_found(f"Thread with ID {thread_id} not found")


@router.post("", responses={200: {"model": Thread}, **ERRORS})
async def create_thread(ctx: Ctx, body: ThreadCreate | None = Body(None)) -> Any:
    body = body or ThreadCreate()
    thread_id = require_uuid(body.thread_id, "thread") if body.thread_id else new_id()
    try:
        return await ctx.storage.create_thread(
            thread_id, body.metadata or {}, if_exists=body.if_exists
        )
    except ThreadExistsError as exc:
        raise HTTPException(
            status_code=409, detail=f"Thread with ID {thread_id} already exists"
        ) from exc


@router.get("/{thread_id}", responses={200: {"model": Thread}, **ERRORS})
async def get_thread(ctx: Ctx, thread_id: str) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None:
        raise thread_not_found(thread_id)
    return thread


@router.get("/{thread_id}/state", responses={200: {"model": ThreadState}, **ERRORS})
async def get_thread_state(ctx: Ctx, thread_id: str) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    if await ctx.storage.get_thread(thread_id) is None:
        raise thread_not_found(thread_id)
    return await ctx.storage.get_thread_state(thread_id) or empty_state_payload()
