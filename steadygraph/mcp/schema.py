"""Tool names and input schemas an MCP client (and the model behind it) can use."""

from __future__ import annotations

import copy
import re
from typing import Any

# MCP tool names: 1-128 of letters, digits, "_", "-", ".".
_NAME_MAX = 128
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.\-]")

# LangChain's message classes and the types only they use. A graph whose input
# takes messages publishes all of them as $defs; a model calling the tool only
# ever needs to say one thing.
_MESSAGE_DEF = re.compile(
    r"^(\w*Message(Chunk)?|ToolCall(Chunk)?|InvalidToolCall|\w*TokenDetails"
    r"|UsageMetadata)$"
)
_MESSAGES_FIELD_DESCRIPTION = "The user's message to the agent (text)."


def tool_name(assistant_name: str) -> str:
    """The assistant's name made a valid MCP tool name ("My agent" -> "My_agent")."""
    joined = re.sub(r"\s+", "_", assistant_name.strip())
    return _NOT_IN_NAME.sub("", joined)[:_NAME_MAX]


def tool_input_schema(input_schema: dict[str, Any] | None) -> dict[str, Any]:
    """The graph's input schema as an MCP `inputSchema` (always an object schema).

    A `messages` field typed as a list of LangChain messages becomes a plain
    string: LangGraph's `add_messages` turns a string into a human message, and
    a tool's caller is a model, better served by "say it in text" than by the
    dozen message classes.
    """
    schema = copy.deepcopy(input_schema or {})
    defs = schema.get("$defs") or {}
    message_defs = {name for name in defs if _MESSAGE_DEF.match(name)}
    if message_defs:
        properties = schema.get("properties") or {}
        for field, spec in properties.items():
            if _refs(spec) & message_defs:
                properties[field] = {
                    "type": "string",
                    "title": spec.get("title", field),
                    "description": _MESSAGES_FIELD_DESCRIPTION,
                }
        _keep_reachable_defs(schema)
    schema.setdefault("type", "object")
    if schema["type"] != "object":
        # A graph with a non-object input: the tool still takes an object.
        schema = {"type": "object", "properties": {}, "additionalProperties": True}
    return schema


def _refs(node: Any) -> set[str]:
    """Names of the $defs a schema node refers to, however deep."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref.removeprefix("#/$defs/"))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _keep_reachable_defs(schema: dict[str, Any]) -> None:
    defs = schema.pop("$defs", {})
    reachable: set[str] = set()
    pending = _refs(schema)
    while pending:
        name = pending.pop()
        if name in reachable or name not in defs:
            continue
        reachable.add(name)
        pending |= _refs(defs[name])
    if reachable:
        schema["$defs"] = {name: defs[name] for name in defs if name in reachable}
