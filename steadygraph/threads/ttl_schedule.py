"""The Temporal Schedules Steadygraph keeps for itself."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from steadygraph.config.settings import Settings
from steadygraph.workflows import SweepThreadsWorkflow

log = logging.getLogger(__name__)


def sweep_schedule_id(task_queue: str) -> str:
    return f"steadygraph-thread-ttl-{task_queue}"


async def ensure_sweep_schedule(client: Client, settings: Settings) -> None:
    """Every worker asks for it; the first creates it, the others find it."""
    schedule_id = sweep_schedule_id(settings.task_queue)
    try:
        await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    SweepThreadsWorkflow.run,
                    id=f"{schedule_id}-sweep",
                    task_queue=settings.task_queue,
                ),
                spec=ScheduleSpec(
                    intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.ttl_sweep_s))]
                ),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass
