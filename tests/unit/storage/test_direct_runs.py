"""Which runs start on their own (no ThreadWorkflow): decided with the insert,
on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
import uuid

from steadygraph.storage import Storage

ASSISTANT = {"assistant_id": "a1", "graph_id": "agent"}


async def _thread(storage: Storage) -> str:
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    return thread_id


async def _create(storage: Storage, thread_id: str, *, direct_if_idle: bool = True) -> dict:
    run = await storage.create_run(
        run_id=str(uuid.uuid4()),
        thread_id=thread_id,
        assistant=ASSISTANT,
        metadata={},
        kwargs={},
        multitask_strategy="enqueue",
        direct_if_idle=direct_if_idle,
    )
    assert run is not None
    return run


async def test_only_a_run_alone_on_its_thread_is_direct(storage: Storage) -> None:
    thread_id = await _thread(storage)
    first = await _create(storage, thread_id)
    second = await _create(storage, thread_id)
    assert first.get("direct") is True
    assert "direct" not in second  # queued behind the first: its thread's workflow
    assert [run_id for run_id, _, _ in await storage.active_direct_runs(thread_id)] == [
        first["run_id"]
    ]
    assert (await storage.get_run(first["run_id"])).keys() == second.keys()  # not shown to clients

    await storage.finish_run(first["run_id"], status="success", error=None)
    assert await storage.active_direct_runs(thread_id) == []
    await storage.finish_run(second["run_id"], status="success", error=None)
    assert (await _create(storage, thread_id)).get("direct") is True


async def test_a_delayed_run_is_never_direct(storage: Storage) -> None:
    thread_id = await _thread(storage)
    assert "direct" not in await _create(storage, thread_id, direct_if_idle=False)


async def test_while_a_state_update_is_in_flight_runs_queue_behind_it(storage: Storage) -> None:
    thread_id = await _thread(storage)
    await storage.count_state_update(thread_id, +1)
    assert await storage.thread_has_waiters(thread_id)
    queued = await _create(storage, thread_id)
    assert "direct" not in queued
    await storage.finish_run(queued["run_id"], status="success", error=None)

    await storage.count_state_update(thread_id, -1)
    await storage.count_state_update(thread_id, -1)  # a retried apply: never below zero
    assert not await storage.thread_has_waiters(thread_id)
    assert (await _create(storage, thread_id)).get("direct") is True
    await storage.count_state_update(thread_id, +1)
    assert "direct" not in await _create(storage, thread_id)


async def test_of_concurrent_creates_on_an_idle_thread_exactly_one_is_direct(
    storage: Storage,
) -> None:
    thread_id = await _thread(storage)
    runs = await asyncio.gather(*[_create(storage, thread_id) for _ in range(8)])
    assert sum(1 for run in runs if run.get("direct")) == 1
