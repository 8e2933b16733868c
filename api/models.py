"""Request bodies (validated) and response shapes (documented in /docs).

Field names, defaults and enums follow LangGraph Server's OpenAPI document.
Responses are built as plain dicts by storage and only described here, so a
shape is never silently filtered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steadygraph.runs.request import (  # noqa: F401 - part of the API schema
    CheckpointRef,
    MultitaskStrategy,
    RunConfig,
    RunCreate,
    StreamMode,
)

RunStatus = Literal["pending", "running", "error", "success", "timeout", "interrupted"]
ThreadStatus = Literal["idle", "busy", "interrupted", "error"]


class _Body(BaseModel):
    # Unknown fields are ignored, as LangGraph Server's schema allows them.
    model_config = ConfigDict(extra="ignore")


class AssistantSearch(_Body):
    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: (
        list[
            Literal[
                "assistant_id",
                "graph_id",
                "name",
                "description",
                "config",
                "context",
                "created_at",
                "updated_at",
                "metadata",
                "version",
            ]
        ]
        | None
    ) = None


class AssistantCount(_Body):
    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None


class ThreadCreate(_Body):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class RunsCancel(_Body):
    status: Literal["pending", "running", "all"] | None = None
    thread_id: str | None = None
    run_ids: list[str] | None = None


# ---- response shapes (documentation only) ----------------------------------


class Assistant(BaseModel):
    assistant_id: str
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    name: str
    created_at: str
    updated_at: str
    version: int
    description: str | None


class Thread(BaseModel):
    thread_id: str
    created_at: str
    updated_at: str
    state_updated_at: str
    metadata: dict[str, Any]
    status: ThreadStatus
    config: dict[str, Any]
    values: dict[str, Any] | None
    error: dict[str, Any] | None = None
    interrupts: dict[str, Any] | None = None


class Run(BaseModel):
    run_id: str
    thread_id: str
    assistant_id: str
    metadata: dict[str, Any]
    status: RunStatus
    kwargs: dict[str, Any]
    multitask_strategy: MultitaskStrategy
    created_at: str
    updated_at: str
    temporal_ui_url: str | None = Field(
        None, description="This run's workflow page in the Temporal Web UI (Steadygraph only)."
    )


class ThreadState(BaseModel):
    values: dict[str, Any] | list[Any]
    next: list[str]
    tasks: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: str | None
    checkpoint: dict[str, Any] | None
    parent_checkpoint: dict[str, Any] | None
    interrupts: list[dict[str, Any]]


class ErrorBody(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
