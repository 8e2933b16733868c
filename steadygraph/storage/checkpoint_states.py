"""ThreadState JSON per checkpoint: what get_history and get_state at a
checkpoint answer. Written by the worker as checkpoints appear."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from steadygraph.storage.engine import for_reads
from steadygraph.storage.json_filter import contains
from steadygraph.storage.schema import thread_checkpoints
from steadygraph.storage.upsert import upsert


def _created(state: Mapping[str, Any]) -> datetime | None:
    raw = state.get("created_at")
    if not raw:
        return None
    value = datetime.fromisoformat(str(raw))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@functools.cache
def _record_statement(dialect_name: str) -> Any:
    """Built once and run with one parameter set per state (SQLAlchemy caches
    its compiled form; a multi-row `.values([...])` would be compiled anew at
    every call). A retried step may report some states again: those rows stay
    as they are."""
    return upsert(dialect_name, thread_checkpoints).on_conflict_do_nothing(
        index_elements=[thread_checkpoints.c.thread_id, thread_checkpoints.c.checkpoint_id]
    )


class CheckpointStates:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reads = for_reads(engine)

    async def record_in(
        self, conn: AsyncConnection, thread_id: str, states: Sequence[Mapping[str, Any]]
    ) -> None:
        """Store states not stored yet, in one statement."""
        rows = [s for s in states if s.get("checkpoint_id")]
        if not rows:
            return
        await conn.execute(
            _record_statement(conn.dialect.name),
            [
                {
                    "thread_id": thread_id,
                    "checkpoint_id": s["checkpoint_id"],
                    "parent_checkpoint_id": s.get("parent_checkpoint_id"),
                    "run_id": (s.get("metadata") or {}).get("run_id"),
                    "created_at": _created(s),
                    "metadata": s.get("metadata") or {},
                    "state": dict(s),
                }
                for s in rows
            ],
        )

    async def get(self, thread_id: str, checkpoint_id: str) -> dict[str, Any] | None:
        async with self.reads.connect() as conn:
            return (
                await conn.execute(
                    select(thread_checkpoints.c.state).where(
                        thread_checkpoints.c.thread_id == thread_id,
                        thread_checkpoints.c.checkpoint_id == checkpoint_id,
                    )
                )
            ).scalar_one_or_none()

    async def history(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        before: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first (checkpoint ids are time-ordered UUIDv6)."""
        query = select(thread_checkpoints.c.state, thread_checkpoints.c.metadata).where(
            thread_checkpoints.c.thread_id == thread_id
        )
        if before:
            query = query.where(thread_checkpoints.c.checkpoint_id < before)
        query = query.order_by(thread_checkpoints.c.checkpoint_id.desc())
        async with self.reads.connect() as conn:
            if not metadata:
                rows = (await conn.execute(query.limit(limit))).all()
                return [r.state for r in rows]
            # Metadata filters are rare: filter in Python (the same containment
            # as every other metadata filter), the same on both backends.
            found = []
            for row in (await conn.execute(query)).all():
                if contains(row.metadata, metadata):
                    found.append(row.state)
                    if len(found) >= limit:
                        break
            return found

    async def latest_id(self, thread_id: str) -> str | None:
        async with self.reads.connect() as conn:
            return (
                await conn.execute(
                    select(func.max(thread_checkpoints.c.checkpoint_id)).where(
                        thread_checkpoints.c.thread_id == thread_id
                    )
                )
            ).scalar_one_or_none()

    async def delete(
        self, thread_id: str, *, run_id: str | None = None, keep: str | None = None
    ) -> None:
        """All of a thread's states, or those a run wrote, or all but `keep`."""
        query = delete(thread_checkpoints).where(thread_checkpoints.c.thread_id == thread_id)
        if run_id is not None:
            query = query.where(thread_checkpoints.c.run_id == run_id)
        if keep is not None:
            query = query.where(thread_checkpoints.c.checkpoint_id != keep)
        async with self.engine.begin() as conn:
            await conn.execute(query)

    async def copy(self, source_id: str, target_id: str) -> None:
        """The states of a copied thread, with the thread id inside them replaced."""
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(thread_checkpoints).where(thread_checkpoints.c.thread_id == source_id)
                )
            ).all()
            if not rows:
                return
            await conn.execute(
                insert(thread_checkpoints),
                [
                    {
                        "thread_id": target_id,
                        "checkpoint_id": r.checkpoint_id,
                        "parent_checkpoint_id": r.parent_checkpoint_id,
                        "run_id": r.run_id,
                        "created_at": r.created_at,
                        "metadata": retarget(r.metadata, source_id, target_id),
                        "state": retarget(r.state, source_id, target_id),
                    }
                    for r in rows
                ],
            )


def retarget(value: Any, source_id: str, target_id: str) -> Any:
    """A stored state of a copied thread, naming the copy."""
    if value is None:
        return None
    # Thread ids are UUIDs, so a textual replacement touches nothing else.
    return json.loads(json.dumps(value).replace(source_id, target_id))
