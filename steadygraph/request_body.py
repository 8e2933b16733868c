"""What every request body of the API shares.

Bodies follow LangGraph Server's OpenAPI document, which allows fields it does
not name: they are ignored, never refused.

Their strings are made storable on every backend on the way in: PostgreSQL
holds neither NUL characters nor unpaired surrogates (which JSON can escape).
As LangGraph Server stores them, a NUL becomes U+FFFD and an unpaired
surrogate "?", in keys as in values; so SQLite and PostgreSQL keep, and filters
match, the same text.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

# Offsets are bound as 64-bit integers by SQLite and PostgreSQL; no table holds
# more rows, so a larger offset could only fail, never page.
MAX_OFFSET = 2**63 - 1
# A TTL (in minutes) must still land on a date Python and the databases can
# hold; a century is far beyond any real retention and far from that edge.
MAX_TTL_MINUTES = 100 * 366 * 24 * 60


# json.loads joins escaped surrogate pairs, so any surrogate left is unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: Any) -> Any:
    """The JSON value with its strings as every backend can store them."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        return _SURROGATE.sub("?", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        return storable(data)


# A checkpoint of a thread, as a run's fork point and thread state reads name it.
class CheckpointRef(RequestBody):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None
