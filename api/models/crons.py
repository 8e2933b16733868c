"""Cron responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Cron(BaseModel):
    """Response shape (documentation only: responses are the service's dicts)."""

    cron_id: str
    assistant_id: str | None
    thread_id: str | None
    user_id: str | None
    end_time: str | None
    schedule: str
    timezone: str | None
    payload: dict[str, Any]
    next_run_date: str | None
    metadata: dict[str, Any]
    on_run_completed: str | None
    enabled: bool
    created_at: str
    updated_at: str
