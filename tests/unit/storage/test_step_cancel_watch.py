"""A local step's watch for a cancel asked of its run (run_activities'
`_stopped_on_request`), on the real store of both backends: a read of the run
still in flight when the step ends is let finish, never cancelled (cancelling a
query makes psycopg open a connection to cancel it and SQLAlchemy drop the
pooled one), and an asked cancel still stops the step."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from steadygraph.activities.run_activities import _stopped_on_request
from steadygraph.ids import new_id
from steadygraph.storage import Storage
from steadygraph.temporal.contract import STEP_CANCEL_REQUESTED


class SlowCancelReads:
    """The store, whose read of a run's cancel request takes half a second."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.finished = 0
        self.cancelled = 0

    def watch_cancel(self, run_id: str) -> Any:
        return self.storage.watch_cancel(run_id)

    async def cancel_requested(self, run_id: str) -> str | None:
        try:
            await asyncio.sleep(0.5)
            answer = await self.storage.cancel_requested(run_id)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        return answer


def _local_step() -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, is_local=True)
    return env


async def _pending_run(storage: Storage) -> str:
    await storage.ensure_system_assistants({"agent": "agent"})
    thread = await storage.create_thread(new_id(), {})
    run_id = new_id()
    created = await storage.create_run(
        run_id=run_id,
        thread_id=thread["thread_id"],
        assistant=await storage.get_assistant("agent") or {},
        metadata={},
        kwargs={},
        multitask_strategy="reject",
    )
    assert created is not None
    return run_id


async def test_a_read_in_flight_when_the_step_ends_is_let_finish(storage: Storage) -> None:
    run_id = await _pending_run(storage)
    store = SlowCancelReads(storage)

    async def step() -> None:
        async with _stopped_on_request(store, run_id):  # type: ignore[arg-type]
            # The watcher's first wake (0.25 s, either backend) starts a read
            # that is still in flight when the step ends.
            await asyncio.sleep(0.3)

    await _local_step().run(step)
    assert (store.finished, store.cancelled) == (1, 0)


async def test_the_runs_own_stream_does_not_make_the_watch_read(storage: Storage) -> None:
    """Each batch of stream events notifies the run's waiters (PostgreSQL); the
    step's cancel watch listens only to cancels, so a step that streams costs
    no read per batch: one at its first wake, then one per safety timeout."""
    run_id = await _pending_run(storage)
    store = SlowCancelReads(storage)

    async def step() -> None:
        async with _stopped_on_request(store, run_id):  # type: ignore[arg-type]
            for _ in range(10):
                await storage.append_events(run_id, [("values", b"{}")])
                await asyncio.sleep(0.1)

    await _local_step().run(step)
    if storage.engine.dialect.name == "postgresql":
        assert store.finished + store.cancelled == 1
    else:  # SQLite cannot notify: the watch polls every 0.25 s
        assert 2 <= store.finished + store.cancelled <= 4


async def test_a_cancel_asked_while_the_step_runs_stops_it(storage: Storage) -> None:
    run_id = await _pending_run(storage)
    assert await storage.mark_run_running(run_id) is not None
    asked_at = 0.0

    async def ask() -> None:
        nonlocal asked_at
        await asyncio.sleep(1.0)  # past the watch's first wake
        asked_at = asyncio.get_running_loop().time()
        await storage.request_cancel(run_id, "interrupt")

    async def step() -> None:
        async with _stopped_on_request(storage, run_id):
            await asyncio.gather(ask(), asyncio.sleep(10))

    with pytest.raises(ApplicationError) as stopped:
        await asyncio.wait_for(_local_step().run(step), 8)
    assert stopped.value.type == STEP_CANCEL_REQUESTED
    # PostgreSQL's notification wakes the watch at once; SQLite's poll within 0.25 s.
    assert asyncio.get_running_loop().time() - asked_at < 1.0


async def test_a_cancel_asked_of_the_run_stops_the_step(storage: Storage) -> None:
    run_id = await _pending_run(storage)
    assert await storage.mark_run_running(run_id) is not None
    await storage.request_cancel(run_id, "rollback")

    async def step() -> None:
        async with _stopped_on_request(storage, run_id):
            await asyncio.sleep(10)

    with pytest.raises(ApplicationError) as stopped:
        await asyncio.wait_for(_local_step().run(step), 8)
    assert stopped.value.type == STEP_CANCEL_REQUESTED
    assert stopped.value.details == ("rollback",)
