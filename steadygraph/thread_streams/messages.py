"""Chat-model output as the v3 protocol's message lifecycle.

The worker records LangGraph's `messages` stream mode as `[message, metadata]`
pairs (token chunks of a streaming chat model, or whole messages a node
returned). Thread streams show each AI message as `message-start`, then per
content block `content-block-start` / `content-block-delta`* /
`content-block-finish`, then `message-finish`.

The per-block work (which blocks a chunk carries, the empty start skeleton,
the delta, the finalized block) is langchain-core's own compat bridge, the
code LangGraph uses for the same conversion, so both sides agree on shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import _compat_bridge as bridge
from langchain_core.messages import AIMessage, AIMessageChunk

Namespace = tuple[str, ...]
# (namespace, data of one `messages` event)
MessageEvent = tuple[list[str], dict[str, Any]]

# Scalar metadata of LangGraph's that the SDK reads off `message-start`.
_START_METADATA_KEYS = ("langgraph_node", "langgraph_step", "ls_provider", "ls_model_name")


@dataclass
class _OpenMessage:
    message_id: str
    node: str | None
    blocks: dict[Any, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    usage: Any = None
    response_metadata: dict[str, Any] = field(default_factory=dict)


def _decode(message: Any) -> AIMessage | AIMessageChunk | None:
    if not isinstance(message, dict):
        return None
    kind = message.get("type")
    try:
        if kind == "AIMessageChunk":
            return AIMessageChunk.model_validate(message)
        if kind == "ai":
            return AIMessage.model_validate(message)
    except ValueError:
        return None
    return None  # tool results are on the tools channel, inputs are the client's own


class MessageTranslator:
    """Stateful: chunks of one message arrive across many log events."""

    def __init__(self) -> None:
        self._open: dict[tuple[Namespace, str], _OpenMessage] = {}
        self._finished: set[tuple[Namespace, str]] = set()
        self._anonymous = 0

    def feed(self, namespace: list[str], message: Any, metadata: Any) -> list[MessageEvent]:
        msg = _decode(message)
        if msg is None:
            return []
        meta = metadata if isinstance(metadata, dict) else {}
        ns = tuple(namespace)
        if isinstance(msg, AIMessageChunk):
            return self._chunk(ns, msg, meta)
        return self._whole(ns, msg, meta)

    def close(self, namespace: list[str], node: str | None = None) -> list[MessageEvent]:
        """Finish the messages still open in `namespace` (of `node`, if given):
        the node that streamed them has returned."""
        ns = tuple(namespace)
        keys = [
            key
            for key, open_message in self._open.items()
            if key[0] == ns and (node is None or open_message.node in (None, node))
        ]
        return [event for key in keys for event in self._finish(key)]

    def close_all(self) -> list[MessageEvent]:
        return [event for key in list(self._open) for event in self._finish(key)]

    # ------------------------------------------------------------------

    def _start_data(self, msg: AIMessage | AIMessageChunk, message_id: str, meta: dict) -> dict:
        start: dict[str, Any] = dict(bridge._build_message_start(msg, message_id))
        extra = {k: meta[k] for k in _START_METADATA_KEYS if isinstance(meta.get(k), str | int)}
        if extra:
            start["metadata"] = {**(start.get("metadata") or {}), **extra}
        return start

    def _message_id(self, msg: AIMessage | AIMessageChunk, meta: dict) -> str:
        if msg.id:
            return str(msg.id)
        if meta.get("run_id"):
            return str(meta["run_id"])
        self._anonymous += 1
        return f"message-{self._anonymous}"

    def _chunk(self, ns: Namespace, msg: AIMessageChunk, meta: dict) -> list[MessageEvent]:
        message_id = self._message_id(msg, meta)
        key = (ns, message_id)
        if key in self._finished:
            return []
        events: list[dict[str, Any]] = []
        open_message = self._open.get(key)
        if open_message is None:
            node = meta.get("langgraph_node")
            open_message = _OpenMessage(message_id, node if isinstance(node, str) else None)
            self._open[key] = open_message
            events.append(self._start_data(msg, message_id, meta))
        if msg.response_metadata:
            open_message.response_metadata.update(msg.response_metadata)
        for block_key, block in bridge._iter_protocol_blocks(msg):
            if block_key not in open_message.blocks:
                wire_index = len(open_message.blocks)
                open_message.blocks[block_key] = (wire_index, dict(block))
                events.append(
                    {
                        "event": "content-block-start",
                        "index": wire_index,
                        "content": bridge._start_skeleton(block),
                    }
                )
            else:
                wire_index, so_far = open_message.blocks[block_key]
                open_message.blocks[block_key] = (wire_index, bridge._accumulate(so_far, block))
            delta = bridge._to_content_delta(block)
            if delta is not None:
                events.append({"event": "content-block-delta", "index": wire_index, "delta": delta})
        if msg.usage_metadata:
            open_message.usage = bridge._accumulate_usage(open_message.usage, msg.usage_metadata)
        out = [(list(ns), _tagged(event, message_id)) for event in events]
        if msg.chunk_position == "last":
            out.extend(self._finish(key))
        return out

    def _whole(self, ns: Namespace, msg: AIMessage, meta: dict) -> list[MessageEvent]:
        message_id = self._message_id(msg, meta)
        key = (ns, message_id)
        if key in self._open:
            return self._finish(key)  # the streamed message, now complete
        if key in self._finished:
            return []
        self._finished.add(key)
        out: list[MessageEvent] = []
        for event in bridge.message_to_events(msg, message_id=message_id):
            data = dict(event)
            if data.get("event") == "message-start":
                data = self._start_data(msg, message_id, meta)
            out.append((list(ns), _tagged(data, message_id)))
        return out

    def _finish(self, key: tuple[Namespace, str]) -> list[MessageEvent]:
        open_message = self._open.pop(key, None)
        if open_message is None:
            return []
        self._finished.add(key)
        events: list[dict[str, Any]] = [
            dict(bridge._finalize_and_build_finish(wire_index, block))
            for wire_index, block in open_message.blocks.values()
        ]
        events.append(
            dict(
                bridge._build_message_finish(
                    usage=open_message.usage, response_metadata=open_message.response_metadata
                )
            )
        )
        return [(list(key[0]), _tagged(event, open_message.message_id)) for event in events]


def _tagged(event: dict[str, Any], message_id: str) -> dict[str, Any]:
    # The SDK routes deltas of concurrent messages to their stream by this id.
    return {**event, "message_id": message_id}
