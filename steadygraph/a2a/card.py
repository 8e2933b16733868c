"""The agent card: who an assistant is to an A2A client, and where to call it."""

from __future__ import annotations

from typing import Any

from steadygraph import __version__
from steadygraph.a2a.protocol import PROTOCOL_VERSION
from steadygraph.assistants.lookup import resolve_assistant
from steadygraph.assistants.schemas import input_fields, published_schemas
from steadygraph.services import Services

TEXT, JSON = "text/plain", "application/json"


async def takes_messages(ctx: Services, assistant: dict[str, Any]) -> bool:
    """Whether the assistant's graph takes `messages`: only such a graph is a
    conversational agent that text parts can talk to (data parts reach any)."""
    return "messages" in input_fields(await published_schemas(ctx, assistant["graph_id"]))


def agent_url(base_url: str, assistant_id: str) -> str:
    return f"{base_url.rstrip('/')}/a2a/{assistant_id}"


async def agent_card(ctx: Services, assistant: dict[str, Any], base_url: str) -> dict[str, Any]:
    name = assistant["name"] or assistant["graph_id"]
    description = assistant.get("description") or (
        f"The '{name}' assistant (graph '{assistant['graph_id']}'); "
        "every task is a durable Steadygraph run."
    )
    conversational = await takes_messages(ctx, assistant)
    input_modes = [TEXT, JSON] if conversational else [JSON]
    output_modes = [TEXT, JSON] if conversational else [JSON]
    url = agent_url(base_url, assistant["assistant_id"])
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "name": name,
        "description": description,
        "url": url,
        "preferredTransport": "JSONRPC",
        "additionalInterfaces": [{"url": url, "transport": "JSONRPC"}],
        "version": __version__,
        "capabilities": {
            "streaming": True,
            "pushNotifications": False,
            "stateTransitionHistory": False,
        },
        "defaultInputModes": input_modes,
        "defaultOutputModes": output_modes,
        "skills": [
            {
                "id": f"{assistant['assistant_id']}-main",
                "name": name,
                "description": description,
                "tags": ["langgraph", "steadygraph", assistant["graph_id"]],
                "examples": [],
                "inputModes": input_modes,
                "outputModes": output_modes,
            }
        ],
    }


async def card_for(ctx: Services, assistant_ref: str, base_url: str) -> dict[str, Any]:
    """The card of an assistant named by UUID or graph id (404/422 otherwise)."""
    return await agent_card(ctx, await resolve_assistant(ctx, assistant_ref), base_url)
