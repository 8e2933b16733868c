"""CronWorkflow: one firing of a cron (a Temporal Schedule).

The schedule whose id is the cron id starts this workflow at each tick. It
carries only the cron id: the cron's payload lives in the schedule, and the
`steadygraph.fire_cron` activity reads it there, so an update made between two
firings applies to the next one and the graph's input never enters this
history. The run it creates is an ordinary run (its own RunWorkflow under its
thread's ThreadWorkflow); this workflow ends as soon as the run is accepted,
with the run's ids as its result, so the Temporal UI links a firing to its run.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from steadygraph.temporal.contract import (
    ACTIVITY_FIRE_CRON,
    CRON_FIRING_FAILED,
    CRON_WORKFLOW,
    CronFired,
    CronFiring,
)

# Creating a run is a few rows and one update-with-start: a minute is plenty.
_FIRE_TIMEOUT = timedelta(seconds=60)
# A database or Temporal outage is retried, but not for ever: a firing that
# could not create its run within this window is recorded as failed, and the
# next tick starts afresh (LangGraph Server likewise fires once per tick).
_FIRE_DEADLINE = timedelta(minutes=5)
_FIRE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2,
    maximum_interval=timedelta(seconds=30),
)


@workflow.defn(name=CRON_WORKFLOW)
class CronWorkflow:
    @workflow.run
    async def run(self, firing: CronFiring) -> CronFired:
        try:
            return await workflow.execute_activity(
                ACTIVITY_FIRE_CRON,
                firing,
                result_type=CronFired,
                start_to_close_timeout=_FIRE_TIMEOUT,
                schedule_to_close_timeout=_FIRE_DEADLINE,
                retry_policy=_FIRE_RETRY,
                summary="create the run",
            )
        except ActivityError as exc:
            # Fail this firing with the service's own error (e.g. "Conflict:
            # Thread is busy" under multitask_strategy="reject"), readable in
            # the UI; the schedule itself keeps firing.
            cause = exc.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from exc
            raise ApplicationError(str(exc), type=CRON_FIRING_FAILED, non_retryable=True) from exc
