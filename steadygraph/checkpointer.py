"""LangGraph's own durable checkpointers: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver

from steadygraph.settings import Settings


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver]:
    if settings.is_postgres:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        async with AsyncConnectionPool(
            settings.checkpoint_url,
            max_size=20,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            open=False,
        ) as pool:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            yield saver
        return

    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(settings.checkpoint_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await saver.setup()
        yield saver


async def delete_run_checkpoints(saver: BaseCheckpointSaver, thread_id: str, run_id: str) -> None:
    """Erase the checkpoints (and their pending writes) a run wrote on a thread.

    This is how a rollback returns a thread to its pre-run state. LangGraph's
    savers define `adelete_for_runs` but the SQLite and Postgres ones do not
    implement it, so this goes to their tables directly, by the `run_id` every
    checkpoint's metadata carries.
    """
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock:
            await saver.conn.execute(
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id IN ("
                " SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?"
                " AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?)",
                (thread_id, thread_id, run_id),
            )
            await saver.conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ?"
                " AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?",
                (thread_id, run_id),
            )
            await saver.conn.commit()
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
