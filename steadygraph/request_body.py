"""What every request body of the API shares.

Bodies follow LangGraph Server's OpenAPI document, which allows fields it does
not name: they are ignored, never refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")


# A checkpoint of a thread, as a run's fork point and thread state reads name it.
class CheckpointRef(RequestBody):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None
