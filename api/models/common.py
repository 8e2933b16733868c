"""Error responses, as LangGraph Server sends them: always `{"detail": "<text>"}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody}}
# Graph information that no worker has published yet.
WITH_UNAVAILABLE: dict[int | str, dict[str, Any]] = {**ERRORS, 503: {"model": ErrorBody}}
