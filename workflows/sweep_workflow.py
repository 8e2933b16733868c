"""SweepThreadsWorkflow: started by a Temporal Schedule (visible on the UI's
Schedules page) to apply thread TTLs."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from steadygraph.temporal.contract import ACTIVITY_SWEEP_THREADS, SWEEP_THREADS_WORKFLOW


@workflow.defn(name=SWEEP_THREADS_WORKFLOW)
class SweepThreadsWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            ACTIVITY_SWEEP_THREADS,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_attempts=3),
            result_type=int,
            summary="delete or prune expired threads",
        )
