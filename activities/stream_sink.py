"""A run's stream, from LangGraph's `astream` chunks to the durable event log.

Events are named and shaped as LangGraph Server sends them over SSE; the API
tails the log. Writes are batched (at most every few milliseconds) so token
streaming does not cost a transaction per token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import BaseMessageChunk

from steadygraph.graph.serde import dumps
from steadygraph.storage import Storage

_FLUSH_INTERVAL_S = 0.02
_MAX_BUFFERED = 64
# Modes LangGraph's astream produces itself; "events" needs astream_events.
# "tools" (tool-call lifecycle) is not a run stream mode of LangGraph Server's
# API; only thread streams (the v3 protocol) ask for it.
_NATIVE_MODES = {"values", "updates", "debug", "custom", "tasks", "checkpoints", "tools"}


def graph_stream_modes(requested: list[str]) -> list[str]:
    """What to ask LangGraph for: the client's modes, plus `updates`, which tells
    us which nodes ran and whether one was interrupted."""
    modes = {m for m in requested if m in _NATIVE_MODES}
    if "messages" in requested or "messages-tuple" in requested:
        modes.add("messages")
    modes.add("updates")
    return sorted(modes)


class StreamSink:
    def __init__(self, storage: Storage, run_id: str, requested: list[str]) -> None:
        self._storage = storage
        self._run_id = run_id
        self._requested = set(requested)
        self._buffer: list[tuple[str, bytes]] = []
        self._messages: dict[str, Any] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self._emitted = asyncio.Event()  # also set on close, to wake the flusher

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls,
        storage: Storage,
        run_id: str,
        requested: list[str],
        *,
        rest: list[tuple[str, bytes]] | None = None,
    ) -> AsyncIterator[StreamSink]:
        """With `rest`, a stream that ends without an error leaves its last,
        unwritten events there (the caller writes them with the step's state,
        in the same transaction) instead of writing them itself. Events already
        in `rest` (an earlier stream's of the same activity) are taken over
        first, so they keep their place before this stream's."""
        sink = cls(storage, run_id, requested)
        if rest:
            sink._buffer, rest[:] = list(rest), []
        sink._flusher = asyncio.create_task(sink._flush_periodically())
        ended = False
        try:
            yield sink
            ended = True
        finally:
            # Shielded: a cancelled step still records all it streamed. The
            # flusher is asked to stop, never cancelled: cancelling it in the
            # middle of a write would lose the batch it was writing.
            await asyncio.shield(sink._close(rest if ended else None))

    async def _close(self, rest: list[tuple[str, bytes]] | None = None) -> None:
        self._closing.set()
        self._emitted.set()
        if self._flusher is not None:
            await self._flusher
        if rest is not None:
            rest.extend(self._buffer)
            self._buffer = []
            return
        await self.flush()

    def emit(self, event: str, data: Any) -> None:
        self._buffer.append((event, dumps(data)))
        self._emitted.set()

    async def flush(self) -> None:
        async with self._lock:
            batch, self._buffer = self._buffer, []
            try:
                await self._storage.append_events(self._run_id, batch)
            except BaseException:
                self._buffer[:0] = batch  # kept for the next flush
                raise

    async def _flush_periodically(self) -> None:
        # Idle until something is emitted, then batch for the interval: a node
        # that sleeps or waits costs no wake-ups (1,000 of them polling every
        # 20 ms kept a worker's event loop too busy to heartbeat in time).
        while True:
            await self._emitted.wait()
            if self._closing.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _FLUSH_INTERVAL_S)
            if self._closing.is_set():  # the close flushes what is left
                return
            self._emitted.clear()
            if self._buffer:
                await self.flush()

    async def add(self, namespace: tuple[str, ...], mode: str, chunk: Any) -> None:
        """One chunk from `graph.astream(..., stream_mode=[...], subgraphs=True)`."""
        suffix = "|" + "|".join(namespace) if namespace else ""
        if mode == "messages":
            self._add_message(chunk, suffix)
        elif mode in self._requested:
            self.emit(mode + suffix, chunk)
        if len(self._buffer) >= _MAX_BUFFERED:
            await self.flush()

    def _add_message(self, chunk: Any, suffix: str) -> None:
        message, metadata = chunk
        if "messages-tuple" in self._requested:
            self.emit("messages" + suffix, [message, metadata])
        if "messages" not in self._requested:
            return
        # "messages" mode: the message accumulated so far, plus its metadata
        # once, as LangGraph Server's messages/partial and /complete events.
        message_id = getattr(message, "id", None) or ""
        if message_id not in self._messages:
            self._messages[message_id] = message
            self.emit("messages/metadata" + suffix, {message_id: {"metadata": metadata}})
        elif isinstance(message, BaseMessageChunk):
            self._messages[message_id] = self._messages[message_id] + message
        else:
            self._messages[message_id] = message
        kind = "partial" if isinstance(message, BaseMessageChunk) else "complete"
        self.emit(f"messages/{kind}{suffix}", [self._messages[message_id]])
