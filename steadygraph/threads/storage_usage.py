"""GET /threads/{id}/storage: the bytes a thread's checkpoints occupy, read
from the checkpointer's own tables, as stored.

PostgreSQL (LangGraph's saver) keeps checkpoints, channel values (one row per
channel version) and pending writes in three tables, each reported. The SQLite
saver stores channel values inside each checkpoint row: they are counted in
`checkpoints.bytes`, and `channel_values` is empty. Any other checkpointer
answers 501.
"""

from __future__ import annotations

from typing import Any

from steadygraph.auth import authorize, visible
from steadygraph.errors import NotFound, ServiceError
from steadygraph.services import Services


class StorageNotReported(ServiceError):
    status_code = 501


async def thread_storage(ctx: Services, thread_id: str) -> dict[str, Any]:
    filters = await authorize("threads", "read", {"thread_id": thread_id})
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None or not visible(thread["metadata"], filters):
        raise NotFound(f"Thread with ID {thread_id} not found")
    saver = ctx.checkpointer
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        usage = await _sqlite_usage(saver, thread_id)
    else:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        if not isinstance(saver, AsyncPostgresSaver):
            raise StorageNotReported(
                "Checkpoint storage is only reported for the built-in checkpointers"
            )
        usage = await _postgres_usage(saver, thread_id)
    total = sum(usage[key]["bytes"] for key in ("checkpoints", "channel_values", "pending_writes"))
    return {"thread_id": thread_id, "total_bytes": total, **usage}


def _section(count: Any, size: Any) -> dict[str, int]:
    return {"count": int(count or 0), "bytes": int(size or 0)}


async def _sqlite_usage(saver: Any, thread_id: str) -> dict[str, Any]:
    async with saver.lock:
        cursor = await saver.conn.execute(
            "SELECT count(*), sum(length(checkpoint) + length(metadata))"
            " FROM checkpoints WHERE thread_id = ?",
            (thread_id,),
        )
        checkpoints = await cursor.fetchone()
        cursor = await saver.conn.execute(
            "SELECT count(*), sum(length(value)) FROM writes WHERE thread_id = ?", (thread_id,)
        )
        writes = await cursor.fetchone()
    return {
        "checkpoints": _section(*checkpoints),
        "channel_values": {"count": 0, "bytes": 0, "by_channel": {}},
        "pending_writes": _section(*writes),
    }


async def _postgres_usage(saver: Any, thread_id: str) -> dict[str, Any]:
    # pg_column_size: the bytes a value takes in its table (after compression).
    async with saver._cursor(pipeline=False) as cur:  # the saver's own pool and lock
        await cur.execute(
            "SELECT count(*) AS n, sum(pg_column_size(checkpoint) + pg_column_size(metadata))"
            " AS size FROM checkpoints WHERE thread_id = %s",
            (thread_id,),
        )
        checkpoints = await cur.fetchone()
        await cur.execute(
            "SELECT channel, count(*) AS n, sum(coalesce(pg_column_size(blob), 0)) AS size"
            " FROM checkpoint_blobs WHERE thread_id = %s GROUP BY channel ORDER BY channel",
            (thread_id,),
        )
        channels = await cur.fetchall()
        await cur.execute(
            "SELECT count(*) AS n, sum(coalesce(pg_column_size(blob), 0)) AS size"
            " FROM checkpoint_writes WHERE thread_id = %s",
            (thread_id,),
        )
        writes = await cur.fetchone()
    by_channel = {
        row["channel"]: {"versions": int(row["n"]), "bytes": int(row["size"] or 0)}
        for row in channels
    }
    return {
        "checkpoints": _section(checkpoints["n"], checkpoints["size"]),
        "channel_values": {
            "count": sum(c["versions"] for c in by_channel.values()),
            "bytes": sum(c["bytes"] for c in by_channel.values()),
            "by_channel": by_channel,
        },
        "pending_writes": _section(writes["n"], writes["size"]),
    }
