"""The bodies of cron requests: LangGraph Server's CronCreate / ThreadCronCreate /
CronPatch / CronSearch / CronCount."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from steadygraph.request_body import MAX_OFFSET, RequestBody
from steadygraph.runs.request import (
    Durability,
    InterruptNodes,
    MultitaskStrategy,
    RunConfig,
    StreamMode,
)

SortBy = Literal[
    "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"
]
SelectField = Literal[
    "cron_id",
    "assistant_id",
    "thread_id",
    "on_run_completed",
    "end_time",
    "schedule",
    "timezone",
    "created_at",
    "updated_at",
    "user_id",
    "payload",
    "next_run_date",
    "metadata",
    "enabled",
]


class _RunFields(RequestBody):
    """The run a firing creates; stored as sent in the cron's `payload`."""

    input: dict[str, Any] | list[Any] | str | float | bool | None = None
    metadata: dict[str, Any] | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    webhook: str | None = Field(None, min_length=1, max_length=65536)
    interrupt_before: InterruptNodes | None = None
    interrupt_after: InterruptNodes | None = None
    stream_mode: StreamMode | list[StreamMode] | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: Durability | None = None
    checkpoint_during: bool | None = None


class CronCreate(_RunFields):
    """POST /runs/crons (a new thread per firing) and POST /threads/{id}/runs/crons."""

    assistant_id: str
    schedule: str
    timezone: str | None = None
    end_time: datetime | None = None
    enabled: bool = True
    multitask_strategy: MultitaskStrategy | None = None
    # Stateless crons only: delete (default) or keep each firing's thread.
    on_run_completed: Literal["delete", "keep"] | None = None


class CronPatch(_RunFields):
    """PATCH /runs/crons/{cron_id}: absent fields stay; `end_time: null` clears it."""

    schedule: str | None = None
    timezone: str | None = None
    end_time: datetime | None = None
    enabled: bool | None = None
    on_run_completed: Literal["delete", "keep"] | None = None


class CronSearch(RequestBody):
    assistant_id: str | None = None
    thread_id: str | None = None
    enabled: bool | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    sort_by: SortBy | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[SelectField] | None = None


class CronCount(RequestBody):
    assistant_id: str | None = None
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
