"""Runs are accepted while no worker is alive: stored as pending, decided
(`reject`) from the database, and run in order once a worker starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Deployment
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError
from markers import read_marks
from tests_support import slow_input

from steadygraph.dev.temporal_server import EmbeddedTemporal


@pytest.fixture
def deployment(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> Iterator[Deployment]:
    """An API with no worker (a test starts one when it wants runs to run)."""
    env = {"STEADYGRAPH_DATABASE_URL": database_url} if database_url else {}
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env)
    deployment.start_api()
    try:
        yield deployment
    finally:
        deployment.stop()


async def test_runs_are_accepted_without_a_worker_and_run_once_one_starts(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url, timeout=10)
    thread = await client.threads.create()
    thread_id = thread["thread_id"]
    marker = tmp_path / "marks.txt"

    started = time.monotonic()
    first = await client.runs.create(
        thread_id, "slow", input={**slow_input(marker, 0), "visited": ["first"]}
    )
    assert time.monotonic() - started < 2
    assert first["status"] == "pending"

    # "reject" is answered at once from the database: the pending run holds the thread.
    started = time.monotonic()
    with pytest.raises(ConflictError):
        await client.runs.create(
            thread_id, "slow", input=slow_input(marker, 0), multitask_strategy="reject"
        )
    assert time.monotonic() - started < 2

    # A state update is queued for good as well: the API's bounded wait for
    # its outcome ends in a 409 that says so (not applied yet, do not resend).
    patient = get_client(url=deployment.url, timeout=30)
    started = time.monotonic()
    with pytest.raises(ConflictError):
        await patient.threads.update_state(thread_id, {"visited": ["edited"]})
    assert time.monotonic() - started < 20

    second = await client.runs.create(
        thread_id, "slow", input={**slow_input(marker, 0), "visited": ["second"]}
    )
    assert second["status"] == "pending"
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [
        second["run_id"],
        first["run_id"],
    ]
    await asyncio.sleep(1)  # nothing runs without a worker
    assert read_marks(marker) == []
    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "pending"

    await asyncio.to_thread(deployment.start_worker)
    for run in (first, second):
        await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 60)
        assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
    visited = (await client.threads.get_state(thread_id))["values"]["visited"]
    # The update waited for the run before it and went before the run after it.
    assert visited == [
        *("first", "step1", "step2", "step3"),
        "edited",
        *("second", "step1", "step2", "step3"),
    ]
    one_run = [
        f"{step}:{edge}" for step in ("step1", "step2", "step3") for edge in ("start", "end")
    ]
    assert read_marks(marker) == one_run * 2

    # An idle thread accepts "reject" again.
    third = await client.runs.create(
        thread_id, "slow", input=slow_input(marker, 0), multitask_strategy="reject"
    )
    await asyncio.wait_for(client.runs.join(thread_id, third["run_id"]), 60)
    assert (await client.runs.get(thread_id, third["run_id"]))["status"] == "success"


async def test_concurrent_reject_runs_on_an_idle_thread_admit_exactly_one(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The busy check and the insert are one atomic decision."""
    client = get_client(url=deployment.url, timeout=10)
    thread_id = (await client.threads.create())["thread_id"]
    outcomes = await asyncio.gather(
        *(
            client.runs.create(thread_id, "slow", input={}, multitask_strategy="reject")
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert (len(accepted), len(refused)) == (1, 7), outcomes
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [accepted[0]["run_id"]]


async def test_a_pending_run_is_cancelled_at_once_without_a_worker_and_never_runs(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url, timeout=10)
    thread_id = (await client.threads.create())["thread_id"]
    marker = tmp_path / "marks.txt"

    def run_input(name: str) -> dict:
        return {**slow_input(marker, 0), "visited": [name]}

    interrupted = await client.runs.create(thread_id, "slow", input=run_input("interrupted"))
    rolled_back = await client.runs.create(thread_id, "slow", input=run_input("rolled back"))
    later = await client.runs.create(thread_id, "slow", input=run_input("later"), after_seconds=1)
    kept = await client.runs.create(thread_id, "slow", input=run_input("kept"))

    # Answered by the API itself (the client's own timeout is 10 s): no
    # worker has to take the cancel, and its effect is visible at once.
    await asyncio.wait_for(client.runs.cancel(thread_id, interrupted["run_id"]), 10)
    assert (await client.runs.get(thread_id, interrupted["run_id"]))["status"] == ("interrupted")
    await asyncio.wait_for(
        client.runs.cancel(thread_id, rolled_back["run_id"], action="rollback"), 10
    )
    with pytest.raises(NotFoundError):
        await client.runs.get(thread_id, rolled_back["run_id"])
    # A run waiting for its after_seconds, cancelled with wait=True.
    await asyncio.wait_for(client.runs.cancel(thread_id, later["run_id"], wait=True), 10)
    assert (await client.runs.get(thread_id, later["run_id"]))["status"] == "interrupted"
    await asyncio.wait_for(client.runs.join(thread_id, interrupted["run_id"]), 10)
    assert (await client.threads.get(thread_id))["status"] == "busy"  # `kept` waits

    await asyncio.to_thread(deployment.start_worker)
    await asyncio.wait_for(client.runs.join(thread_id, kept["run_id"]), 60)
    assert (await client.runs.get(thread_id, kept["run_id"]))["status"] == "success"
    # Only the run nobody cancelled ran; the cancelled ones stay as they were.
    visited = (await client.threads.get_state(thread_id))["values"]["visited"]
    assert visited == ["kept", "step1", "step2", "step3"]
    statuses = {r["run_id"]: r["status"] for r in await client.runs.list(thread_id)}
    assert statuses == {
        interrupted["run_id"]: "interrupted",
        later["run_id"]: "interrupted",
        kept["run_id"]: "success",
    }
    assert (await client.threads.get(thread_id))["status"] == "idle"
