"""Run change notifications: on PostgreSQL a write by another process (here,
another engine) wakes the API's waiter of that run, and only of that run;
SQLite has none and its waiters poll. Real databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import fresh_postgres_database

from steadygraph.config.settings import to_async_url
from steadygraph.storage import Storage, notifications, open_storage

ASSISTANT = {"assistant_id": "a1", "graph_id": "agent"}


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Storage, Storage]]:
    """The API's storage and a worker's, on one fresh PostgreSQL database."""
    with fresh_postgres_database() as url:
        api = await open_storage(to_async_url(url))
        worker = await open_storage(to_async_url(url), run_migrations=False)
        try:
            yield api, worker
        finally:
            await api.close()
            await worker.close()


async def _pending_run(storage: Storage) -> str:
    thread_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    await storage.runs.create(
        run_id=run_id,
        thread_id=thread_id,
        assistant=ASSISTANT,
        metadata={},
        kwargs={},
        multitask_strategy="enqueue",
    )
    return run_id


async def test_a_write_from_another_process_wakes_the_waiter_of_that_run(
    pair: tuple[Storage, Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No safety timeout: only the notification can end the wait.
    monkeypatch.setattr(notifications, "_LIVE_TIMEOUT_S", 3600)
    api, worker = pair
    run_id, other_id = await _pending_run(worker), await _pending_run(worker)
    async with api.watch_run(run_id) as changes, api.watch_run(other_id) as other:
        assert changes.live
        other_woken = asyncio.ensure_future(other.wait(3600))

        await worker.append_events(run_id, [("values", b"{}")])
        await asyncio.wait_for(changes.wait(3600), 30)
        assert not other_woken.done()

        await worker.finish_run(run_id, status="success", error=None)
        await asyncio.wait_for(changes.wait(3600), 30)
        assert (await api.get_run(run_id) or {}).get("status") == "success"

        await worker.cancel_pending_run(other_id, "interrupt")
        await asyncio.wait_for(other_woken, 30)


async def test_sqlite_waiters_poll(tmp_path: Path) -> None:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        async with storage.watch_run("some-run") as changes:
            assert not changes.live
            await asyncio.wait_for(changes.wait(0.01), 30)  # returns after its poll interval
    finally:
        await storage.close()
