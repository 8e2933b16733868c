"""The durable stream of each run: what the worker's graph emitted, in order,
numbered 1, 2, ... per run, so the API can serve it (again, from any point)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from steadygraph.storage.engine import for_reads
from steadygraph.storage.notifications import notify_run
from steadygraph.storage.params import param
from steadygraph.storage.schema import run_events
from steadygraph.storage.timestamps import utcnow


async def append_in(
    conn: AsyncConnection, run_id: str, events: list[tuple[str, bytes]], now: datetime
) -> None:
    """Append within the caller's transaction (a run's end writes its last event
    together with its status)."""
    await conn.execute(
        _APPEND,
        [{"run_id": run_id, "event": event, "data": data, "now": now} for event, data in events],
    )
    await notify_run(conn, run_id, status=False)


# Each event is numbered after the run's stored maximum as it inserts: one
# statement per event, no read first. One writer per run at a time (its
# current activity), so numbering inside the inserting transaction is safe.
_APPEND = insert(run_events).from_select(
    ["run_id", "seq", "event", "data", "created_at"],
    select(
        param("run_id", run_events.c.run_id),
        func.coalesce(
            select(func.max(run_events.c.seq))
            .where(run_events.c.run_id == param("run_id", run_events.c.run_id))
            .scalar_subquery(),
            0,
        )
        + 1,
        param("event", run_events.c.event),
        param("data", run_events.c.data),
        param("now", run_events.c.created_at),
    ),
)


class RunEventRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reads = for_reads(engine)

    async def append(self, run_id: str, events: list[tuple[str, bytes]]) -> None:
        """Append to a run's stream; events are numbered 1, 2, ... in order."""
        if not events:
            return
        async with self.engine.begin() as conn:
            await append_in(conn, run_id, events, utcnow())

    async def read(
        self, run_id: str, after_seq: int, limit: int = 500
    ) -> list[tuple[int, str, bytes]]:
        """(seq, event, data) after `after_seq`, oldest first."""
        query = (
            select(run_events.c.seq, run_events.c.event, run_events.c.data)
            .where(run_events.c.run_id == run_id, run_events.c.seq > after_seq)
            .order_by(run_events.c.seq)
            .limit(limit)
        )
        async with self.reads.connect() as conn:
            return [(r.seq, r.event, r.data) for r in (await conn.execute(query)).all()]
