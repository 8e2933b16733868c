"""Crons: create (stateless or on a thread), get, update, delete, search, count.

Thin: the work (Temporal Schedules, validation) is in `steadygraph.crons.service`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.common import ERRORS
from steadygraph.api.models.crons import Cron
from steadygraph.crons import service as crons
from steadygraph.crons.request import CronCount, CronCreate, CronPatch, CronSearch

router = APIRouter(tags=["Crons"])


@router.post("/runs/crons", responses={200: {"model": Cron}, **ERRORS})
async def create_cron(ctx: Ctx, body: CronCreate) -> Any:
    """A cron whose every firing runs on a new thread (deleted afterwards
    unless `on_run_completed` is "keep")."""
    return await crons.create_cron(ctx, None, body)


@router.post("/threads/{thread_id}/runs/crons", responses={200: {"model": Cron}, **ERRORS})
async def create_thread_cron(ctx: Ctx, thread_id: str, body: CronCreate) -> Any:
    """A cron whose firings run on this thread, under its multitask strategy."""
    return await crons.create_cron(ctx, require_uuid(thread_id, "thread"), body)


@router.post("/runs/crons/search", responses={200: {"model": list[Cron]}, **ERRORS})
async def search_crons(ctx: Ctx, response: Response, body: CronSearch | None = Body(None)) -> Any:
    body = body or CronSearch()
    page, total = await crons.search_crons(ctx, body)
    # LangGraph Server's pagination headers (the SDK ignores them).
    response.headers["X-Pagination-Total"] = str(total)
    if body.offset + len(page) < total:
        response.headers["X-Pagination-Next"] = str(body.offset + body.limit)
    return page


@router.post("/runs/crons/count", responses={200: {"model": int}, **ERRORS})
async def count_crons(ctx: Ctx, body: CronCount | None = Body(None)) -> int:
    return await crons.count_crons(ctx, body or CronCount())


@router.get("/runs/crons/{cron_id}", responses={200: {"model": Cron}, **ERRORS})
async def get_cron(ctx: Ctx, cron_id: str) -> Any:
    return await crons.get_cron(ctx, require_uuid(cron_id, "cron"))


@router.patch("/runs/crons/{cron_id}", responses={200: {"model": Cron}, **ERRORS})
async def update_cron(ctx: Ctx, cron_id: str, body: CronPatch) -> Any:
    return await crons.update_cron(ctx, require_uuid(cron_id, "cron"), body)


@router.delete("/runs/crons/{cron_id}", status_code=204, responses={204: {}, **ERRORS})
async def delete_cron(ctx: Ctx, cron_id: str) -> Response:
    await crons.delete_cron(ctx, require_uuid(cron_id, "cron"))
    return Response(status_code=204)
