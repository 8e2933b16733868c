"""LangGraph's own durable checkpointers: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from langgraph.checkpoint.base import BaseCheckpointSaver

from steadygraph.config.settings import Settings
from steadygraph.graph.postgres_pool import pool_for
from steadygraph.storage.locks import CHECKPOINTER_SETUP_LOCK_KEY, advisory_lock

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool


@asynccontextmanager
async def open_checkpointer(
    settings: Settings, *, pool: AsyncConnectionPool | None = None
) -> AsyncIterator[BaseCheckpointSaver]:
    """`pool`: a PostgreSQL pool to use (see `postgres_pool.shared_pool`)
    instead of one of its own; ignored on SQLite."""
    if settings.is_postgres:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with pool_for(settings, pool) as connections:
            saver = AsyncPostgresSaver(connections)  # type: ignore[arg-type]
            # The API and a worker starting together would both create the
            # tables; PostgreSQL's CREATE TABLE IF NOT EXISTS can then fail
            # on the type it creates with each table.
            async with advisory_lock(connections, CHECKPOINTER_SETUP_LOCK_KEY):
                await saver.setup()
            yield saver
        return

    from steadygraph.graph.sqlite_saver import OneHopSqliteSaver

    path = Path(settings.checkpoint_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with OneHopSqliteSaver.from_conn_string(str(path)) as sqlite_saver:
        await sqlite_saver.setup()
        # setup() turns on WAL; with WAL, NORMAL still survives a killed
        # process (only an OS crash can lose the newest commits) and saves an
        # fsync per checkpoint write.
        await sqlite_saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield sqlite_saver


# A thread's newest root checkpoint id ({p}: the driver's placeholder); the
# step fence reads it too, inside its own PostgreSQL transaction.
HEAD_ID_SQL = (
    "SELECT checkpoint_id FROM checkpoints WHERE thread_id = {p} AND checkpoint_ns = '' "
    "ORDER BY checkpoint_id DESC LIMIT 1"
)


async def head_checkpoint_id(saver: BaseCheckpointSaver, thread_id: str) -> str | None:
    """The id of a thread's newest root checkpoint, without loading it: a
    step only needs to know whether the thread is still where it was planned
    (`aget_tuple` would read and decode the whole state and its pending writes)."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    from steadygraph.graph.sqlite_saver import OneHopSqliteSaver

    if isinstance(saver, OneHopSqliteSaver):
        return await saver.ahead_id(thread_id, HEAD_ID_SQL.format(p="?"))
    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor(pipeline=False) as cur:  # the saver's own pool and lock
            await cur.execute(HEAD_ID_SQL.format(p="%s"), (thread_id,))
            row = await cur.fetchone()
        return None if row is None else str(row["checkpoint_id"])
    head = await saver.aget_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    return None if head is None else head.config["configurable"]["checkpoint_id"]


async def delete_run_checkpoints(saver: BaseCheckpointSaver, thread_id: str, run_id: str) -> None:
    """Erase the checkpoints (and their pending writes) a run wrote on a thread.

    This is how a rollback returns a thread to its pre-run state. LangGraph's
    savers define `adelete_for_runs` but the SQLite and Postgres ones do not
    implement it, so this goes to their tables directly, by the `run_id` every
    checkpoint's metadata carries.
    """
    from steadygraph.graph.sqlite_saver import OneHopSqliteSaver

    if isinstance(saver, OneHopSqliteSaver):
        await saver.atransaction(
            [
                (
                    "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id IN ("
                    " SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?"
                    " AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?)",
                    (thread_id, thread_id, run_id),
                ),
                (
                    "DELETE FROM checkpoints WHERE thread_id = ?"
                    " AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?",
                    (thread_id, run_id),
                ),
            ]
        )
        return

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor(pipeline=False) as cur:  # the saver's own pool and lock
            await cur.execute(
                "DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_id IN ("
                " SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s"
                " AND metadata->>'run_id' = %s)",
                (thread_id, thread_id, run_id),
            )
            await cur.execute(
                "DELETE FROM checkpoints WHERE thread_id = %s AND metadata->>'run_id' = %s",
                (thread_id, run_id),
            )
        return
    await saver.adelete_for_runs([run_id])


async def copy_thread_checkpoints(
    saver: BaseCheckpointSaver, source_id: str, target_id: str
) -> None:
    """Copy a thread's checkpoints and pending writes to a new thread id
    (threads.copy keeps history). Neither the SQLite nor the Postgres saver
    implements `acopy_thread`, hence the direct copy within their tables."""
    from steadygraph.graph.sqlite_saver import OneHopSqliteSaver

    if isinstance(saver, OneHopSqliteSaver):
        await saver.atransaction(
            [
                (
                    "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id,"
                    " parent_checkpoint_id, type, checkpoint, metadata)"
                    " SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,"
                    " checkpoint, metadata FROM checkpoints WHERE thread_id = ?",
                    (target_id, source_id),
                ),
                (
                    "INSERT INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,"
                    " channel, type, value) SELECT ?, checkpoint_ns, checkpoint_id, task_id, idx,"
                    " channel, type, value FROM writes WHERE thread_id = ?",
                    (target_id, source_id),
                ),
            ]
        )
        return

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor(pipeline=False) as cur:  # the saver's own pool and lock
            await cur.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id,"
                " parent_checkpoint_id, type, checkpoint, metadata)"
                " SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,"
                " checkpoint, metadata FROM checkpoints WHERE thread_id = %s",
                (target_id, source_id),
            )
            await cur.execute(
                "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type,"
                " blob) SELECT %s, checkpoint_ns, channel, version, type, blob"
                " FROM checkpoint_blobs WHERE thread_id = %s",
                (target_id, source_id),
            )
            await cur.execute(
                "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id,"
                " idx, channel, type, blob, task_path) SELECT %s, checkpoint_ns, checkpoint_id,"
                " task_id, idx, channel, type, blob, task_path FROM checkpoint_writes"
                " WHERE thread_id = %s",
                (target_id, source_id),
            )
        return
    await saver.acopy_thread(source_id, target_id)


async def prune_to_latest(saver: BaseCheckpointSaver, thread_id: str) -> None:
    """Keep only a thread's newest checkpoint (TTL / prune strategy "keep_latest")."""
    from steadygraph.graph.sqlite_saver import OneHopSqliteSaver

    if isinstance(saver, OneHopSqliteSaver):
        await saver.atransaction(
            [
                (
                    f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_id <"
                    " (SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ?"
                    " AND checkpoint_ns = '')",
                    (thread_id, thread_id),
                )
                for table in ("writes", "checkpoints")
            ]
        )
        return
    await saver.aprune([thread_id], strategy="keep_latest")
