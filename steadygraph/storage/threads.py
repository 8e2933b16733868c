"""Threads: their rows, states and TTLs, and the status a thread settles in.

Rows come back as the JSON-ready dicts LangGraph Server returns.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Exists,
    String,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.util.typing import TupleAny

from steadygraph.errors import Conflict
from steadygraph.storage.auth_filter import Filters, filter_clause
from steadygraph.storage.checkpoint_states import CheckpointStates, retarget
from steadygraph.storage.engine import for_reads
from steadygraph.storage.json_filter import contains_clause
from steadygraph.storage.params import param
from steadygraph.storage.run_events import append_in
from steadygraph.storage.schema import run_events, runs, thread_checkpoints, threads
from steadygraph.storage.timestamps import iso, utcnow
from steadygraph.storage.upsert import upsert

T = TypeVar("T")

ACTIVE_RUN_STATUSES = ("pending", "running")


class ThreadExistsError(Conflict):
    """create with if_exists="raise" on a thread id that is taken."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"Thread with ID {thread_id} already exists")
        self.thread_id = thread_id


# What a thread's JSON is made of: never its stored states (`state`,
# `state_subgraphs`), which hold the values again with the tasks and may be
# megabytes; a read of a thread has no use for them.
THREAD_VIEW_COLUMNS = (
    threads.c.thread_id,
    threads.c.created_at,
    threads.c.updated_at,
    threads.c.state_updated_at,
    threads.c.metadata,
    threads.c.status,
    threads.c.config,
    threads.c["values"],
    threads.c.interrupts,
    threads.c.error,
)


def thread_view(row: Row[*TupleAny]) -> dict[str, Any]:
    thread: dict[str, Any] = {
        "thread_id": row.thread_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "state_updated_at": iso(row.state_updated_at),
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


async def get_in(conn: AsyncConnection, thread_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_GET_THREAD, {"thread_id": thread_id})).first()
    return thread_view(row) if row else None


def active_run_exists(thread_id: str | ColumnElement[str]) -> Exists:
    return exists().where(runs.c.thread_id == thread_id, runs.c.status.in_(ACTIVE_RUN_STATUSES))


_THREAD_ID = param("thread_id", threads.c.thread_id)
_GET_THREAD = select(*THREAD_VIEW_COLUMNS).where(threads.c.thread_id == _THREAD_ID)
# What settle_status reads: whether a run is active and a state update in
# flight, and (unless the caller just wrote them) the error and next nodes.
_SETTLE_KNOWN = select(
    active_run_exists(_THREAD_ID).label("active"), threads.c.state_updates_in_flight
).where(threads.c.thread_id == _THREAD_ID)
_SETTLE = _SETTLE_KNOWN.add_columns(threads.c.error, threads.c.state["next"].label("next"))
_SET_STATUS = (
    update(threads)
    .where(threads.c.thread_id == param("of_thread", threads.c.thread_id))
    .values(status=param("new_status", threads.c.status))
)


@dataclass(frozen=True)
class Settled:
    """What `settle_status` found: the thread's status now, and whether a run or
    a state update of the thread waits for a turn."""

    status: str
    waiters: bool


async def settle_status(
    conn: AsyncConnection,
    thread_id: str,
    *,
    error: Any = None,
    state: Mapping[str, Any] | None = None,
    known: bool = False,
) -> Settled | None:
    """busy while any run is pending or running; else error / interrupted / idle
    from the last finished run and the thread's state (`error` and `state` as
    just written when `known`, else read). None if the thread is gone.

    Called after the transaction has written the thread's row: that holds its
    row lock (PostgreSQL) or the write lock (SQLite), so this statement's
    snapshot sees every run created before, and creates after wait for commit.
    """
    query = _SETTLE_KNOWN if known else _SETTLE
    thread = (await conn.execute(query, {"thread_id": thread_id})).first()
    if thread is None:
        return None
    if not known:
        error, state = thread.error, {"next": thread.next}
    if thread.active:
        status = "busy"
    elif error:
        status = "error"
    elif state and state.get("next"):
        status = "interrupted"
    else:
        status = "idle"
    await conn.execute(_SET_STATUS, {"of_thread": thread_id, "new_status": status})
    return Settled(status, waiters=bool(thread.active or thread.state_updates_in_flight))


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


