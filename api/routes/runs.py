"""Runs on a thread: create, list, get, join, wait."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from api.context import Ctx
from api.errors import not_found, require_uuid
from api.models import ERRORS, Run, RunCreate
from api.routes.threads import thread_not_found
from api.run_results import final_values, wait_for_end
from api.run_submission import run_response, submit_run

router = APIRouter(prefix="/threads/{thread_id}/runs", tags=["Thread Runs"])


def _content_location(response: Response, run: dict[str, Any]) -> None:
    # The SDK's on_run_created callback reads the run id from this header.
    response.headers["Content-Location"] = f"/threads/{run['thread_id']}/runs/{run['run_id']}"


@router.post("", responses={200: {"model": Run}, **ERRORS})
async def create_run(ctx: Ctx, thread_id: str, body: RunCreate, response: Response) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    run = await submit_run(ctx, thread_id, body)
    _content_location(response, run)
    return run_response(ctx, run)


@router.get("", responses={200: {"model": list[Run]}, **ERRORS})
async def list_runs(
    ctx: Ctx,
    thread_id: str,
    limit: int = Query(10, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    status: Literal["pending", "running", "error", "success", "timeout", "interrupted"]
    | None = None,
) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    if await ctx.storage.get_thread(thread_id) is None:
        raise thread_not_found(thread_id)
    runs = await ctx.storage.list_runs(thread_id, limit=limit, offset=offset, status=status)
    return [run_response(ctx, r) for r in runs]


@router.post("/wait", responses={200: {"description": "The thread's final values"}, **ERRORS})
async def wait_run(ctx: Ctx, thread_id: str, body: RunCreate, response: Response) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    run = await submit_run(ctx, thread_id, body)
    _content_location(response, run)
    await wait_for_end(ctx, run)
    return await final_values(ctx, run["run_id"], thread_id)


@router.get("/{run_id}", responses={200: {"model": Run}, **ERRORS})
async def get_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    run = await ctx.storage.get_run(run_id, thread_id)
    if run is None:
        raise not_found(f"Run {run_id} not found")
    return run_response(ctx, run)


@router.get(
    "/{run_id}/join", responses={200: {"description": "The thread's final values"}, **ERRORS}
)
async def join_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    run = await ctx.storage.get_run(run_id, thread_id)
    if run is None:
        raise not_found(f"Run {run_id} not found")
    await wait_for_end(ctx, run)
    return await final_values(ctx, run_id, thread_id)
