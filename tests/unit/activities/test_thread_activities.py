"""What a thread's workflow learns about runs started without it
(steadygraph.activities.thread_activities), against a real SQLite database
and the session's real Temporal server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from temporalio.client import Client

from steadygraph.activities.thread_activities import ORPHAN_AFTER_S, ThreadActivities
from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.storage import Storage, open_storage
from steadygraph.storage.schema import runs
from steadygraph.storage.timestamps import utcnow
from steadygraph.temporal.contract import CancelRequest, DirectRun

ASSISTANT = {"assistant_id": "a1", "graph_id": "agent"}


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'steadygraph.sqlite'}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def activities(storage: Storage, temporal_server: EmbeddedTemporal) -> ThreadActivities:
    return ThreadActivities(storage, await Client.connect(temporal_server.address))


async def _direct_run(storage: Storage, thread_id: str, *, age_s: float = 0) -> str:
    run = await storage.create_run(
        run_id=str(uuid.uuid4()),
        thread_id=thread_id,
        assistant=ASSISTANT,
        metadata={},
        kwargs={},
        multitask_strategy="enqueue",
        direct_if_idle=True,
    )
    assert run is not None and run.get("direct") is True
    if age_s:
        async with storage.runs.engine.begin() as conn:
            await conn.execute(
                update(runs)
                .where(runs.c.run_id == run["run_id"])
                .values(created_at=utcnow() - timedelta(seconds=age_s))
            )
    return str(run["run_id"])


async def test_a_pending_direct_run_is_waited_for_until_it_is_an_orphan(
    storage: Storage, activities: ThreadActivities
) -> None:
    fresh_thread, old_thread = str(uuid.uuid4()), str(uuid.uuid4())
    for thread_id in (fresh_thread, old_thread):
        await storage.create_thread(thread_id, {})
    fresh = await _direct_run(storage, fresh_thread)
    # Its API stopped between storing it and starting its workflow, long ago.
    orphan = await _direct_run(storage, old_thread, age_s=ORPHAN_AFTER_S + 5)

    assert await activities.direct_runs(fresh_thread) == [DirectRun(fresh, "pending")]
    assert await activities.direct_runs(old_thread) == []
    ended = await storage.get_run(orphan)
    assert ended is not None and ended["status"] == "error"
    assert (await storage.get_run_error(orphan) or {}).get("error") == "RunNotStarted"


async def test_a_pending_direct_run_is_cancelled_in_the_database(
    storage: Storage, activities: ThreadActivities
) -> None:
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    run_id = await _direct_run(storage, thread_id)
    await activities.cancel_direct_run(CancelRequest(run_id, "interrupt"))
    cancelled = await storage.get_run(run_id)
    assert cancelled is not None and cancelled["status"] == "interrupted"
    assert await activities.direct_runs(thread_id) == []
