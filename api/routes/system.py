"""Health and server information."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter

from steadygraph.api.deps import Ctx

router = APIRouter(tags=["System"])
# /ok alone: what stays served under langgraph.json's `http.disable_meta`.
health_router = APIRouter(tags=["System"])


@health_router.get("/ok", summary="Ready to take runs")
async def ok(ctx: Ctx) -> dict[str, bool]:
    # Answering at all means storage is migrated and Temporal was reached at start-up.
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
