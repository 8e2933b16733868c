"""What every request body of the API shares.

Bodies follow LangGraph Server's OpenAPI document, which allows fields it does
not name: they are ignored, never refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

# Offsets are bound as 64-bit integers by SQLite and PostgreSQL; no table holds
# more rows, so a larger offset could only fail, never page.
MAX_OFFSET = 2**63 - 1
# A TTL (in minutes) must still land on a date Python and the databases can
# hold; a century is far beyond any real retention and far from that edge.
MAX_TTL_MINUTES = 100 * 366 * 24 * 60


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")


# A checkpoint of a thread, as a run's fork point and thread state reads name it.
class CheckpointRef(RequestBody):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None