def _save_head_statement() -> Any:
    """The head state, unless the stored one is newer, in one statement: it
    compares with the stored head's id and writes under the row lock
    (PostgreSQL re-checks the condition on the row as it is once the lock is
    its) or the write lock (SQLite). Built once: a step runs it every time."""
    stored_id = threads.c.state["checkpoint_id"].as_string()
    head_id = bindparam("head_id", type_=String)
    return (
        update(threads)
        .where(
            threads.c.thread_id == param("of_thread", threads.c.thread_id),
            or_(head_id.is_(None), stored_id.is_(None), stored_id <= head_id),
        )
        .values(
            state=param("head_state", threads.c.state),
            values=param("head_values", threads.c["values"]),
            state_subgraphs=param("head_subgraphs", threads.c.state_subgraphs),
            state_updated_at=param("now", threads.c.state_updated_at),
        )
    )


_SAVE_HEAD = _save_head_statement()


@functools.cache
def _insert_thread_statement(dialect_name: str) -> Any:
    """A new thread's row, returned as its view; nothing where the id is taken
    (the caller then reads that thread). Built once per backend."""
    return (
        upsert(dialect_name, threads)
        .on_conflict_do_nothing(index_elements=[threads.c.thread_id])
        .returning(*THREAD_VIEW_COLUMNS)
    )


