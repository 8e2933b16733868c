"""Runs on a thread: create, stream, wait, list, get, join, cancel, delete."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Response

from steadygraph.api.context import AppContext, Ctx
from steadygraph.api.errors import not_found, require_uuid
from steadygraph.api.models import ERRORS, Run, RunCreate, StreamMode
from steadygraph.api.routes.threads import thread_not_found
from steadygraph.api.run_results import final_values, wait_for_end
from steadygraph.api.run_view import run_response
from steadygraph.api.sse import stream_response
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.submission import submit_run
from steadygraph.storage import ACTIVE_RUN_STATUSES

router = APIRouter(prefix="/threads/{thread_id}/runs", tags=["Thread Runs"])

SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-Sent Events", "content": {"text/event-stream": {}}}
}


def content_location(response: Response, run: dict[str, Any]) -> None:
    # The SDK's on_run_created callback reads the run id from this header.
    response.headers["Content-Location"] = f"/threads/{run['thread_id']}/runs/{run['run_id']}"


async def existing_run(ctx: AppContext, thread_id: str, run_id: str) -> dict[str, Any]:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    run = await ctx.storage.get_run(run_id, thread_id)
    if run is None:
        raise not_found(f"Run {run_id} not found")
    return run


def disconnect_handler(
    ctx: AppContext, run: dict[str, Any], cancel: bool
) -> Callable[[], Coroutine[Any, Any, None]] | None:
    if not cancel:
        return None

    async def on_disconnect() -> None:
        current = await ctx.storage.get_run(run["run_id"])
        if current is not None:
            await cancel_run(ctx, current, "interrupt")

    return on_disconnect


@router.post("", responses={200: {"model": Run}, **ERRORS})
async def create_run(ctx: Ctx, thread_id: str, body: RunCreate, response: Response) -> Any:
    run = await submit_run(ctx, require_uuid(thread_id, "thread"), body)
    content_location(response, run)
    return run_response(ctx, run)


@router.post("/stream", responses={**SSE, **ERRORS})
async def stream_run(ctx: Ctx, thread_id: str, body: RunCreate) -> Any:
    run = await submit_run(ctx, require_uuid(thread_id, "thread"), body)
    return stream_response(
        ctx, run, on_disconnect=disconnect_handler(ctx, run, body.on_disconnect == "cancel")
    )


@router.post("/wait", responses={200: {"description": "The thread's final values"}, **ERRORS})
async def wait_run(ctx: Ctx, thread_id: str, body: RunCreate, response: Response) -> Any:
    run = await submit_run(ctx, require_uuid(thread_id, "thread"), body)
    content_location(response, run)
    await wait_for_end(ctx, run["run_id"])
    return await final_values(ctx, run)


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


@router.get("/{run_id}", responses={200: {"model": Run}, **ERRORS})
async def get_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    return run_response(ctx, await existing_run(ctx, thread_id, run_id))


@router.get(
    "/{run_id}/join", responses={200: {"description": "The thread's final values"}, **ERRORS}
)
async def join_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    run = await existing_run(ctx, thread_id, run_id)
    await wait_for_end(ctx, run["run_id"])
    return await final_values(ctx, run)


@router.get("/{run_id}/stream", responses={**SSE, **ERRORS})
async def join_stream(
    ctx: Ctx,
    thread_id: str,
    run_id: str,
    # The SDK sends `stream_mode=` (empty) when it has none to filter by.
    stream_mode: list[StreamMode | Literal[""]] | None = Query(None),
    cancel_on_disconnect: bool = False,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
) -> Any:
    run = await existing_run(ctx, thread_id, run_id)
    after = None
    if last_event_id not in (None, ""):
        try:
            after = int(last_event_id)
        except ValueError as exc:
            raise HTTPException(422, detail="Last-Event-ID must be an event id") from exc
    return stream_response(
        ctx,
        run,
        after=after,
        modes={m for m in stream_mode if m} or None if stream_mode else None,
        on_disconnect=disconnect_handler(ctx, run, cancel_on_disconnect),
    )


@router.post("/{run_id}/cancel", status_code=202, responses={200: {}, 202: {}, **ERRORS})
async def cancel(
    ctx: Ctx,
    thread_id: str,
    run_id: str,
    wait: bool = False,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Any:
    run = await existing_run(ctx, thread_id, run_id)
    await cancel_run(ctx, run, action)
    if not wait:
        return Response(status_code=202)
    await wait_for_end(ctx, run["run_id"])
    return Response(content=b"{}", status_code=200, media_type="application/json")


@router.delete("/{run_id}", status_code=204, responses={204: {}, **ERRORS})
async def delete_run(ctx: Ctx, thread_id: str, run_id: str) -> Response:
    run = await existing_run(ctx, thread_id, run_id)
    if run["status"] in ACTIVE_RUN_STATUSES:
        raise HTTPException(
            status_code=409,
            detail=f"Run {run_id} is {run['status']}; cancel it before deleting it",
        )
    await ctx.storage.delete_run_record(run["run_id"])
    return Response(status_code=204)
