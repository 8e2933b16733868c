"""join / wait: block until a run's workflow ends, then answer from storage."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from api.context import AppContext
from steadygraph.run_output import run_output
from steadygraph.storage import ACTIVE_RUN_STATUSES


async def wait_for_end(ctx: AppContext, run: dict[str, Any]) -> None:
    if run["status"] not in ACTIVE_RUN_STATUSES:
        return
    handle = ctx.temporal.get_workflow_handle(run["run_id"])
    try:
        await handle.result()
    except WorkflowFailureError as exc:
        # RunWorkflow records every ending itself; a workflow that failed
        # anyway was terminated or timed out from outside (e.g. the Temporal
        # UI). Record that, so the run and its thread do not stay busy.
        await ctx.storage.fail_run_if_active(
            run["run_id"], {"error": "WorkflowFailed", "message": str(exc.cause or exc)}
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def final_values(ctx: AppContext, run_id: str, thread_id: str) -> Any:
    return await run_output(ctx.storage, run_id, thread_id)
