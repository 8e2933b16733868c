"""Thread and thread state responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from steadygraph.threads.request import ThreadStatus


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


class ThreadState(BaseModel):
    values: dict[str, Any] | list[Any]
    next: list[str]
    tasks: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: str | None
    checkpoint: dict[str, Any] | None
    parent_checkpoint: dict[str, Any] | None
    interrupts: list[dict[str, Any]]
