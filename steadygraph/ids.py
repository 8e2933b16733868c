"""Identifiers, derived the way LangGraph Server derives them."""

from __future__ import annotations

import functools
import uuid

from uuid6 import uuid7

# LangGraph Server's namespace for system-assistant ids: uuid5(namespace, graph_id)
# gives the same id for the same graph on every server and every restart.
_GRAPH_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


@functools.lru_cache(maxsize=1024)  # a handful of graphs, asked about on every run
def system_assistant_id(graph_id: str) -> str:
    return str(uuid.uuid5(_GRAPH_NAMESPACE, graph_id))


def new_id() -> str:
    """Thread and run ids are UUIDv7, so they sort by creation time."""
    return str(uuid7())


def parse_uuid(value: str) -> str | None:
    """The canonical form of `value` if it is a UUID, else None."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None
