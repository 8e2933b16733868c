"""The bodies of thread requests, as LangGraph Server's OpenAPI document names them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from steadygraph.request_body import MAX_OFFSET, MAX_TTL_MINUTES, CheckpointRef, RequestBody

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
ThreadField = Literal[
    "thread_id",
    "created_at",
    "updated_at",
    "state_updated_at",
    "metadata",
    "config",
    "context",
    "status",
    "values",
    "interrupts",
    "error",
]


class ThreadTTL(RequestBody):
    strategy: Literal["delete", "keep_latest"] = "delete"
    ttl: float = Field(
        ..., gt=0, le=MAX_TTL_MINUTES, description="Minutes from now until the thread is swept."
    )


class SuperstepUpdate(RequestBody):
    values: dict[str, Any] | list[Any] | None = None
    as_node: str
    command: dict[str, Any] | None = None


class Superstep(RequestBody):
    updates: list[SuperstepUpdate]


class ThreadCreate(RequestBody):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    ttl: ThreadTTL | None = None
    supersteps: list[Superstep] | None = None


class ThreadPatch(RequestBody):
    metadata: dict[str, Any] | None = None
    ttl: ThreadTTL | None = None


class ThreadSearch(RequestBody):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    ids: list[str] | None = None
    status: ThreadStatus | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    sort_by: Literal["thread_id", "status", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[ThreadField] | None = None


class ThreadCount(RequestBody):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None


class ThreadPrune(RequestBody):
    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] = "delete"


class StateUpdateBody(RequestBody):
    values: dict[str, Any] | list[Any] | None = None
    as_node: str | None = None
    checkpoint_id: str | None = None
    checkpoint: CheckpointRef | None = None


class StateAtCheckpoint(RequestBody):
    checkpoint: CheckpointRef
    subgraphs: bool = False


class HistoryQuery(RequestBody):
    limit: int = Field(10, ge=1, le=1000)
    before: CheckpointRef | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None
