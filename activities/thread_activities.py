"""What a ThreadWorkflow asks about runs it did not start itself.

A run created while its thread has nothing else to do is started by the API as
its own workflow (no ThreadWorkflow in between: the common case costs one
workflow, not two). A run or state update that arrives while such a direct run
is active goes through the thread's workflow, which must let the direct run
finish first, or cancel it for an `interrupt`/`rollback` run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from steadygraph.storage import Storage
from steadygraph.temporal.contract import (
    ACTIVITY_CANCEL_DIRECT_RUN,
    ACTIVITY_DIRECT_RUNS,
    CancelRequest,
    DirectRun,
    run_workflow_id,
)

log = logging.getLogger(__name__)

# The API starts a direct run's workflow right after storing the run, and
# erases the run if that fails. One still pending without a workflow after
# this long had its API stop in between: it will never start.
ORPHAN_AFTER_S = 30.0


class ThreadActivities:
    def __init__(self, storage: Storage, temporal: Client) -> None:
        self.storage = storage
        self.temporal = temporal

    @activity.defn(name=ACTIVITY_DIRECT_RUNS)
    async def direct_runs(self, thread_id: str) -> list[DirectRun]:
        """The thread's direct runs that have not ended, oldest first."""
        found = []
        for run_id, status, created_at in await self.storage.active_direct_runs(thread_id):
            if status == "pending" and await self._orphaned(run_id, created_at):
                log.warning("run %s was stored but its workflow never started", run_id)
                await self.storage.finish_run(
                    run_id,
                    status="error",
                    error={
                        "error": "RunNotStarted",
                        "message": "The API stopped before the run's workflow was started",
                    },
                )
                continue
            found.append(DirectRun(run_id, status))
        return found

    async def _orphaned(self, run_id: str, created_at: str) -> bool:
        age = datetime.now(UTC) - datetime.fromisoformat(created_at)
        if age.total_seconds() < ORPHAN_AFTER_S:
            return False
        try:
            await self.temporal.get_workflow_handle(run_workflow_id(run_id)).describe()
        except RPCError:
            return True
        return False

    @activity.defn(name=ACTIVITY_CANCEL_DIRECT_RUN)
    async def cancel_direct_run(self, request: CancelRequest) -> None:
        """A direct run that a later `interrupt`/`rollback` run replaces: ended
        in the database if it has not started, else told to stop."""
        if await self.storage.cancel_pending_run(request.run_id, request.action):
            return  # its workflow finds it ended and does nothing
        await self.storage.request_cancel(request.run_id, request.action)
        try:
            await self.temporal.get_workflow_handle(run_workflow_id(request.run_id)).signal(
                "cancel", request.action
            )
        except RPCError as exc:  # it has ended meanwhile
            log.debug("direct run %s did not take the cancel: %s", request.run_id, exc)
