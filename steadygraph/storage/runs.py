"""Runs: their rows, their lifecycle (pending → running → an end), and what a
run does to its thread (busy while it lasts, its outcome after).

Rows come back as the JSON-ready dicts LangGraph Server returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from steadygraph.errors import Conflict
from steadygraph.storage import run_events as events
from steadygraph.storage.engine import for_reads
from steadygraph.storage.notifications import notify_run
from steadygraph.storage.params import param
from steadygraph.storage.schema import run_events, runs, threads
from steadygraph.storage.threads import (
    ACTIVE_RUN_STATUSES,
    active_run_exists,
    settle_status,
)
from steadygraph.storage.timestamps import iso, utcnow
from steadygraph.temporal.contract import BUSY_MESSAGE


class ThreadBusyError(Conflict):
    """A run with multitask_strategy="reject" on a thread with a pending or running run."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE)


@dataclass(frozen=True)
class RunFinished:
    """A run's end as `finish` recorded it."""

    started_at: str | None
    ended_at: str | None
    # A run or state update of the thread waits for a turn (seen in the same
    # transaction, after the thread's row was written and so locked).
    thread_has_waiters: bool


@dataclass(frozen=True)
class RunOutcome:
    error: dict[str, Any] | None
    values: Any
    interrupts: list[Any]


def run_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "thread_id": row.thread_id,
        "assistant_id": row.assistant_id,
        "metadata": row.metadata,
        "status": row.status,
        "kwargs": row.kwargs,
        "multitask_strategy": row.multitask_strategy,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "langsmith_session_name": None,
    }


# The statements of a run's hot path (create, start, steps' reads, end),
# built once: building one costs more than running it on SQLite.
_GET_RUN = select(runs).where(runs.c.run_id == param("run_id", runs.c.run_id))
_GET_THREAD_RUN = _GET_RUN.where(runs.c.thread_id == param("thread_id", runs.c.thread_id))
_THREAD_STATE = select(threads.c.state).where(
    threads.c.thread_id == param("thread_id", threads.c.thread_id)
)
_OUTCOME = select(
    select(runs.c.error)
    .where(runs.c.run_id == param("run_id", runs.c.run_id))
    .scalar_subquery()
    .label("error"),
    threads.c.state["values"].label("state_values"),
    threads.c["values"],
    threads.c.state["interrupts"].label("interrupts"),
).where(threads.c.thread_id == param("thread_id", threads.c.thread_id))
_MARK_THREAD_BUSY = (
    update(threads)
    .where(threads.c.thread_id == param("of_thread", threads.c.thread_id))
    .values(status="busy", updated_at=param("now", threads.c.updated_at))
)
# Only what a new run needs of its thread (the row holds its state too).
_THREAD_FOR_RUN = select(
    threads.c.metadata,
    threads.c.state_updates_in_flight,
    active_run_exists(param("thread_id", threads.c.thread_id)).label("busy"),
).where(threads.c.thread_id == param("thread_id", threads.c.thread_id))
_SET_THREAD_METADATA = (
    update(threads)
    .where(threads.c.thread_id == param("of_thread", threads.c.thread_id))
    .values(metadata=param("new_metadata", threads.c.metadata))
)
_INSERT_RUN = insert(runs).returning(*runs.c)
_MARK_RUNNING = (
    update(runs)
    .where(runs.c.run_id == param("of_run", runs.c.run_id), runs.c.status == "pending")
    .values(
        status="running",
        updated_at=param("now", runs.c.updated_at),
        started_at=param("now", runs.c.started_at),
    )
    .returning(*runs.c)
)
_FINISH_RUN = (
    update(runs)
    .where(runs.c.run_id == param("of_run", runs.c.run_id))
    .values(
        status=param("new_status", runs.c.status),
        updated_at=param("now", runs.c.updated_at),
        ended_at=param("now", runs.c.ended_at),
        error=param("new_error", runs.c.error),
    )
    .returning(runs.c.thread_id, runs.c.started_at)
)
_THREAD_AFTER_RUN = (
    update(threads)
    .where(threads.c.thread_id == param("of_thread", threads.c.thread_id))
    .values(
        updated_at=param("now", threads.c.updated_at),
        state_updated_at=param("now", threads.c.state_updated_at),
        config={"configurable": {}},
        error=param("new_error", threads.c.error),
        values=param("new_values", threads.c["values"]),
        interrupts=param("new_interrupts", threads.c.interrupts),
    )
)


class RunRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reads = for_reads(engine)

    # --------------------------------------------------------------- reads

    async def get(self, run_id: str, thread_id: str | None = None) -> dict[str, Any] | None:
        query = _GET_RUN if thread_id is None else _GET_THREAD_RUN
        async with self.reads.connect() as conn:
            row = (await conn.execute(query, {"run_id": run_id, "thread_id": thread_id})).first()
        return run_view(row) if row else None

    async def get_times(self, run_id: str) -> tuple[str | None, str | None]:
        """When the run started and ended (webhook payloads carry both)."""
        async with self.reads.connect() as conn:
            row = (
                await conn.execute(
                    select(runs.c.started_at, runs.c.ended_at).where(runs.c.run_id == run_id)
                )
            ).first()
        return (iso(row.started_at), iso(row.ended_at)) if row else (None, None)

    async def outcome(self, run_id: str, thread_id: str) -> RunOutcome:
        """What a finished run returns is made of, in one read: its error, and
        the values and interrupts of the thread's stored state (not the rest
        of that state)."""
        async with self.reads.connect() as conn:
            row = (await conn.execute(_OUTCOME, {"run_id": run_id, "thread_id": thread_id})).first()
        if row is None:  # the thread is gone
            return RunOutcome(await self.get_error(run_id), {}, [])
        values = row.state_values if row.state_values is not None else (row.values or {})
        return RunOutcome(row.error, values, row.interrupts or [])

    async def get_error(self, run_id: str) -> dict[str, Any] | None:
        async with self.reads.connect() as conn:
            return (
                await conn.execute(select(runs.c.error).where(runs.c.run_id == run_id))
            ).scalar_one_or_none()

    async def for_thread(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """A thread's runs, newest first."""
        query = select(runs).where(runs.c.thread_id == thread_id)
        if status:
            query = query.where(runs.c.status == status)
        query = query.order_by(runs.c.created_at.desc(), runs.c.run_id.desc())
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [run_view(r) for r in rows]

    async def with_status(self, statuses: list[str]) -> list[dict[str, Any]]:
        async with self.reads.connect() as conn:
            rows = (
                await conn.execute(
                    select(runs).where(runs.c.status.in_(statuses)).order_by(runs.c.created_at)
                )
            ).all()
        return [run_view(r) for r in rows]

    async def active_direct(self, thread_id: str) -> list[tuple[str, str, str]]:
        """(run id, status, created_at) of a thread's pending and running runs
        that were started without its thread's workflow, oldest first."""
        async with self.reads.connect() as conn:
            rows = await conn.execute(
                select(runs.c.run_id, runs.c.status, runs.c.created_at)
                .where(
                    runs.c.thread_id == thread_id,
                    runs.c.status.in_(ACTIVE_RUN_STATUSES),
                    runs.c.direct.is_(True),
                )
                .order_by(runs.c.created_at)
            )
            return [(row.run_id, row.status, iso(row.created_at)) for row in rows]

    async def thread_has_waiters(self, thread_id: str) -> bool:
        """Whether a run or a state update of the thread waits for a turn."""
        query = select(
            or_(active_run_exists(thread_id), threads.c.state_updates_in_flight > 0)
        ).where(threads.c.thread_id == thread_id)
        async with self.reads.connect() as conn:
            return bool((await conn.execute(query)).scalar())

    async def active_ids(self, thread_id: str) -> list[str]:
        """Ids of a thread's pending and running runs, oldest first."""
        async with self.reads.connect() as conn:
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

    async def status_totals(self) -> dict[str, tuple[int, float, int]]:
        """Per status: how many runs, and the summed seconds and count of those
        with both a start and an end (what /metrics reports)."""
        if self.engine.dialect.name == "sqlite":  # datetimes are stored as text
            elapsed = (func.julianday(runs.c.ended_at) - func.julianday(runs.c.started_at)) * 86400
        else:
            elapsed = func.extract("epoch", runs.c.ended_at - runs.c.started_at)
        query = select(
            runs.c.status, func.count(), func.sum(elapsed), func.count(elapsed)
        ).group_by(runs.c.status)
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            status: (count, float(seconds or 0), timed) for status, count, seconds, timed in rows
        }

    # -------------------------------------------------------------- writes

    async def create(
        self,
        *,
        run_id: str,
        thread_id: str,
        assistant: Mapping[str, Any],
        metadata: Mapping[str, Any],
        kwargs: Mapping[str, Any],
        multitask_strategy: str,
        reject_if_busy: bool = False,
        direct_if_idle: bool = False,
    ) -> dict[str, Any] | None:
        """Insert a pending run and mark its thread busy; None if the thread is gone.

        `reject_if_busy`: raise ThreadBusyError instead when the thread has a
        pending or running run, decided atomically with the insert.
        `direct_if_idle`: record the run as `direct` (its own workflow starts
        it, not the thread's) when the thread has no other pending or running
        run and no state update in flight, decided atomically with the insert;
        the returned dict then has `"direct": True`.
        """
        now = utcnow()
        async with self.engine.begin() as conn:
            # The write comes first: it takes the thread's row lock (PostgreSQL)
            # or the database's write lock (SQLite) until commit, so two creates
            # on one thread never both see it idle.
            locked = await conn.execute(_MARK_THREAD_BUSY, {"of_thread": thread_id, "now": now})
            if locked.rowcount == 0:
                return None
            thread = (await conn.execute(_THREAD_FOR_RUN, {"thread_id": thread_id})).one()
            if reject_if_busy and thread.busy:
                raise ThreadBusyError()  # rolls the transaction back
            direct = direct_if_idle and not thread.busy and not thread.state_updates_in_flight
            thread_metadata = {
                **thread.metadata,
                "graph_id": assistant["graph_id"],
                "assistant_id": assistant["assistant_id"],
            }
            if thread_metadata != thread.metadata:
                await conn.execute(
                    _SET_THREAD_METADATA, {"of_thread": thread_id, "new_metadata": thread_metadata}
                )
            row = (
                await conn.execute(
                    _INSERT_RUN,
                    {
                        "run_id": run_id,
                        "thread_id": thread_id,
                        "assistant_id": assistant["assistant_id"],
                        "created_at": now,
                        "updated_at": now,
                        "status": "pending",
                        "metadata": dict(metadata),
                        "kwargs": dict(kwargs),
                        "multitask_strategy": multitask_strategy,
                        "error": None,
                        "direct": direct,
                    },
                )
            ).one()
        view = run_view(row)
        if direct:
            view["direct"] = True
        return view

    async def delete(self, run_id: str) -> None:
        """Erase a run and its stream (a rollback, a refused or deleted run)."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).first()
            await conn.execute(delete(run_events).where(run_events.c.run_id == run_id))
            await conn.execute(delete(runs).where(runs.c.run_id == run_id))
            if row is not None:
                await settle_status(conn, row.thread_id)
                await notify_run(conn, run_id)

    async def mark_running(self, run_id: str) -> dict[str, Any] | None:
        """pending → running; returns the run (also when it already was running,
        as on a retried activity) or None when it is gone or already ended."""
        now = utcnow()
        async with self.engine.begin() as conn:
            row = (await conn.execute(_MARK_RUNNING, {"of_run": run_id, "now": now})).first()
            if row is None:  # not pending: a retried attempt finds it running
                row = (await conn.execute(_GET_RUN, {"run_id": run_id})).first()
        if row is None or row.status != "running":
            return None
        return run_view(row)

    async def request_cancel(self, run_id: str, action: str) -> None:
        """Record that a cancel was asked of a running run (and wake its
        watchers), for a step that runs as a local activity to stop at once."""
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == "running")
                .values(cancel_requested=action)
            )
            if changed.rowcount:
                await notify_run(conn, run_id, cancel=True, status=False)

    async def cancel_requested(self, run_id: str) -> str | None:
        async with self.reads.connect() as conn:
            query = select(runs.c.cancel_requested).where(runs.c.run_id == run_id)
            return (await conn.execute(query)).scalar_one_or_none()

    async def cancel_pending(self, run_id: str, action: str) -> bool:
        """End a run that has not started: "interrupt" records it interrupted,
        "rollback" erases it. False when it is gone or no longer pending (a
        worker's `mark_running` won), in one atomic step with that check."""
        now = utcnow()
        pending = (runs.c.run_id == run_id) & (runs.c.status == "pending")
        async with self.engine.begin() as conn:
            if action == "rollback":
                changed = await conn.execute(
                    delete(runs).where(pending).returning(runs.c.thread_id)
                )
            else:
                changed = await conn.execute(
                    update(runs)
                    .where(pending)
                    .values(status="interrupted", updated_at=now, ended_at=now)
                    .returning(runs.c.thread_id)
                )
            thread_id = changed.scalar_one_or_none()
            if thread_id is None:
                return False
            if action == "rollback":
                await conn.execute(delete(run_events).where(run_events.c.run_id == run_id))
            await settle_status(conn, thread_id)
            await notify_run(conn, run_id)
        return True

    async def finish(
        self,
        run_id: str,
        *,
        status: str,
        error: Mapping[str, Any] | None,
        final_event: tuple[str, bytes] | None = None,
    ) -> RunFinished | None:
        """Record a run's end, and the thread's resulting status, in one
        transaction; None if the run is gone.

        The thread's values and interrupts come from the state the worker saved
        after the run's last super-step.
        """
        async with self.engine.begin() as conn:
            return await self.finish_in(
                conn, run_id, status=status, error=error, final_event=final_event, now=utcnow()
            )

    async def finish_in(
        self,
        conn: AsyncConnection,
        run_id: str,
        *,
        status: str,
        error: Mapping[str, Any] | None,
        now: datetime,
        final_event: tuple[str, bytes] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> RunFinished | None:
        """`finish` in the caller's transaction. `state`: the thread's state
        as that transaction saved it, when the caller has it at hand."""
        error = dict(error) if error else None
        row = (
            await conn.execute(
                _FINISH_RUN,
                {"of_run": run_id, "new_status": status, "now": now, "new_error": error},
            )
        ).first()
        if row is None:
            return None
        if final_event is not None:
            # In the same transaction as the status: a stream reader that
            # sees the run ended has also seen its last event.
            await events.append_in(conn, run_id, [final_event], now)
        if state is None:
            state = (
                await conn.execute(_THREAD_STATE, {"thread_id": row.thread_id})
            ).scalar_one_or_none() or {}
        await conn.execute(
            _THREAD_AFTER_RUN,
            {
                "of_thread": row.thread_id,
                "now": now,
                "new_error": error,
                "new_values": state.get("values"),
                "new_interrupts": {
                    task["id"]: task["interrupts"]
                    for task in state.get("tasks", [])
                    if task.get("interrupts")
                },
            },
        )
        settled = await settle_status(conn, row.thread_id, error=error, state=state, known=True)
        await notify_run(conn, run_id)
        return RunFinished(
            started_at=iso(row.started_at),
            ended_at=iso(now),
            thread_has_waiters=bool(settled and settled.waiters),
        )

    async def fail_if_active(self, run_id: str, error: Mapping[str, Any]) -> None:
        run = await self.get(run_id)
        if run is not None and run["status"] in ACTIVE_RUN_STATUSES:
            await self.finish(run_id, status="error", error=error)
