"""Cancelling runs. A run still pending in the database is ended there at once
(no worker needed) and its thread's workflow told by signal to forget it.
Otherwise through the thread's workflow, which knows whether the run
is still queued (dropped without running) or running (its RunWorkflow stops
the current step via Temporal activity cancellation)."""

from __future__ import annotations

import logging
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES
from steadygraph.temporal.contract import (
    CancelRequest,
    run_workflow_id,
    thread_workflow_id,
)
from steadygraph.workflows import RunWorkflow, ThreadWorkflow

log = logging.getLogger(__name__)


async def cancel_run(ctx: Services, run: dict[str, Any], action: str) -> None:
    if run["status"] not in ACTIVE_RUN_STATUSES:
        return
    run_id = run["run_id"]
    thread_workflow = ctx.temporal.get_workflow_handle(thread_workflow_id(run["thread_id"]))
    if run["status"] == "pending" and await ctx.storage.cancel_pending_run(run_id, action):
        # Ended in the database before any worker marked it running, so it
        # never will run; the thread's workflow only has to forget it. A signal
        # is stored by the Temporal server at once, worker or not.
        try:
            await thread_workflow.signal(
                ThreadWorkflow.cancel_queued_run, CancelRequest(run_id, action)
            )
        except RPCError as exc:
            log.debug("thread workflow of run %s did not take the cancel: %s", run_id, exc)
        return
    # A step running as a local activity watches for this: its workflow would
    # see the cancel signal only when the step's workflow task ends.
    await ctx.storage.request_cancel(run_id, action)
    try:
        # The result type comes from cancel_run's annotation.
        outcome = await thread_workflow.execute_update(
            ThreadWorkflow.cancel_run, CancelRequest(run_id, action)
        )
        if outcome.found:
            return
    except (RPCError, WorkflowUpdateFailedError) as exc:
        log.debug("thread workflow of run %s did not take the cancel: %s", run_id, exc)
    # Its thread's workflow no longer tracks it (e.g. terminated by hand):
    # cancel the run's own workflow, or record the end if there is none.
    try:
        await ctx.temporal.get_workflow_handle(run_workflow_id(run_id)).signal(
            RunWorkflow.cancel, action
        )
    except RPCError:
        if action == "rollback":
            await ctx.storage.delete_run_record(run_id)
        else:
            await ctx.storage.finish_run(run_id, status="interrupted", error=None)
