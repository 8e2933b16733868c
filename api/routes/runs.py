"""Runs on a thread: create, stream, wait, list, get, join, cancel, delete.
The work is in `steadygraph.runs` (submission, service, results)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.common import ERRORS
from steadygraph.api.models.runs import SSE, Run
from steadygraph.api.run_view import content_location, disconnect_handler, run_response
from steadygraph.api.sse import stream_response
from steadygraph.request_body import MAX_OFFSET
from steadygraph.runs import service as runs
from steadygraph.runs.request import CancelAction, RunCreate, RunStatus, StreamMode
from steadygraph.runs.submission import submit_run

router = APIRouter(prefix="/threads/{thread_id}/runs", tags=["Thread Runs"])


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
    run, output = await runs.submit_and_wait(ctx, require_uuid(thread_id, "thread"), body)
    content_location(response, run)
    return output


@router.get("", responses={200: {"model": list[Run]}, **ERRORS})
async def list_runs(
    ctx: Ctx,
    thread_id: str,
    limit: int = Query(10, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    status: RunStatus | None = None,
) -> Any:
    found = await runs.list_runs(
        ctx, require_uuid(thread_id, "thread"), limit=limit, offset=offset, status=status
    )
    return [run_response(ctx, r) for r in found]


@router.get("/{run_id}", responses={200: {"model": Run}, **ERRORS})
async def get_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    return run_response(ctx, await runs.get_run(ctx, thread_id, run_id))


@router.get(
    "/{run_id}/join", responses={200: {"description": "The thread's final values"}, **ERRORS}
)
async def join_run(ctx: Ctx, thread_id: str, run_id: str) -> Any:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    return await runs.join_run(ctx, thread_id, run_id)


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
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    run = await runs.get_run(ctx, thread_id, run_id)
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
    action: CancelAction = "interrupt",
) -> Any:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    await runs.cancel_thread_run(ctx, thread_id, run_id, action, wait=wait)
    if not wait:
        return Response(status_code=202)
    return Response(content=b"{}", status_code=200, media_type="application/json")


@router.delete("/{run_id}", status_code=204, responses={204: {}, **ERRORS})
async def delete_run(ctx: Ctx, thread_id: str, run_id: str) -> Response:
    thread_id, run_id = require_uuid(thread_id, "thread"), require_uuid(run_id, "run")
    await runs.delete_run(ctx, thread_id, run_id)
    return Response(status_code=204)
