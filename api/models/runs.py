"""Run responses: the run, and the Server-Sent Events of its stream."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from steadygraph.runs.request import MultitaskStrategy, RunStatus

SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-Sent Events", "content": {"text/event-stream": {}}}
}


class Run(BaseModel):
    run_id: str
    thread_id: str
    assistant_id: str
    metadata: dict[str, Any]
    status: RunStatus
    # The run's options, as stored (see steadygraph.runs.kwargs.RunKwargs).
    kwargs: dict[str, Any]
    multitask_strategy: MultitaskStrategy
    created_at: str
    updated_at: str
    temporal_ui_url: str | None = Field(
        None, description="This run's workflow page in the Temporal Web UI (Steadygraph only)."
    )
