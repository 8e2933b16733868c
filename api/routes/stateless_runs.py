"""Runs without a thread of their own (a temporary one is made), batches, and
cancelling many runs at once."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Response

from steadygraph.api.context import AppContext, Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models import ERRORS, Run, RunCreate, RunsCancel
from steadygraph.api.routes.runs import SSE, content_location, disconnect_handler
from steadygraph.api.run_results import final_values, wait_for_end
from steadygraph.api.run_view import run_response
from steadygraph.api.sse import stream_response
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.submission import submit_run

router = APIRouter(prefix="/runs", tags=["Stateless Runs"])


async def _submit(ctx: AppContext, body: RunCreate) -> dict[str, Any]:
    return await submit_run(ctx, None, body, temporary=body.on_completion == "delete")


@router.post("", responses={200: {"model": Run}, **ERRORS})
async def create(ctx: Ctx, body: RunCreate, response: Response) -> Any:
    run = await _submit(ctx, body)
    content_location(response, run)
    return run_response(ctx, run)


@router.post("/stream", responses={**SSE, **ERRORS})
async def stream(ctx: Ctx, body: RunCreate) -> Any:
    run = await _submit(ctx, body)
    return stream_response(
        ctx, run, on_disconnect=disconnect_handler(ctx, run, body.on_disconnect == "cancel")
    )


@router.post("/wait", responses={200: {"description": "The run's final values"}, **ERRORS})
async def wait(ctx: Ctx, body: RunCreate, response: Response) -> Any:
    run = await _submit(ctx, body)
    content_location(response, run)
    await wait_for_end(ctx, run["run_id"])
    return await final_values(ctx, run)


@router.post("/batch", responses={200: {"model": list[Run]}, **ERRORS})
async def batch(ctx: Ctx, body: list[RunCreate] = Body(...)) -> Any:
    return [run_response(ctx, await _submit(ctx, item)) for item in body]


@router.post("/cancel", status_code=204, responses={204: {}, **ERRORS})
async def cancel_many(
    ctx: Ctx,
    body: RunsCancel,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    if body.status is not None:
        statuses: list[str] = ["pending", "running"] if body.status == "all" else [body.status]
        runs = await ctx.storage.runs_with_status(statuses)
    elif body.thread_id and body.run_ids:
        thread_id = require_uuid(body.thread_id, "thread")
        runs = []
        for run_id in body.run_ids:
            run = await ctx.storage.get_run(require_uuid(run_id, "run"), thread_id)
            if run is None:
                raise HTTPException(404, detail=f"Run {run_id} not found")
            runs.append(run)
    else:
        raise HTTPException(422, detail="Give either status, or thread_id and run_ids")
    for run in runs:
        await cancel_run(ctx, run, action)
    return Response(status_code=204)
