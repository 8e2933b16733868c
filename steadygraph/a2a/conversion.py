"""A2A messages and parts <-> LangGraph input, state and interrupts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from steadygraph.a2a.protocol import CONTENT_TYPE_NOT_SUPPORTED, Message
from steadygraph.jsonrpc import INVALID_PARAMS, RpcError

# LangChain message types, as serialised in a thread's values.
_USER_TYPES = {"human", "user"}
_AGENT_TYPES = {"ai", "assistant"}


@dataclass
class Incoming:
    """What an A2A message says: its text parts (joined) and its data parts (merged)."""

    text: str | None
    data: dict[str, Any] = field(default_factory=dict)


def read_parts(message: Message) -> Incoming:
    texts: list[str] = []
    data: dict[str, Any] = {}
    for part in message.parts:
        kind = part.get("kind")
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "data" and isinstance(part.get("data"), dict):
            data.update(part["data"])
        elif kind == "file":
            raise RpcError(
                CONTENT_TYPE_NOT_SUPPORTED, "File parts are not supported; send text or data parts"
            )
        else:
            raise RpcError(
                INVALID_PARAMS,
                "Invalid params: each part must be {'kind': 'text', 'text': str} "
                "or {'kind': 'data', 'data': object}",
            )
    return Incoming("\n".join(texts) if texts else None, data)


def graph_input(message: Message, incoming: Incoming) -> dict[str, Any]:
    """The run's input: text as one human message (keeping the A2A messageId,
    so history maps back), data parts as input fields."""
    values = dict(incoming.data)
    if incoming.text is not None:
        values["messages"] = [{"role": "human", "content": incoming.text, "id": message.messageId}]
    return values


def message_text(content: Any) -> str:
    """A LangChain message's text: a string, or the text blocks of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block if isinstance(block, str) else str(block.get("text") or "")
            for block in content
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
        )
    return "" if content is None else str(content)


def _role(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    kind = str(message.get("type") or message.get("role") or "").lower()
    if kind in _USER_TYPES:
        return "user"
    if kind in _AGENT_TYPES:
        return "agent"
    return None  # system prompts and tool results are not conversation


def agent_message(
    parts: list[dict[str, Any]], *, message_id: str, context_id: str, task_id: str
) -> dict[str, Any]:
    return {
        "kind": "message",
        "role": "agent",
        "parts": parts,
        "messageId": message_id,
        "contextId": context_id,
        "taskId": task_id,
    }


def history(values: Any, *, context_id: str) -> list[dict[str, Any]]:
    """The conversation in a thread's values, as A2A messages (user and agent
    turns with text; tool calls, tool results and system prompts left out)."""
    messages = values.get("messages") if isinstance(values, dict) else None
    found: list[dict[str, Any]] = []
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        role = _role(message)
        text = message_text(message.get("content")) if role else ""
        if role is None or (role == "agent" and not text):
            continue
        found.append(
            {
                "kind": "message",
                "role": role,
                "parts": [{"kind": "text", "text": text}],
                "messageId": str(message.get("id") or f"{context_id}-{index}"),
                "contextId": context_id,
            }
        )
    return found


def reply_parts(values: Any) -> list[dict[str, Any]]:
    """A finished run's answer: the text of the agent's last message of the
    current turn for a graph with messages, else its values as a data part."""
    values = (
        {k: v for k, v in values.items() if not k.startswith("__")}
        if isinstance(values, dict)
        else values
    )
    messages = values.get("messages") if isinstance(values, dict) else None
    if isinstance(messages, list):
        for message in reversed(messages):
            role = _role(message)
            if role == "user":
                break
            if role == "agent" and (text := message_text(message.get("content"))):
                return [{"kind": "text", "text": text}]
        return [{"kind": "text", "text": ""}]
    if isinstance(values, dict):
        return [{"kind": "data", "data": values}]
    return [{"kind": "text", "text": json.dumps(values, default=str)}]


def interrupt_parts(interrupts: list[Any]) -> list[dict[str, Any]]:
    """What each interrupt() asks: its value as text when it is text, else as
    data, with the interrupt id to resume it by."""
    parts: list[dict[str, Any]] = []
    for interrupt in interrupts:
        if not isinstance(interrupt, dict):
            interrupt = {"value": interrupt}
        value = interrupt.get("value")
        if isinstance(value, str):
            parts.append({"kind": "text", "text": value})
        parts.append({"kind": "data", "data": {"id": interrupt.get("id"), "value": value}})
    return parts


def update_messages(update: Any) -> list[dict[str, Any]]:
    """Agent messages with text in one `updates` stream event ({node: update})."""
    found: list[dict[str, Any]] = []
    if not isinstance(update, dict):
        return found
    for node, node_update in update.items():
        if node.startswith("__") or not isinstance(node_update, dict):
            continue
        messages = node_update.get("messages")
        if isinstance(messages, dict):
            messages = [messages]
        for message in messages if isinstance(messages, list) else []:
            if _role(message) == "agent" and message_text(message.get("content")):
                found.append(message)
    return found
