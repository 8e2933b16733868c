"""GET /threads/{thread_id}/storage: bytes a thread's checkpoints occupy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.models.common import ERRORS
from steadygraph.threads.storage_usage import thread_storage

router = APIRouter(prefix="/threads", tags=["Threads"])


@router.get(
    "/{thread_id}/storage",
    responses={200: {"description": "Bytes per section, as stored"}, 501: {}, **ERRORS},
)
async def get_thread_storage(ctx: Ctx, thread_id: str) -> Any:
    return await thread_storage(ctx, require_uuid(thread_id, "thread"))
