"""`Storage`: one object holding a repository per aggregate over one engine.

The API and the activities reach the database through it only, so a new
backend is a new engine URL, not new call sites. New code may use the
repositories directly (`storage.threads.get(...)`); the methods below keep
the names callers already use and only delegate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from steadygraph.storage.assistants import AssistantRepository
from steadygraph.storage.auth_filter import Filters
from steadygraph.storage.checkpoint_states import CheckpointStates
from steadygraph.storage.notifications import (
    CANCEL_CHANNEL,
    STATUS_CHANNEL,
    RunChanges,
    RunWatch,
)
from steadygraph.storage.run_events import RunEventRepository
from steadygraph.storage.runs import RunFinished, RunOutcome, RunRepository
from steadygraph.storage.threads import ThreadRepository


class Storage:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.checkpoints = CheckpointStates(engine)
        self.assistants = AssistantRepository(engine)
        self.threads = ThreadRepository(engine, self.checkpoints)
        self.runs = RunRepository(engine)
        self.run_events = RunEventRepository(engine)
        self.run_changes = RunChanges(engine)
        self.cancel_requests = RunChanges(engine, CANCEL_CHANNEL)
        self.run_statuses = RunChanges(engine, STATUS_CHANNEL)

    async def close(self) -> None:
        await self.run_changes.close()
        await self.cancel_requests.close()
        await self.run_statuses.close()
        await self.engine.dispose()

    def watch_run(
        self, run_id: str, *, events: bool = True
    ) -> AbstractAsyncContextManager[RunWatch]:
        """Subscribe to a run's changes (new stream events, its end) before
        reading it; with `events=False` only to its status (its end)."""
        return (self.run_changes if events else self.run_statuses).watch(run_id)

    def watch_cancel(self, run_id: str) -> AbstractAsyncContextManager[RunWatch]:
        """Subscribe to the cancels asked of a running run, and nothing else of it."""
        return self.cancel_requests.watch(run_id)

    # ------------------------------------------------------------- assistants

    async def ensure_system_assistants(self, graphs: Mapping[str, str]) -> None:
        await self.assistants.ensure_system_assistants(graphs)

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        return await self.assistants.get(assistant_id)

    # ---------------------------------------------------------------- threads

    async def create_thread(
        self,
        thread_id: str,
        metadata: Mapping[str, Any],
        *,
        if_exists: str = "raise",
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return await self.threads.create(thread_id, metadata, if_exists=if_exists, ttl=ttl)

    async def get_thread(self, thread_id: str) -> dict[str, Any] | None:
        return await self.threads.get(thread_id)

    async def update_thread(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        ttl: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        return await self.threads.update(thread_id, metadata=metadata, ttl=ttl)

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
        auth_filters: Filters | None = None,
    ) -> list[dict[str, Any]]:
        return await self.threads.search(
            metadata=metadata,
            values=values,
            status=status,
            ids=ids,
            limit=limit,
            offset=offset,
            sort_by=sort_by,
            sort_order=sort_order,
            auth_filters=auth_filters,
        )

    async def count_threads(
        self,
        *,
        metadata: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        status: str | None = None,
        auth_filters: Filters | None = None,
    ) -> int:
        return await self.threads.count(
            metadata=metadata, values=values, status=status, auth_filters=auth_filters
        )

    async def expired_threads(self, limit: int = 100) -> list[tuple[str, str]]:
        return await self.threads.expired(limit)

    async def clear_expiry(self, thread_id: str) -> None:
        await self.threads.clear_expiry(thread_id)

    async def copy_thread(self, source_id: str, target_id: str) -> dict[str, Any] | None:
        return await self.threads.copy(source_id, target_id)

    async def delete_thread(self, thread_id: str) -> bool:
        return await self.threads.delete(thread_id)

    async def get_thread_state(
        self, thread_id: str, *, subgraphs: bool = False
    ) -> dict[str, Any] | None:
        return await self.threads.get_state(thread_id, subgraphs=subgraphs)

    async def update_thread_state(self, thread_id: str, state: Mapping[str, Any] | None) -> None:
        await self.threads.replace_state(thread_id, state)

    async def save_thread_states(
        self,
        thread_id: str,
        head: Mapping[str, Any],
        new_states: Sequence[Mapping[str, Any]],
        head_with_subgraphs: Mapping[str, Any] | None = None,
        streamed: tuple[str, list[tuple[str, bytes]]] | None = None,
        finish_run: str | None = None,
    ) -> RunFinished | None:
        """`finish_run`: the id of a run whose last step this was, recorded as
        a success in the same transaction (one write for the run's last step)."""
        if finish_run is None:
            await self.threads.save_states(
                thread_id, head, new_states, head_with_subgraphs, streamed=streamed
            )
            return None

        async def finish(conn: AsyncConnection, now: datetime) -> RunFinished | None:
            assert finish_run is not None
            return await self.runs.finish_in(
                conn, finish_run, status="success", error=None, now=now, state=head
            )

        return await self.threads.save_states(
            thread_id, head, new_states, head_with_subgraphs, streamed=streamed, then=finish
        )

    async def save_thread_state(self, thread_id: str, state: Mapping[str, Any]) -> None:
        await self.threads.save_state(thread_id, state)

    # ------------------------------------------------------------------- runs

    async def create_run(
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
        return await self.runs.create(
            run_id=run_id,
            thread_id=thread_id,
            assistant=assistant,
            metadata=metadata,
            kwargs=kwargs,
            multitask_strategy=multitask_strategy,
            reject_if_busy=reject_if_busy,
            direct_if_idle=direct_if_idle,
        )

    async def get_run(self, run_id: str, thread_id: str | None = None) -> dict[str, Any] | None:
        return await self.runs.get(run_id, thread_id)

    async def get_run_times(self, run_id: str) -> tuple[str | None, str | None]:
        return await self.runs.get_times(run_id)

    async def run_outcome(self, run_id: str, thread_id: str) -> RunOutcome:
        return await self.runs.outcome(run_id, thread_id)

    async def get_run_error(self, run_id: str) -> dict[str, Any] | None:
        return await self.runs.get_error(run_id)

    async def list_runs(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        return await self.runs.for_thread(thread_id, limit=limit, offset=offset, status=status)

    async def runs_with_status(self, statuses: list[str]) -> list[dict[str, Any]]:
        return await self.runs.with_status(statuses)

    async def run_status_totals(self) -> dict[str, tuple[int, float, int]]:
        return await self.runs.status_totals()

    async def active_runs(self, thread_id: str) -> list[str]:
        return await self.runs.active_ids(thread_id)

    async def active_direct_runs(self, thread_id: str) -> list[tuple[str, str, str]]:
        return await self.runs.active_direct(thread_id)

    async def count_state_update(self, thread_id: str, change: int) -> None:
        await self.threads.count_state_update(thread_id, change)

    async def thread_has_waiters(self, thread_id: str) -> bool:
        return await self.runs.thread_has_waiters(thread_id)

    async def mark_run_running(self, run_id: str) -> dict[str, Any] | None:
        return await self.runs.mark_running(run_id)

    async def cancel_pending_run(self, run_id: str, action: str) -> bool:
        return await self.runs.cancel_pending(run_id, action)

    async def request_cancel(self, run_id: str, action: str) -> None:
        await self.runs.request_cancel(run_id, action)

    async def cancel_requested(self, run_id: str) -> str | None:
        return await self.runs.cancel_requested(run_id)

    async def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        error: Mapping[str, Any] | None,
        final_event: tuple[str, bytes] | None = None,
    ) -> RunFinished | None:
        return await self.runs.finish(run_id, status=status, error=error, final_event=final_event)

    async def fail_run_if_active(self, run_id: str, error: Mapping[str, Any]) -> None:
        await self.runs.fail_if_active(run_id, error)

    async def delete_run_record(self, run_id: str) -> None:
        await self.runs.delete(run_id)

    # ------------------------------------------------------------ run events

    async def append_events(self, run_id: str, events: list[tuple[str, bytes]]) -> None:
        await self.run_events.append(run_id, events)

    async def read_events(
        self, run_id: str, after_seq: int, limit: int = 500
    ) -> list[tuple[int, str, bytes]]:
        return await self.run_events.read(run_id, after_seq, limit)
