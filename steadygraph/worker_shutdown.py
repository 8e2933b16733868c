"""A worker's graceful shutdown: on SIGTERM it stops polling, lets the
super-steps it runs finish within the grace period, and hands back those
still running then, so another worker runs them again.

Temporal's Worker does the mechanics (`graceful_shutdown_timeout`, then a
cancellation of each activity still running). This module counts the steps in
flight, so the worker can say what it is waiting for, and turns a step cut short
by the shutdown into a retryable failure that says why, rather than an anonymous
cancellation, in the run's history.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

log = logging.getLogger("steadygraph.worker")

# Failure type of an attempt cut short by a worker shutdown (retried like any other).
WORKER_SHUTDOWN = "WorkerShutdown"
# Bookkeeping activities carry this prefix (temporal/contract.py); every other
# activity is a super-step, named after its nodes.
_BOOKKEEPING_PREFIX = "steadygraph."


def is_superstep(activity_type: str) -> bool:
    return not activity_type.startswith(_BOOKKEEPING_PREFIX)


class StepsInFlight(Interceptor):
    """Counts the super-steps this worker is running."""

    def __init__(self) -> None:
        self.running: dict[str, str] = {}  # activity id -> its type (the nodes)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingInbound(next, self)


class _CountingInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, steps: StepsInFlight) -> None:
        super().__init__(next)
        self._steps = steps

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if not is_superstep(info.activity_type):
            return await self.next.execute_activity(input)
        key = f"{info.workflow_id}/{info.activity_id}"
        self._steps.running[key] = info.activity_type
        try:
            return await self.next.execute_activity(input)
        except asyncio.CancelledError:
            details = activity.cancellation_details()
            if details is None or not details.worker_shutdown or details.cancel_requested:
                raise  # the run was cancelled: the workflow handles that
            log.warning(
                "handing back step %s of %s (attempt %d): still running at the end of the "
                "shutdown grace period; another worker will run it again",
                info.activity_type,
                info.workflow_id,
                info.attempt,
            )
            raise ApplicationError(
                f"step {info.activity_type} was handed back: its worker shut down",
                type=WORKER_SHUTDOWN,
            ) from None
        finally:
            self._steps.running.pop(key, None)