class ThreadRepository:
    def __init__(self, engine: AsyncEngine, checkpoints: CheckpointStates) -> None:
        self.engine = engine
        self.reads = for_reads(engine)
        self.checkpoints = checkpoints

    # --------------------------------------------------------------- reads

    async def get(self, thread_id: str) -> dict[str, Any] | None:
        async with self.reads.connect() as conn:
            return await get_in(conn, thread_id)

    def _filters(
        self,
        *,
        metadata: Mapping[str, Any] | None,
        values: Mapping[str, Any] | None,
        status: str | None,
        ids: list[str] | None,
        auth_filters: Filters | None = None,
    ) -> list[ColumnElement[bool]]:
        dialect = self.engine.dialect.name
        filters: list[ColumnElement[bool]] = []
        if auth_filters:
            filters.append(filter_clause(threads.c.metadata, auth_filters, dialect))
        if metadata:
            filters.append(contains_clause(threads.c.metadata, metadata, dialect))
        if values:
            filters.append(contains_clause(threads.c["values"], values, dialect))
        if status:
            filters.append(threads.c.status == status)
        if ids is not None:
            filters.append(threads.c.thread_id.in_(ids))
        return filters

    async def search(
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
        auth_filters: Filters | None = None,
    ) -> list[dict[str, Any]]:
        """`auth_filters` (an auth handler's filter on metadata) hides other users' threads."""
        column = threads.c[sort_by]
        where = self._filters(
            metadata=metadata, values=values, status=status, ids=ids, auth_filters=auth_filters
        )
        query = (
            select(*THREAD_VIEW_COLUMNS)
            .where(*where)
            .order_by(column.desc() if sort_order == "desc" else column.asc(), threads.c.thread_id)
            .limit(limit)
            .offset(offset)
        )
        async with self.reads.connect() as conn:
            return [thread_view(r) for r in (await conn.execute(query)).all()]

    async def count(
        self,
        *,
        metadata: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        status: str | None = None,
        auth_filters: Filters | None = None,
    ) -> int:
        where = self._filters(
            metadata=metadata, values=values, status=status, ids=None, auth_filters=auth_filters
        )
        query = select(func.count()).select_from(threads).where(*where)
        async with self.reads.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def expired(self, limit: int = 100) -> list[tuple[str, str]]:
        """(thread id, TTL strategy) of threads whose TTL has run out."""
        query = (
            select(threads.c.thread_id, threads.c.ttl_strategy)
            .where(threads.c.expires_at.is_not(None), threads.c.expires_at <= utcnow())
            .limit(limit)
        )
        async with self.reads.connect() as conn:
            return [(r.thread_id, r.ttl_strategy or "delete") for r in (await conn.execute(query))]

    async def get_state(self, thread_id: str, *, subgraphs: bool = False) -> dict[str, Any] | None:
        """The ThreadState JSON the worker stored last, or None if no run wrote one;
        with `subgraphs`, the states of subgraphs it stopped in are included."""
        async with self.reads.connect() as conn:
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

    # -------------------------------------------------------------- writes

    async def create(
        self,
        thread_id: str,
        metadata: Mapping[str, Any],
        *,
        if_exists: str = "raise",
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new idle thread; a taken id raises ThreadExistsError, or with
        if_exists="do_nothing" returns the existing thread, unchanged."""
        now = utcnow()
        ttl_columns = {"ttl_strategy": None, "ttl_minutes": None, "expires_at": None}
        ttl_columns.update(_ttl_columns(ttl, now))
        async with self.engine.begin() as conn:
            created = (
                await conn.execute(
                    _insert_thread_statement(conn.dialect.name),
                    {
                        "thread_id": thread_id,
                        "created_at": now,
                        "updated_at": now,
                        "state_updated_at": now,
                        "metadata": dict(metadata),
                        "status": "idle",
                        "config": {},
                        "values": None,
                        "interrupts": None,
                        "error": None,
                        "state": None,
                        **ttl_columns,
                    },
                )
            ).first()
            if created is not None:
                return thread_view(created)
            existing = await get_in(conn, thread_id)
        # (None: it existed at the insert, and was deleted since.)
        if existing is not None and if_exists == "do_nothing":
            return existing
        raise ThreadExistsError(thread_id)

    async def update(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Merge metadata into the thread's (as LangGraph Server does), reset its TTL."""
        now = utcnow()
        async with self.engine.begin() as conn:
            thread = await get_in(conn, thread_id)
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
            return await get_in(conn, thread_id)

    async def clear_expiry(self, thread_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads).where(threads.c.thread_id == thread_id).values(expires_at=None)
            )

    async def copy(self, source_id: str, target_id: str) -> dict[str, Any] | None:
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
        return await self.get(target_id)

    async def replace_state(self, thread_id: str, state: Mapping[str, Any] | None) -> None:
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
            await settle_status(conn, thread_id)

    async def save_states(
        self,
        thread_id: str,
        head: Mapping[str, Any],
        new_states: Sequence[Mapping[str, Any]],
        head_with_subgraphs: Mapping[str, Any] | None = None,
        streamed: tuple[str, list[tuple[str, bytes]]] | None = None,
        then: Callable[[AsyncConnection, datetime], Awaitable[T]] | None = None,
    ) -> T | None:
        """After a super-step: the thread's head state and the states of the
        checkpoints it wrote, in one transaction, with the last events the
        step streamed (`streamed`: the run's id and its events), so they
        cost no transaction of their own; `then` writes more in it (the run's
        end, after its last step) and its answer is returned.

        The head never moves back: an attempt of a step or of prepare_run that
        Temporal already gave up on (a heartbeat or workflow task that timed
        out on a starved worker) may still finish, late, with an older head.
        Checkpoint ids are time-ordered (uuid6), so the newer one wins.
        """
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                _SAVE_HEAD,
                {
                    "of_thread": thread_id,
                    "head_id": head.get("checkpoint_id"),
                    "head_state": dict(head),
                    "head_values": head.get("values"),
                    "head_subgraphs": dict(head_with_subgraphs) if head_with_subgraphs else None,
                    "now": now,
                },
            )
            await self.checkpoints.record_in(conn, thread_id, new_states)
            if streamed is not None and streamed[1]:
                await append_in(conn, streamed[0], streamed[1], now)
            return await then(conn, now) if then is not None else None

    async def save_state(self, thread_id: str, state: Mapping[str, Any]) -> None:
        """Progress of a running run: new values after each super-step."""
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(state=dict(state), values=state.get("values"), state_updated_at=now)
            )

    async def count_state_update(self, thread_id: str, change: int) -> None:
        """+1 when a state update is sent to the thread's workflow, -1 when it
        is applied (or refused). Never below zero: an update applied twice by a
        retried activity must not let a later one go unnoticed."""
        counted = threads.c.state_updates_in_flight + change
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(state_updates_in_flight=case((counted < 0, 0), else_=counted))
            )

    async def delete(self, thread_id: str) -> bool:
        """Erase a thread with its runs, their streams and its checkpoint states;
        False if it did not exist."""
        async with self.engine.begin() as conn:
            run_ids = select(runs.c.run_id).where(runs.c.thread_id == thread_id)
            await conn.execute(delete(run_events).where(run_events.c.run_id.in_(run_ids)))
            await conn.execute(delete(runs).where(runs.c.thread_id == thread_id))
            await conn.execute(
                delete(thread_checkpoints).where(thread_checkpoints.c.thread_id == thread_id)
            )
            result = await conn.execute(delete(threads).where(threads.c.thread_id == thread_id))
        return bool(result.rowcount)
