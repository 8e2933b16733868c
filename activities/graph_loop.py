"""The event loop graph code runs on: one of its own, apart from the worker's.

A node that blocks its event loop (`time.sleep`, a synchronous HTTP or SDK
call inside `async def`) is common in real graphs. On the worker's own loop it
would also stop the activity's heartbeats (the Temporal SDK sends them from
that loop), so a healthy step would be timed out and run again. Nodes
therefore run on a second event loop in a thread of its own: a blocked node
delays other graph code of the worker, never its heartbeats, its workflows or
its cancellations.

One loop for the worker's lifetime, not one per step: clients a graph keeps
between steps (an `httpx.AsyncClient` inside a chat model) stay on the loop
they were first used on.

The checkpointer and the store belong to the worker's loop (their connection
pools were opened there); `LoopBoundCheckpointer` and `LoopBoundStore` hand
every call the graph makes back to that loop, except a checkpointer's reads
and writes that may be awaited from any loop (SQLite's: `calls_from_any_loop`),
which the graph's loop makes itself: two thread switches fewer per call.

A watchdog notices when graph code holds the loop and logs where, naming the
step's nodes: what `langgraph dev` reports (it raises there, through the
`blockbuster` package); here the run goes on and the log says why it is slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import FrameType
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.store.base import BaseStore, Op, Result

from steadygraph.graph.step_fence import StepFence, is_fenced

log = logging.getLogger(__name__)

T = TypeVar("T")

_END = object()


async def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on `loop` and wait for it from the running loop.

    Cancelling the waiter cancels `coro` and waits until it has stopped, so a
    cancelled activity reports only once its node has really stopped. The
    caller's context variables (the activity's info, tracing) go with it.
    """
    here = asyncio.get_running_loop()
    if here is loop:
        return await coro
    outcome: asyncio.Future[T] = here.create_future()
    started: list[asyncio.Task[T]] = []

    def settle(task: asyncio.Task[T]) -> None:
        here.call_soon_threadsafe(_copy_outcome, task, outcome)

    def start() -> None:
        task = loop.create_task(coro)
        started.append(task)
        task.add_done_callback(settle)

    loop.call_soon_threadsafe(start, context=contextvars.copy_context())
    try:
        return await asyncio.shield(outcome)
    except asyncio.CancelledError:
        if outcome.done():
            raise
        # Queued after `start` on the same loop, so the task exists by then.
        loop.call_soon_threadsafe(lambda: started[0].cancel())
        while not outcome.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(outcome)
        raise


def _copy_outcome(task: asyncio.Task[T], outcome: asyncio.Future[T]) -> None:
    if outcome.done():
        return
    if task.cancelled():
        outcome.cancel()
    elif (exc := task.exception()) is not None:
        outcome.set_exception(exc)
    else:
        outcome.set_result(task.result())


