"""Run change notifications: a write by another process (here, another
engine) wakes the API's waiter of that run, and only of that run: on
PostgreSQL by NOTIFY, on SQLite by the Unix sockets next to the database
file (`local_notify`). Real databases, real sockets."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import fresh_postgres_database

from steadygraph.config.settings import to_async_url
from steadygraph.storage import Storage, local_notify, notifications, open_storage

ASSISTANT = {"assistant_id": "a1", "graph_id": "agent"}


@pytest.fixture(params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Storage, Storage]]:
    """The API's storage and a worker's, on one fresh database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
        api = await open_storage(url)
        worker = await open_storage(url, run_migrations=False)
        try:
            yield api, worker
        finally:
            await api.close()
            await worker.close()
        return
    with fresh_postgres_database() as pg_url:
        api = await open_storage(to_async_url(pg_url))
        worker = await open_storage(to_async_url(pg_url), run_migrations=False)
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
    pair: tuple[Storage, Storage],
) -> None:
    api, worker = pair
    # No safety timeout: only the notification can end the wait.
    api.run_changes.live_timeout_s = 3600
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


async def test_a_waiter_of_the_runs_status_is_woken_by_its_end_not_its_events(
    pair: tuple[Storage, Storage],
) -> None:
    api, worker = pair
    api.run_statuses.live_timeout_s = 3600
    run_id = await _pending_run(worker)
    async with api.watch_run(run_id, events=False) as status:
        assert status.live
        # A listener that has just connected wakes its waiters once, in
        # case it missed something: that wake is not what this is about.
        await status.wait(3600, live_s=0.2)
        woken = asyncio.ensure_future(status.wait(3600))
        await worker.append_events(run_id, [("values", b"{}")])
        await worker.request_cancel(run_id, "interrupt")
        await asyncio.sleep(0.5)  # what a notification needs, many times over
        assert not woken.done()
        await worker.finish_run(run_id, status="interrupted", error=None)
        await asyncio.wait_for(woken, 30)


async def test_a_cancel_asked_wakes_the_watch_of_the_runs_step(
    pair: tuple[Storage, Storage],
) -> None:
    api, worker = pair
    worker.cancel_requests.live_timeout_s = 3600
    run_id = await _pending_run(api)
    assert await worker.mark_run_running(run_id) is not None
    async with worker.watch_cancel(run_id) as asked:
        assert asked.live
        await api.request_cancel(run_id, "rollback")
        await asyncio.wait_for(asked.wait(3600), 30)
    assert await worker.cancel_requested(run_id) == "rollback"


async def _sqlite_pair(tmp_path: Path) -> tuple[Storage, Storage]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    return await open_storage(url), await open_storage(url, run_migrations=False)


async def test_sqlite_a_rolled_back_write_wakes_nobody(tmp_path: Path) -> None:
    api, worker = await _sqlite_pair(tmp_path)
    try:
        run_id = await _pending_run(worker)
        async with api.watch_run(run_id) as changes:
            with pytest.raises(RuntimeError):
                async with worker.engine.begin() as conn:
                    await notifications.notify_run(conn, run_id)
                    raise RuntimeError("the write fails")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(changes.wait(3600, live_s=3600), 0.5)
            # The next write that commits does.
            await worker.append_events(run_id, [("values", b"{}")])
            await asyncio.wait_for(changes.wait(3600, live_s=3600), 30)
    finally:
        await api.close()
        await worker.close()


async def test_sqlite_a_socket_left_by_a_killed_process_is_removed(tmp_path: Path) -> None:
    api, worker = await _sqlite_pair(tmp_path)
    directory = local_notify.notify_directory(str(tmp_path / "db.sqlite"))
    assert directory is not None
    try:
        run_id = await _pending_run(worker)
        async with api.watch_run(run_id) as changes:
            # What a SIGKILLed API leaves: a socket file nobody reads.
            dead = directory / f"{notifications.CHANNEL}.999999.deadbeef.sock"
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
                # (pytest's tmp_path is longer than a socket address may be)
                fd = os.open(directory, os.O_RDONLY)
                try:
                    gone.bind(f"/proc/self/fd/{fd}/{dead.name}")
                finally:
                    os.close(fd)
            await worker.append_events(run_id, [("values", b"{}")])
            await asyncio.wait_for(changes.wait(3600, live_s=3600), 30)
            assert not dead.exists()
            assert len(list(directory.iterdir())) == 1  # this process's own
    finally:
        await api.close()
        await worker.close()
    assert list(directory.iterdir()) == []  # closed: removed


async def test_sqlite_waiters_poll_where_no_socket_can_be_bound(tmp_path: Path) -> None:
    # Where the sockets would go, something else is: no listener can bind.
    (tmp_path / "db.sqlite.notify").write_text("not a directory")
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        async with storage.watch_run("some-run") as changes:
            assert not changes.live
            await asyncio.wait_for(changes.wait(0.01), 30)  # returns after its poll interval
            # and a write still commits, its notification going nowhere
            run_id = await _pending_run(storage)
            await storage.append_events(run_id, [("values", b"{}")])
    finally:
        await storage.close()


async def test_an_in_memory_database_has_no_socket_to_share() -> None:
    assert local_notify.notify_directory(":memory:") is None
    assert local_notify.notify_directory("") is None
