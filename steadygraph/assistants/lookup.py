"""Resolving the `assistant_id` of a request: a UUID or a graph id."""

from __future__ import annotations

from typing import Any

from steadygraph.auth import authorize, visible
from steadygraph.errors import Invalid, NotFound
from steadygraph.ids import parse_uuid, system_assistant_id
from steadygraph.services import Services


async def _readable(assistant: dict[str, Any]) -> bool:
    """Using an assistant needs the assistants.read handler's leave, except for
    the graphs' own (system) assistants, as in LangGraph Server."""
    if assistant["assistant_id"] == system_assistant_id(assistant["graph_id"]):
        return True
    filters = await authorize("assistants", "read", {"assistant_id": assistant["assistant_id"]})
    return visible(assistant["metadata"], filters)


async def resolve_assistant(ctx: Services, assistant_id: str) -> dict[str, Any]:
    if assistant_id in ctx.project.graphs:
        assistant_id = system_assistant_id(assistant_id)
    elif parse_uuid(assistant_id) is None:
        graphs = ", ".join(ctx.graph_ids)
        raise Invalid(
            f"Invalid assistant: '{assistant_id}'. Must be either:\n"
            f"- A valid assistant UUID, or\n- One of the registered graphs: {graphs}"
        )
    assistant = await ctx.storage.get_assistant(str(parse_uuid(assistant_id)))
    if assistant is None or not await _readable(assistant):
        raise NotFound("Thread or assistant not found.")
    if assistant["graph_id"] not in ctx.project.graphs:
        raise Invalid(
            f"Graph '{assistant['graph_id']}' of assistant {assistant_id} is not served "
            "by this server's langgraph.json"
        )
    return assistant