class GraphLoop:
    """An event loop in a daemon thread, started on first use."""

    def __init__(self, *, blocked_after_s: float = 1.0) -> None:
        self._blocked_after_s = blocked_after_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # What graph code is running now, for the watchdog's message.
        self._steps: dict[int, str] = {}
        self._ids = itertools.count()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._serve, args=(ready,), name="steadygraph-graph-loop", daemon=True
                )
                self._thread.start()
                ready.wait()
                threading.Thread(
                    target=self._watch, name="steadygraph-graph-loop-watchdog", daemon=True
                ).start()
            assert self._loop is not None
            return self._loop

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        ready.set()
        self._loop.run_forever()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await on_loop(self.loop, coro)

    async def stream(self, label: str, make: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """The items of `make()`, iterated by one task on the graph loop (so
        the graph's context variables hold across its items) and handed to
        the caller's loop in order. `label` names the graph code for the
        watchdog (the step's nodes)."""
        here = asyncio.get_running_loop()
        items: asyncio.Queue[Any] = asyncio.Queue()

        async def produce() -> None:
            try:
                async for item in make():
                    here.call_soon_threadsafe(items.put_nowait, item)
            finally:
                here.call_soon_threadsafe(items.put_nowait, _END)

        with self._running(label):
            producer = asyncio.ensure_future(self.run(produce()))
            try:
                while (item := await items.get()) is not _END:
                    yield item
                await producer
            finally:
                if not producer.done():
                    producer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await producer

    @contextlib.contextmanager
    def _running(self, label: str) -> Iterator[None]:
        key = next(self._ids)
        self._steps[key] = label
        try:
            yield
        finally:
            self._steps.pop(key, None)

    # --- watchdog -------------------------------------------------------------

    def _watch(self) -> None:
        """Ping the graph loop; when a ping waits longer than
        `blocked_after_s`, log once what the loop's thread is doing."""
        assert self._loop is not None and self._thread is not None
        while True:
            answered = threading.Event()
            try:
                self._loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop was closed
                return
            if answered.wait(self._blocked_after_s):
                time.sleep(self._blocked_after_s / 2)
                continue
            blocked_at = time.monotonic()
            self._warn_blocked()
            answered.wait()
            log.warning(
                "graph event loop was blocked for %.1f s (see the warning above)",
                self._blocked_after_s + time.monotonic() - blocked_at,
            )

    def _warn_blocked(self) -> None:
        assert self._loop is not None and self._thread is not None
        assert self._thread.ident is not None
        frame = sys._current_frames().get(self._thread.ident)
        node = _node_of(frame)
        where = "".join(traceback.format_stack(frame, limit=6)) if frame else "(unknown)\n"
        running = "; ".join(sorted(set(self._steps.values()))) or "(none)"
        log.warning(
            "blocking call in graph code: node %r has held the graph event loop for "
            "%.1f s (steps on this loop: %s). An async node should not call blocking "
            "code (time.sleep, synchronous HTTP or SDK calls): use asyncio.to_thread or "
            "an async client. Blocked at:\n%s",
            node,
            self._blocked_after_s,
            running,
            where.rstrip("\n"),
        )


def _node_of(frame: FrameType | None) -> str:
    """The LangGraph node whose code this frame is in: the name of the
    nearest runnable LangGraph calls a node through."""
    while frame is not None:
        if frame.f_code.co_name in ("ainvoke", "invoke", "astream", "stream"):
            name = getattr(frame.f_locals.get("self"), "name", None)
            if isinstance(name, str) and frame.f_code.co_filename.endswith("_runnable.py"):
                return name
        frame = frame.f_back
    return "(unknown)"


class LoopBoundCheckpointer(BaseCheckpointSaver):
    """A checkpointer whose async calls run on the loop it was opened on,
    whichever loop the graph calls it from."""

    def __init__(
        self,
        inner: BaseCheckpointSaver,
        loop: asyncio.AbstractEventLoop,
        fence: StepFence | None = None,
    ) -> None:
        super().__init__(serde=inner.serde)
        self.inner = inner
        self.owner = loop
        self.fence = fence  # applied to the writes of `fenced_steps`
        # Its reads and writes (and the fence's) run from whichever loop calls.
        self.direct = getattr(inner, "calls_from_any_loop", False) and (
            fence is None or fence.calls_from_any_loop
        )

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return await (coro if self.direct else on_loop(self.owner, coro))

    @property
    def config_specs(self) -> list[Any]:
        return self.inner.config_specs

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.inner.get_next_version(current, channel)

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self.inner.get_tuple(config)

    def list(self, config: RunnableConfig | None, **kwargs: Any) -> Iterator[CheckpointTuple]:
        return self.inner.list(config, **kwargs)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self.inner.put(config, checkpoint, metadata, new_versions)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self.inner.put_writes(config, writes, task_id, task_path)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._call(self.inner.aget_tuple(config))

    async def alist(
        self, config: RunnableConfig | None, **kwargs: Any
    ) -> AsyncIterator[CheckpointTuple]:
        async def collect() -> list[CheckpointTuple]:
            return [item async for item in self.inner.alist(config, **kwargs)]

        # A listing with no limit streams through the saver's own loop-bound lock.
        listing = collect()
        bounded = kwargs.get("limit") is not None
        for item in await (self._call(listing) if bounded else on_loop(self.owner, listing)):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        if self.fence is not None and is_fenced(config):
            put = self.fence.put(self.inner, config, checkpoint, metadata, new_versions)
        else:
            put = self.inner.aput(config, checkpoint, metadata, new_versions)
        return await self._call(put)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._call(self.inner.aput_writes(config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await on_loop(self.owner, self.inner.adelete_thread(thread_id))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await on_loop(self.owner, self.inner.adelete_for_runs(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await on_loop(self.owner, self.inner.acopy_thread(source_thread_id, target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await on_loop(self.owner, self.inner.aprune(thread_ids, strategy=strategy))

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, Any]:
        return await on_loop(
            self.owner, self.inner.aget_delta_channel_history(config=config, channels=channels)
        )


class LoopBoundStore(BaseStore):
    """A store whose operations run on the loop it was opened on. Every
    async method of BaseStore goes through `abatch`."""

    def __init__(self, inner: BaseStore, loop: asyncio.AbstractEventLoop) -> None:
        self.inner = inner
        self.owner = loop
        self.supports_ttl = inner.supports_ttl
        self.ttl_config = inner.ttl_config

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return self.inner.batch(ops)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await on_loop(self.owner, self.inner.abatch(list(ops)))
