"""Reads and writes of assistants, threads and runs.

The API and the activities go through this class only, so a new backend is a
new engine URL, not new call sites. Rows come back as the JSON-ready dicts
LangGraph Server returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, cast, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from steadygraph.storage.assistants import AssistantRepository
from steadygraph.storage.checkpoint_states import CheckpointStates, retarget
from steadygraph.storage.schema import run_events, runs, thread_checkpoints, threads

ACTIVE_RUN_STATUSES = ("pending", "running")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


class ThreadExistsError(Exception):
    pass


def _ttl_columns(ttl: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """A thread's TTL: `{"strategy": "delete" | "keep_latest", "ttl": minutes}`."""
    if not ttl or ttl.get("ttl") is None:
        return {}
    minutes = float(ttl["ttl"])
    return {
        "ttl_strategy": ttl.get("strategy") or "delete",
        "ttl_minutes": minutes,
        "expires_at": now + timedelta(minutes=minutes),
    }


class Storage:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.checkpoints = CheckpointStates(engine)
        self.assistants = AssistantRepository(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    # ---------------------------------------------------------------- helpers

    def _contains(self, column: Any, wanted: Mapping[str, Any]) -> ColumnElement[bool]:
        """JSON containment of a flat key/value filter, on either dialect."""
        if self.engine.dialect.name == "postgresql":
            return column.op("@>")(cast(dict(wanted), JSONB))
        clauses: list[ColumnElement[bool]] = []
        for key, value in wanted.items():
            path = '$."' + str(key).replace('"', '\\"') + '"'
            extracted = func.json_extract(column, path)
            if value is None:
                clauses.append(func.json_type(column, path) == "null")
            elif isinstance(value, bool):
                clauses.append(and_(func.json_type(column, path) == ("true" if value else "false")))
            elif isinstance(value, dict | list):
                clauses.append(extracted == json.dumps(value, separators=(",", ":")))
            else:
                clauses.append(extracted == value)
        return and_(*clauses)

    # ------------------------------------------------------------- assistants

    async def ensure_system_assistants(self, graphs: Mapping[str, str]) -> None:
        await self.assistants.ensure_system_assistants(graphs)

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        return await self.assistants.get(assistant_id)

    # ---------------------------------------------------------------- threads

    @staticmethod
    def _thread(row: Row[Any]) -> dict[str, Any]:
        thread: dict[str, Any] = {
            "thread_id": row.thread_id,
            "created_at": _iso(row.created_at),
            "updated_at": _iso(row.updated_at),
            "state_updated_at": _iso(row.state_updated_at),
            "metadata": row.metadata,
            "status": row.status,
            "config": row.config,
            "values": row.values,
        }
        # LangGraph Server adds these keys only once a run has touched the thread.
        if row.interrupts is not None:
            thread["error"] = row.error
            thread["interrupts"] = row.interrupts
        return thread

    async def create_thread(
        self,
        thread_id: str,
        metadata: Mapping[str, Any],
        *,
        if_exists: str = "raise",
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = utcnow()
        async with self.engine.begin() as conn:
            existing = await self._get_thread(conn, thread_id)
            if existing is not None:
                if if_exists == "do_nothing":
                    return existing
                raise ThreadExistsError(thread_id)
            await conn.execute(
                insert(threads).values(
                    thread_id=thread_id,
                    created_at=now,
                    updated_at=now,
                    state_updated_at=now,
                    metadata=dict(metadata),
                    status="idle",
                    config={},
                    values=None,
                    interrupts=None,
                    error=None,
                    state=None,
                    **_ttl_columns(ttl, now),
                )
            )
            created = await self._get_thread(conn, thread_id)
        assert created is not None
        return created

    async def _get_thread(self, conn: AsyncConnection, thread_id: str) -> dict[str, Any] | None:
        row = (await conn.execute(select(threads).where(threads.c.thread_id == thread_id))).first()
        return self._thread(row) if row else None

    async def update_thread(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Merge metadata into the thread's (as LangGraph Server does), reset its TTL."""
        now = utcnow()
        async with self.engine.begin() as conn:
            thread = await self._get_thread(conn, thread_id)
            if thread is None:
                return None
            changes: dict[str, Any] = {"updated_at": now}
            if metadata:
                changes["metadata"] = {**thread["metadata"], **metadata}
            if ttl:
                changes.update(_ttl_columns(ttl, now))
            await conn.execute(
                update(threads).where(threads.c.thread_id == thread_id).values(**changes)
            )
            return await self._get_thread(conn, thread_id)

    def _thread_filters(
        self,
        *,
        metadata: Mapping[str, Any] | None,
        values: Mapping[str, Any] | None,
        status: str | None,
        ids: list[str] | None,
    ) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if metadata:
            filters.append(self._contains(threads.c.metadata, metadata))
        if values:
            filters.append(self._contains(threads.c["values"], values))
        if status:
            filters.append(threads.c.status == status)
        if ids is not None:
            filters.append(threads.c.thread_id.in_(ids))
        return filters

    async def search_threads(
        self,
        *,
        metadata: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        status: str | None = None,
        ids: list[str] | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: str = "created_at",
        sort_order: str = "desc",
    ) -> list[dict[str, Any]]:
        column = threads.c[sort_by]
        query = (
            select(threads)
            .where(*self._thread_filters(metadata=metadata, values=values, status=status, ids=ids))
            .order_by(column.desc() if sort_order == "desc" else column.asc(), threads.c.thread_id)
            .limit(limit)
            .offset(offset)
        )
        async with self.engine.connect() as conn:
            return [self._thread(r) for r in (await conn.execute(query)).all()]

    async def count_threads(
        self,
        *,
        metadata: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        status: str | None = None,
    ) -> int:
        query = (
            select(func.count())
            .select_from(threads)
            .where(*self._thread_filters(metadata=metadata, values=values, status=status, ids=None))
        )
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def expired_threads(self, limit: int = 100) -> list[tuple[str, str]]:
        """(thread id, TTL strategy) of threads whose TTL has run out."""
        query = (
            select(threads.c.thread_id, threads.c.ttl_strategy)
            .where(threads.c.expires_at.is_not(None), threads.c.expires_at <= utcnow())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [(r.thread_id, r.ttl_strategy or "delete") for r in (await conn.execute(query))]

    async def clear_expiry(self, thread_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads).where(threads.c.thread_id == thread_id).values(expires_at=None)
            )

    async def copy_thread(self, source_id: str, target_id: str) -> dict[str, Any] | None:
        """A new thread with the source's metadata, config, values and state history."""
        now = utcnow()
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(threads).where(threads.c.thread_id == source_id))
            ).first()
            if row is None:
                return None
            copied = {k: v for k, v in row._mapping.items() if k != "thread_id"}
            copied.update(
                thread_id=target_id,
                created_at=now,
                updated_at=now,
                state=retarget(copied.get("state"), source_id, target_id),
                state_subgraphs=retarget(copied.get("state_subgraphs"), source_id, target_id),
                status="idle" if copied["status"] == "busy" else copied["status"],
            )
            await conn.execute(insert(threads).values(**copied))
        await self.checkpoints.copy(source_id, target_id)
        return await self.get_thread(target_id)

    async def get_thread(self, thread_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            return await self._get_thread(conn, thread_id)

    async def update_thread_state(self, thread_id: str, state: Mapping[str, Any] | None) -> None:
        """Replace the stored ThreadState (after a rollback rewound the checkpoints)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(
                    state=dict(state) if state is not None else None,
                    values=state.get("values") if state is not None else None,
                    state_updated_at=utcnow(),
                )
            )
            await self._settle_thread_status(conn, thread_id)

    async def get_thread_state(
        self, thread_id: str, *, subgraphs: bool = False
    ) -> dict[str, Any] | None:
        """The ThreadState JSON the worker stored last, or None if no run wrote one;
        with `subgraphs`, the states of subgraphs it stopped in are included."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(threads.c.state, threads.c.state_subgraphs).where(
                        threads.c.thread_id == thread_id
                    )
                )
            ).first()
        if row is None:
            return None
        return (row.state_subgraphs or row.state) if subgraphs else row.state

    async def save_thread_states(
        self,
        thread_id: str,
        head: Mapping[str, Any],
        new_states: list[Mapping[str, Any]],
        head_with_subgraphs: Mapping[str, Any] | None = None,
    ) -> None:
        """After a super-step: the thread's head state and the states of the
        checkpoints it wrote, in one transaction."""
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(
                    state=dict(head),
                    values=head.get("values"),
                    state_subgraphs=dict(head_with_subgraphs) if head_with_subgraphs else None,
                    state_updated_at=now,
                )
            )
            await self.checkpoints.record_in(conn, thread_id, new_states)

    async def save_thread_state(self, thread_id: str, state: Mapping[str, Any]) -> None:
        """Progress of a running run: new values after each super-step."""
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(state=dict(state), values=state.get("values"), state_updated_at=now)
            )

    # ------------------------------------------------------------------- runs

    @staticmethod
    def _run(row: Row[Any]) -> dict[str, Any]:
        return {
            "run_id": row.run_id,
            "thread_id": row.thread_id,
            "assistant_id": row.assistant_id,
            "metadata": row.metadata,
            "status": row.status,
            "kwargs": row.kwargs,
            "multitask_strategy": row.multitask_strategy,
            "created_at": _iso(row.created_at),
            "updated_at": _iso(row.updated_at),
            "langsmith_session_name": None,
        }

    async def create_run(
        self,
        *,
        run_id: str,
        thread_id: str,
        assistant: Mapping[str, Any],
        metadata: Mapping[str, Any],
        kwargs: Mapping[str, Any],
        multitask_strategy: str,
    ) -> dict[str, Any] | None:
        """Insert a pending run and mark its thread busy; None if the thread is gone."""
        now = utcnow()
        async with self.engine.begin() as conn:
            thread = await self._get_thread(conn, thread_id)
            if thread is None:
                return None
            thread_metadata = {
                **thread["metadata"],
                "graph_id": assistant["graph_id"],
                "assistant_id": assistant["assistant_id"],
            }
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(status="busy", updated_at=now, metadata=thread_metadata)
            )
            await conn.execute(
                insert(runs).values(
                    run_id=run_id,
                    thread_id=thread_id,
                    assistant_id=assistant["assistant_id"],
                    created_at=now,
                    updated_at=now,
                    status="pending",
                    metadata=dict(metadata),
                    kwargs=dict(kwargs),
                    multitask_strategy=multitask_strategy,
                    error=None,
                )
            )
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).one()
        return self._run(row)

    async def delete_run_record(self, run_id: str) -> None:
        """Erase a run and its stream (a rollback, a refused or deleted run)."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).first()
            await conn.execute(delete(run_events).where(run_events.c.run_id == run_id))
            await conn.execute(delete(runs).where(runs.c.run_id == run_id))
            if row is not None:
                await self._settle_thread_status(conn, row.thread_id)

    async def delete_thread(self, thread_id: str) -> bool:
        """Erase a thread with its runs and their streams; False if it did not exist."""
        async with self.engine.begin() as conn:
            run_ids = select(runs.c.run_id).where(runs.c.thread_id == thread_id)
            await conn.execute(delete(run_events).where(run_events.c.run_id.in_(run_ids)))
            await conn.execute(delete(runs).where(runs.c.thread_id == thread_id))
            await conn.execute(
                delete(thread_checkpoints).where(thread_checkpoints.c.thread_id == thread_id)
            )
            result = await conn.execute(delete(threads).where(threads.c.thread_id == thread_id))
        return bool(result.rowcount)

    # ------------------------------------------------------------ run events

    @staticmethod
    async def _append_events(
        conn: AsyncConnection, run_id: str, events: list[tuple[str, bytes]], now: datetime
    ) -> None:
        # One writer per run at a time (its current activity), so numbering
        # from the stored maximum inside the inserting transaction is safe.
        last = (
            await conn.execute(
                select(func.max(run_events.c.seq)).where(run_events.c.run_id == run_id)
            )
        ).scalar_one_or_none() or 0
        await conn.execute(
            insert(run_events),
            [
                {"run_id": run_id, "seq": last + i, "event": event, "data": data, "created_at": now}
                for i, (event, data) in enumerate(events, start=1)
            ],
        )

    async def append_events(self, run_id: str, events: list[tuple[str, bytes]]) -> None:
        """Append to a run's stream; events are numbered 1, 2, ... in order."""
        if not events:
            return
        async with self.engine.begin() as conn:
            await self._append_events(conn, run_id, events, utcnow())

    async def read_events(
        self, run_id: str, after_seq: int, limit: int = 500
    ) -> list[tuple[int, str, bytes]]:
        query = (
            select(run_events.c.seq, run_events.c.event, run_events.c.data)
            .where(run_events.c.run_id == run_id, run_events.c.seq > after_seq)
            .order_by(run_events.c.seq)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [(r.seq, r.event, r.data) for r in (await conn.execute(query)).all()]

    async def get_run(self, run_id: str, thread_id: str | None = None) -> dict[str, Any] | None:
        query = select(runs).where(runs.c.run_id == run_id)
        if thread_id is not None:
            query = query.where(runs.c.thread_id == thread_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return self._run(row) if row else None

    async def get_run_times(self, run_id: str) -> tuple[str | None, str | None]:
        """When the run started and ended (webhook payloads carry both)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(runs.c.started_at, runs.c.ended_at).where(runs.c.run_id == run_id)
                )
            ).first()
        return (_iso(row.started_at), _iso(row.ended_at)) if row else (None, None)

    async def get_run_error(self, run_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(select(runs.c.error).where(runs.c.run_id == run_id))
            ).scalar_one_or_none()

    async def list_runs(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        query = select(runs).where(runs.c.thread_id == thread_id)
        if status:
            query = query.where(runs.c.status == status)
        query = query.order_by(runs.c.created_at.desc(), runs.c.run_id.desc())
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [self._run(r) for r in rows]

    async def mark_run_running(self, run_id: str) -> dict[str, Any] | None:
        """pending → running; returns the run (also when it already was running,
        as on a retried activity) or None when it is gone or already ended."""
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == "pending")
                .values(status="running", updated_at=now, started_at=now)
            )
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).first()
        if row is None or row.status != "running":
            return None
        return self._run(row)

    async def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        error: Mapping[str, Any] | None,
        final_event: tuple[str, bytes] | None = None,
    ) -> None:
        """Record a run's end, and the thread's resulting status, in one transaction.

        The thread's values and interrupts come from the state the worker saved
        after the run's last super-step.
        """
        now = utcnow()
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).first()
            if row is None:
                return
            if final_event is not None:
                # In the same transaction as the status: a stream reader that
                # sees the run ended has also seen its last event.
                await self._append_events(conn, run_id, [final_event], now)
            await conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status=status,
                    updated_at=now,
                    ended_at=now,
                    error=dict(error) if error else None,
                )
            )
            state = (
                await conn.execute(
                    select(threads.c.state).where(threads.c.thread_id == row.thread_id)
                )
            ).scalar_one_or_none() or {}
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == row.thread_id)
                .values(
                    updated_at=now,
                    state_updated_at=now,
                    config={"configurable": {}},
                    error=dict(error) if error else None,
                    values=state.get("values"),
                    interrupts={
                        task["id"]: task["interrupts"]
                        for task in state.get("tasks", [])
                        if task.get("interrupts")
                    },
                )
            )
            await self._settle_thread_status(conn, row.thread_id)

    async def fail_run_if_active(self, run_id: str, error: Mapping[str, Any]) -> None:
        run = await self.get_run(run_id)
        if run is not None and run["status"] in ACTIVE_RUN_STATUSES:
            await self.finish_run(run_id, status="error", error=error)

    async def _settle_thread_status(self, conn: AsyncConnection, thread_id: str) -> None:
        """busy while any run is pending or running; else error / interrupted / idle
        from the last finished run and the thread's state."""
        active = (
            await conn.execute(
                select(func.count())
                .select_from(runs)
                .where(runs.c.thread_id == thread_id, runs.c.status.in_(ACTIVE_RUN_STATUSES))
            )
        ).scalar_one()
        thread = (
            await conn.execute(
                select(threads.c.error, threads.c.state).where(threads.c.thread_id == thread_id)
            )
        ).first()
        if thread is None:
            return
        if active:
            status = "busy"
        elif thread.error:
            status = "error"
        elif thread.state and thread.state.get("next"):
            status = "interrupted"
        else:
            status = "idle"
        await conn.execute(
            update(threads).where(threads.c.thread_id == thread_id).values(status=status)
        )

    async def runs_with_status(self, statuses: list[str]) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(runs).where(runs.c.status.in_(statuses)).order_by(runs.c.created_at)
                )
            ).all()
        return [self._run(r) for r in rows]

    async def active_runs(self, thread_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(runs.c.run_id)
                        .where(
                            runs.c.thread_id == thread_id,
                            runs.c.status.in_(ACTIVE_RUN_STATUSES),
                        )
                        .order_by(runs.c.created_at)
                    )
                ).scalars()
            )
