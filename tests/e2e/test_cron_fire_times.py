"""Cron expressions fire when croniter says they do (LangGraph Server uses croniter).

steadygraph.crons.service translates each cron expression into Temporal cron strings
by hand. Here each translation is put in a real (paused) Temporal Schedule, and the
fire times Temporal computes for it are compared with croniter's for the original
expression, from the same starting time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleSpec,
    ScheduleState,
)

from steadygraph.crons.service import cron_expressions
from steadygraph.dev.temporal_server import EmbeddedTemporal

EXPRESSIONS = [
    "* * * * *",
    "*/5 * * * *",
    "5/15 * * * *",
    "10-20/5 3 * * *",
    "15,45 8,20 * * *",
    "0 9-17 * * *",
    "0 9 * * MON-FRI",
    "0 9 * * mon,wed,fri",
    "0 9 * * FRI-MON",  # a weekday range over the weekend
    "30 6 * * 0",
    "30 6 * * 7",  # 7 is Sunday too
    "0 0 * * 5-7",
    "0 0 1 JAN,JUL *",
    "0 0 1 6-8 *",
    "0 0 31 * *",
    "0 0 29 2 *",
    # Day of month and day of week both restricted: cron fires on either.
    "0 12 13 * 5",
    "0 0 1-7 * MON",
    "0 0 1-31 * 1",
    "0 0 */2 * 1",
    "0 0 ? * *",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "*/7 * * * *",  # 56 then 0: steps restart each hour
    "0 0 5/10 * *",
    "0 0 * * */2",
    "0 0 * * SUN",
    "0 0 1 * SAT-SUN",
    # A restricted field that happens to cover every day still ORs with the other.
    "0 0 1 * 0-6",
    "0 0 1 * 1-7",
    "0 0 */1 * 1",
    "0 0 ? * 1",
    "0 0 1 * ?",
]


@pytest.fixture
async def temporal(temporal_server: EmbeddedTemporal) -> Client:
    return await Client.connect(temporal_server.address)


async def _temporal_fire_times(
    temporal: Client, expression: str, timezone: str
) -> tuple[datetime, list[datetime], datetime]:
    """(a time before Temporal computed them, Temporal's next fire times, a time after)."""
    schedule = Schedule(
        # Paused, and no worker polls this queue: the schedule never starts anything.
        action=ScheduleActionStartWorkflow(
            "CronFireTimesNeverRuns", id=f"fire-times-{uuid.uuid4()}", task_queue="never-polled"
        ),
        spec=ScheduleSpec(cron_expressions=cron_expressions(expression), time_zone_name=timezone),
        state=ScheduleState(paused=True),
    )
    before = datetime.now(UTC)
    handle = await temporal.create_schedule(f"fire-times-{uuid.uuid4()}", schedule)
    try:
        description = await handle.describe()
    finally:
        await handle.delete()
    after = datetime.now(UTC)
    return before, [t.astimezone(UTC) for t in description.info.next_action_times], after


def _croniter_fire_times(expression: str, timezone: str, start: datetime, count: int) -> list:
    times = croniter(expression, start.astimezone(ZoneInfo(timezone)))
    return [times.get_next(datetime).astimezone(UTC) for _ in range(count)]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
async def test_fire_times_match_croniter(temporal: Client, expression: str, timezone: str) -> None:
    before, fired, after = await _temporal_fire_times(temporal, expression, timezone)
    assert len(fired) >= 5, f"Temporal listed only {fired} for {expression!r}"

    expected = _croniter_fire_times(expression, timezone, before, len(fired) + 2)
    # Temporal counts from when it described the schedule, a moment after `before`:
    # a fire time in between may be missing from its list.
    while expected[0] < fired[0] and expected[0] <= after:
        expected.pop(0)
    assert fired == expected[: len(fired)], cron_expressions(expression)
