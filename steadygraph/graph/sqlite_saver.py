"""LangGraph's SQLite checkpointer, one thread hop per call.

`AsyncSqliteSaver` drives its aiosqlite connection call by call: reading a
checkpoint opens a cursor, executes, fetches a row, executes the pending-writes
query, fetches those and closes the cursor, each a round trip between the
event loop and aiosqlite's thread that costs more CPU than the SQLite work
itself. A super-step makes several such calls. This saver runs LangGraph's
own synchronous `SqliteSaver` methods on aiosqlite's thread instead, one
round trip per call: same tables, same SQL, same serialisation, same
transactions (each write commits, as in both LangGraph savers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

T = TypeVar("T")


class OneHopSqliteSaver(AsyncSqliteSaver):
    _sync: SqliteSaver | None = None
    # Read by `LoopBoundCheckpointer`: these calls need not run on the loop
    # that opened the saver.
    calls_from_any_loop = True

    async def setup(self) -> None:
        await super().setup()
        if self._sync is None:
            # The sqlite3 connection aiosqlite owns; used only on its thread.
            sync = SqliteSaver(self.conn._conn, serde=self.serde)
            sync.is_setup = True  # the tables are the ones just set up
            sync._has_task_path = self._has_task_path
            self._sync = sync

    async def _on_connection_thread(self, call: Callable[[SqliteSaver], T]) -> T:
        if self._sync is None:
            await self.setup()
        sync = self._sync
        assert sync is not None
        # aiosqlite's `_execute` runs a callable on the connection's thread, as
        # each of its own methods does; no `self.lock` (an asyncio lock binds
        # to one loop): see the module's docstring.
        return await self.conn._execute(call, sync)

    async def atransaction(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        """Run `statements` and commit them together, in one call."""

        def run(sync: SqliteSaver) -> None:
            # Not `sync.cursor()`: it commits even when a statement failed.
            with sync.lock:
                try:
                    for sql, params in statements:
                        sync.conn.execute(sql, params)
                except BaseException:
                    sync.conn.rollback()
                    raise
                sync.conn.commit()

        await self._on_connection_thread(run)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._on_connection_thread(lambda sync: sync.delete_thread(thread_id))

    async def ahead_id(self, thread_id: str, sql: str) -> str | None:
        """The first column of `sql`'s first row for `thread_id` (the newest
        checkpoint's id: `checkpointer.head_checkpoint_id`), in one call."""

        def read(sync: SqliteSaver) -> str | None:
            with sync.cursor(transaction=False) as cursor:
                row = cursor.execute(sql, (thread_id,)).fetchone()
            return None if row is None else str(row[0])

        return await self._on_connection_thread(read)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._on_connection_thread(lambda sync: sync.get_tuple(config))

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        if limit is None:
            # A whole history may be long: streamed, as LangGraph's saver does.
            async for found in super().alist(config, filter=filter, before=before, limit=limit):
                yield found
            return
        tuples = await self._on_connection_thread(
            lambda sync: list(sync.list(config, filter=filter, before=before, limit=limit))
        )
        for found in tuples:
            yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._on_connection_thread(
            lambda sync: sync.put(config, checkpoint, metadata, new_versions)
        )

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._on_connection_thread(
            lambda sync: sync.put_writes(config, writes, task_id, task_path)
        )
