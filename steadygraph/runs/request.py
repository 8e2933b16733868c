"""The body of a run request (create, stream, wait, batch, cron payloads).

Field names, defaults and enums follow LangGraph Server's OpenAPI document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Body(BaseModel):
    # Unknown fields are ignored, as LangGraph Server's schema allows them.
    model_config = ConfigDict(extra="ignore")


class CheckpointRef(_Body):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: dict[str, Any] | None = None


class RunCreate(_Body):
    assistant_id: str
    input: dict[str, Any] | list[Any] | str | float | bool | None = None
    command: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None
    checkpoint_id: str | None = None
    metadata: dict[str, Any] | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    webhook: str | None = Field(None, min_length=1, max_length=65536)
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None
    stream_mode: StreamMode | list[StreamMode] = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    on_disconnect: Literal["cancel", "continue"] = "continue"
    feedback_keys: list[str] | None = None
    multitask_strategy: MultitaskStrategy = "enqueue"
    if_not_exists: Literal["create", "reject"] = "reject"
    after_seconds: float | None = Field(None, ge=0)
    checkpoint_during: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    # Stateless runs only: delete or keep the thread made for the run.
    on_completion: Literal["delete", "keep"] = "delete"
