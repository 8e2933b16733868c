"""Runs without a thread of their own (a temporary one is made), batches, and
cancelling many runs at once. The work is in `steadygraph.runs.service`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.common import ERRORS
from steadygraph.api.models.runs import SSE, Run
from steadygraph.api.run_view import content_location, disconnect_handler, run_response
from steadygraph.api.sse import stream_response
from steadygraph.runs import service as runs
from steadygraph.runs.request import CancelAction, RunCreate, RunsCancel

router = APIRouter(prefix="/runs", tags=["Stateless Runs"])


@router.post("", responses={200: {"model": Run}, **ERRORS})
async def create(ctx: Ctx, body: RunCreate, response: Response) -> Any:
    run = await runs.submit_stateless_run(ctx, body)
    content_location(response, run)
    return run_response(ctx, run)


@router.post("/stream", responses={**SSE, **ERRORS})
async def stream(ctx: Ctx, body: RunCreate) -> Any:
    run = await runs.submit_stateless_run(ctx, body)
    return stream_response(
        ctx, run, on_disconnect=disconnect_handler(ctx, run, body.on_disconnect == "cancel")
    )


@router.post("/wait", responses={200: {"description": "The run's final values"}, **ERRORS})
async def wait(ctx: Ctx, body: RunCreate, response: Response) -> Any:
    run, output = await runs.submit_and_wait(ctx, None, body)
    content_location(response, run)
    return output


@router.post("/batch", responses={200: {"model": list[Run]}, **ERRORS})
async def batch(ctx: Ctx, body: list[RunCreate] = Body(...)) -> Any:
    return [run_response(ctx, run) for run in await runs.submit_stateless_runs(ctx, body)]


@router.post("/cancel", status_code=204, responses={204: {}, **ERRORS})
async def cancel_many(
    ctx: Ctx,
    body: RunsCancel,
    action: CancelAction = "interrupt",
) -> Response:
    # The ids only matter (and are only checked) when no status is given.
    thread_id = run_ids = None
    if body.status is None and body.thread_id and body.run_ids:
        thread_id = require_uuid(body.thread_id, "thread")
        run_ids = [require_uuid(run_id, "run") for run_id in body.run_ids]
    await runs.cancel_runs(ctx, body, action, thread_id=thread_id, run_ids=run_ids)
    return Response(status_code=204)
