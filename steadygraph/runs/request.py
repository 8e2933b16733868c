"""The bodies of run requests (create, stream, wait, batch, cron payloads, cancel).

Field names, defaults and enums follow LangGraph Server's OpenAPI document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steadygraph.request_body import CheckpointRef, RequestBody

StreamMode = Literal[
    "values",
    "messages",
    "messages-tuple",
    "tasks",
    "checkpoints",
    "updates",
    "events",
    "debug",
    "custom",
]
MultitaskStrategy = Literal["reject", "rollback", "interrupt", "enqueue"]
RunStatus = Literal["pending", "running", "error", "success", "timeout", "interrupted"]
CancelAction = Literal["interrupt", "rollback"]
Durability = Literal["sync", "async", "exit"]
InterruptNodes = Literal["*"] | list[str]

# `after_seconds` becomes a Temporal timer in the thread's workflow; a delay
# longer than Python's timedelta can hold would wedge that workflow. A year is
# beyond any real schedule (crons exist for those).
MAX_DELAY_SECONDS = 366 * 24 * 3600

__all__ = [
    "CancelAction",
    "CheckpointRef",
    "Durability",
    "InterruptNodes",
    "MultitaskStrategy",
    "RunConfig",
    "RunCreate",
    "RunStatus",
    "RunsCancel",
    "StreamMode",
]


class RunConfig(BaseModel):
    # A RunnableConfig: keys beyond these are the graph's business and kept.
    model_config = ConfigDict(extra="allow")
    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: dict[str, Any] | None = None


class RunCreate(RequestBody):
    assistant_id: str
    input: dict[str, Any] | list[Any] | str | float | bool | None = None
    command: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None
    checkpoint_id: str | None = None
    metadata: dict[str, Any] | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    webhook: str | None = Field(None, min_length=1, max_length=65536)
    interrupt_before: InterruptNodes | None = None
    interrupt_after: InterruptNodes | None = None
    stream_mode: StreamMode | list[StreamMode] = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    on_disconnect: Literal["cancel", "continue"] = "continue"
    feedback_keys: list[str] | None = None
    multitask_strategy: MultitaskStrategy = "enqueue"
    if_not_exists: Literal["create", "reject"] = "reject"
    after_seconds: float | None = Field(None, ge=0, le=MAX_DELAY_SECONDS)
    checkpoint_during: bool | None = None
    durability: Durability | None = None
    # Stateless runs only: delete or keep the thread made for the run.
    on_completion: Literal["delete", "keep"] = "delete"


# POST /runs/cancel: every run with a status, or named runs of one thread.
class RunsCancel(RequestBody):
    status: Literal["pending", "running", "all"] | None = None
    thread_id: str | None = None
    run_ids: list[str] | None = None
