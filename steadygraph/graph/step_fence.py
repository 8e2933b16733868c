"""Fenced checkpoint writes: a super-step's checkpoint is written only on top of
the thread's head.

Temporal may give up on a step attempt that has not stopped: a workflow task
that timed out on a starved worker (a local step), a heartbeat that came too
late (an activity step). It then runs the step again, and the attempt it gave
up on may still finish afterwards. Its checkpoint, on the parent both attempts
started from, would be written after the steps that followed and, being the
newest, become the thread's head: the thread would go back a step.

So while a step runs (`fenced_steps`), each checkpoint of the thread's root
namespace is written under a per-thread lock, and only if its parent is still
the newest checkpoint of the thread; otherwise `StaleStepError` stops that
attempt. Of two attempts of one step, exactly one writes. Forks (time travel,
`update_state` at a checkpoint) write beside the head on purpose and are not
fenced; subgraphs' namespaces are the parent step's own business.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, ChannelVersions, Checkpoint
from langgraph.checkpoint.base import CheckpointMetadata as Metadata

from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import HEAD_ID_SQL, head_checkpoint_id

_FENCED: ContextVar[bool] = ContextVar("steadygraph_fenced_steps", default=False)

# The class of PostgreSQL advisory locks taken here (their first key), so they
# cannot meet another user's locks of the same thread hash.
_PG_LOCK_CLASS = 0x5347  # "SG"
# Per-thread byte-range locks in one file; two threads may share a slot.
_SQLITE_SLOTS = 4096
_SQLITE_LOCK_POLL_S = 0.002


class StaleStepError(RuntimeError):
    """This attempt's step was already written by another attempt."""


@contextlib.contextmanager
def fenced_steps() -> Iterator[None]:
    """Checkpoints written within (by the graph, on any loop: context variables
    travel with the calls) are fenced."""
    token = _FENCED.set(True)
    try:
        yield
    finally:
        _FENCED.reset(token)


def is_fenced(config: RunnableConfig) -> bool:
    return _FENCED.get() and not config["configurable"].get("checkpoint_ns")


class StepFence:
    """Writes a step's checkpoint while the thread is held (`_held`), only if
    its parent is still the thread's newest checkpoint."""

    # Whether `put` may be awaited from any event loop, not only the one the
    # saver was opened on (see `LoopBoundCheckpointer`).
    calls_from_any_loop = False

    async def put(
        self,
        saver: BaseCheckpointSaver,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: Metadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id = str(config["configurable"]["thread_id"])
        async with self._held(saver, thread_id) as (latest, writer):
            parent = config["configurable"].get("checkpoint_id")
            if latest != parent:
                raise StaleStepError(
                    f"thread {thread_id} has moved on from checkpoint {parent} (its head "
                    f"is {latest}): another attempt of this step wrote it"
                )
            return await writer.aput(config, checkpoint, metadata, new_versions)

    def _held(
        self, saver: BaseCheckpointSaver, thread_id: str
    ) -> contextlib.AbstractAsyncContextManager[tuple[str | None, BaseCheckpointSaver]]:
        """While entered, no other fenced write of the thread can happen; gives
        the thread's newest checkpoint id and the saver to write with."""
        raise NotImplementedError


class PostgresStepFence(StepFence):
    """Lock, check and write in one transaction of one connection."""

    @contextlib.asynccontextmanager
    async def _held(
        self, saver: BaseCheckpointSaver, thread_id: str
    ) -> AsyncIterator[tuple[str | None, BaseCheckpointSaver]]:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        pool: Any = saver.conn  # type: ignore[attr-defined]
        async with pool.connection() as conn, conn.transaction():
            async with conn.cursor() as cursor:
                await cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_PG_LOCK_CLASS, thread_id)
                )
                await cursor.execute(HEAD_ID_SQL.format(p="%s"), (thread_id,))
                row = await cursor.fetchone()
            latest = (
                None if row is None else (row["checkpoint_id"] if isinstance(row, dict) else row[0])
            )
            # LangGraph's own write, on this connection: inside the transaction.
            yield latest, AsyncPostgresSaver(conn, serde=saver.serde)


class SqliteStepFence(StepFence):
    """SQLite's writers are the worker processes of one machine: a per-thread
    byte-range lock in a file next to the database (and a lock within the
    process, as a process does not exclude itself from its own byte-range
    locks: a thread lock, as writers may be on different event loops)."""

    calls_from_any_loop = True

    def __init__(self, lock_path: Path) -> None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._in_process: dict[int, threading.Lock] = {}

    def close(self) -> None:
        os.close(self._fd)

    @contextlib.asynccontextmanager
    async def _held(
        self, saver: BaseCheckpointSaver, thread_id: str
    ) -> AsyncIterator[tuple[str | None, BaseCheckpointSaver]]:
        slot = zlib.crc32(thread_id.encode()) % _SQLITE_SLOTS
        in_process = self._in_process.setdefault(slot, threading.Lock())
        # Both locks polled, never waited for in a thread: a cancelled waiter
        # leaves no lock behind.
        while True:
            if in_process.acquire(blocking=False):
                break
            await asyncio.sleep(_SQLITE_LOCK_POLL_S)
        try:
            while True:
                try:
                    fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
                    break
                except OSError:
                    await asyncio.sleep(_SQLITE_LOCK_POLL_S)
            try:
                yield await head_checkpoint_id(saver, thread_id), saver
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, slot)
        finally:
            in_process.release()


@contextlib.asynccontextmanager
async def open_step_fence(settings: Settings) -> AsyncIterator[StepFence]:
    """The fence for the checkpointer `open_checkpointer(settings)` opens."""
    if settings.is_postgres:
        yield PostgresStepFence()
        return
    fence = SqliteStepFence(Path(settings.checkpoint_url).with_suffix(".step-locks"))
    try:
        yield fence
    finally:
        fence.close()
