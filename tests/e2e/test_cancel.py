"""Cancelling runs: interrupt keeps progress, rollback erases the run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError
from markers import read_marks
from tests_support import slow_input, wait_for_mark


async def test_cancel_interrupt_stops_a_running_node_and_keeps_progress(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    marker = tmp_path / "m.txt"
    run = await client.runs.create(thread["thread_id"], "slow", input=slow_input(marker, 30))
    await wait_for_mark(marker, "step2:start")
    started = asyncio.get_running_loop().time()
    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)
    # Temporal activity cancellation reaches the node through its heartbeat.
    assert asyncio.get_running_loop().time() - started < 10
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "interrupted"
    assert "step2:end" not in read_marks(marker)
    thread_after = await client.threads.get(thread["thread_id"])
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["visited"] == ["step1"] and state["next"] == ["step2"]
    assert thread_after["status"] == "interrupted"


async def test_cancel_rollback_restores_the_pre_run_checkpoint(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    first = await client.runs.wait(thread["thread_id"], "slow", input=slow_input(tmp_path / "a", 0))
    before = await client.threads.get_state(thread["thread_id"])
    history_before = await client.threads.get(thread["thread_id"])
    marker = tmp_path / "b.txt"
    run = await client.runs.create(thread["thread_id"], "slow", input=slow_input(marker, 30))
    await wait_for_mark(marker, "step2:start")
    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True, action="rollback")
    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
    after = await client.threads.get_state(thread["thread_id"])
    assert after["checkpoint"] == before["checkpoint"]
    assert after["values"] == before["values"] == first
    thread_after = await client.threads.get(thread["thread_id"])
    assert thread_after["status"] == "idle"
    assert thread_after["values"] == history_before["values"]


async def test_cancel_a_queued_run_before_it_starts(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    running_marker, queued_marker = tmp_path / "r.txt", tmp_path / "q.txt"
    running = await client.runs.create(
        thread["thread_id"], "slow", input=slow_input(running_marker, 1)
    )
    queued = await client.runs.create(
        thread["thread_id"], "slow", input=slow_input(queued_marker, 0)
    )
    await client.runs.cancel(thread["thread_id"], queued["run_id"])
    await client.runs.join(thread["thread_id"], running["run_id"])
    await client.runs.join(thread["thread_id"], queued["run_id"])
    assert (await client.runs.get(thread["thread_id"], queued["run_id"]))["status"] == (
        "interrupted"
    )
    assert read_marks(queued_marker) == []
    assert (await client.runs.get(thread["thread_id"], running["run_id"]))["status"] == "success"


async def test_cancel_responses_and_bulk_cancel(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    runs = [
        await client.runs.create(
            thread["thread_id"], "slow", input=slow_input(tmp_path / f"{i}", 30)
        )
        for i in range(2)
    ]
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs/{runs[0]['run_id']}/cancel"
        )
        assert response.status_code == 202 and response.content == b""
        response = await http.post(
            "/runs/cancel", json={"thread_id": thread["thread_id"], "run_ids": [runs[1]["run_id"]]}
        )
        assert response.status_code == 204
        response = await http.post("/runs/cancel", json={})
        assert response.status_code == 422
    for run in runs:
        await client.runs.join(thread["thread_id"], run["run_id"])
        assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == (
            "interrupted"
        )


async def test_delete_a_finished_run(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0))
    await client.runs.join(thread["thread_id"], run["run_id"])
    await client.runs.delete(thread["thread_id"], run["run_id"])
    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
    assert await client.runs.list(thread["thread_id"]) == []
