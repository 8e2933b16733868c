"""Health, metrics and server information."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from steadygraph.api.deps import Ctx
from steadygraph.api.metrics import CONTENT_TYPE_LATEST, scrape
from steadygraph.health import readiness_problems

router = APIRouter(tags=["System"])
# /ok alone: what stays served under langgraph.json's `http.disable_meta`.
health_router = APIRouter(tags=["System"])


@health_router.get(
    "/ok",
    summary="Health check",
    responses={500: {"description": "check_db=1 and storage or Temporal is unreachable"}},
)
async def ok(
    ctx: Ctx,
    check_db: int = Query(
        0, ge=0, le=1, description="1: also check the database and Temporal (readiness)"
    ),
) -> Any:
    # Without check_db this is liveness: answering at all means storage was
    # migrated and Temporal reached at start-up. LangGraph Server answers a
    # failed check_db with 500, so this does too.
    if check_db:
        problems = await readiness_problems(ctx.storage.engine, ctx.temporal)
        if problems:
            return JSONResponse({"detail": "; ".join(problems)}, status_code=500)
    return {"ok": True}


router.include_router(health_router)


@router.get("/info", summary="Server information")
async def info(ctx: Ctx) -> dict[str, Any]:
    return {
        "version": version("steadygraph"),
        "langgraph_py_version": version("langgraph"),
        "flags": {"assistants": True, "crons": True, "langsmith": False},
        "host": {
            "kind": "self-hosted",
            "project_id": None,
            "host_revision_id": None,
            "revision_id": None,
            "tenant_id": None,
        },
        "temporal": {
            "address": ctx.settings.temporal_address,
            "namespace": ctx.settings.temporal_namespace,
            "task_queue": ctx.settings.task_queue,
            "ui_url": ctx.settings.temporal_ui_url,
        },
    }


@router.get(
    "/metrics",
    summary="System metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}, "application/json": {}}}},
)
async def metrics(
    ctx: Ctx,
    format: Literal["prometheus", "json"] = Query(
        "prometheus", description="prometheus (the text exposition format) or json"
    ),
) -> Any:
    totals = await ctx.storage.run_status_totals()
    if format == "json":
        by_status = {status: count for status, (count, _, _) in totals.items()}
        return JSONResponse(
            {"runs": {"by_status": by_status, "pending": by_status.get("pending", 0)}}
        )
    return Response(scrape(totals), media_type=CONTENT_TYPE_LATEST)
