"""How the API shows runs: the stored run plus its Temporal UI link, the header
that names a new run, and the hook that stops a run whose stream was dropped."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Response

from steadygraph.runs import service as runs
from steadygraph.services import Services
from steadygraph.temporal.client import workflow_ui_url


def run_response(ctx: Services, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "temporal_ui_url": workflow_ui_url(ctx.settings, run["run_id"])}


def content_location(response: Response, run: dict[str, Any]) -> None:
    # The SDK's on_run_created callback reads the run id from this header.
    response.headers["Content-Location"] = f"/threads/{run['thread_id']}/runs/{run['run_id']}"


def disconnect_handler(
    ctx: Services, run: dict[str, Any], cancel: bool
) -> Callable[[], Coroutine[Any, Any, None]] | None:
    """With `cancel` (on_disconnect="cancel"), what to do when the client goes away."""
    if not cancel:
        return None

    async def on_disconnect() -> None:
        await runs.interrupt_run(ctx, run["run_id"])

    return on_disconnect
