"""Runs without a thread, runs that create their thread, batches, delayed runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError
from tests_support import slow_input

from steadygraph.ids import new_id

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


async def _thread_gone(client, thread_id: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        await client.threads.get(thread_id)
    except NotFoundError:
        return True
    return False


async def test_stateless_wait_deletes_its_thread_by_default(server_url: str) -> None:
    client = get_client(url=server_url)
    created: list[dict] = []
    result = await client.runs.wait(None, "agent", input=WEATHER, on_run_created=created.append)
    assert result["messages"][-1]["content"].startswith("The weather in San Francisco")
    thread_id = created[0]["thread_id"]
    for _ in range(100):
        if await _thread_gone(client, thread_id):
            break
        await asyncio.sleep(0.1)
    assert await _thread_gone(client, thread_id)


async def test_stateless_run_kept_with_on_completion_keep(server_url: str) -> None:
    client = get_client(url=server_url)
    run = await client.runs.create(None, "agent", input=WEATHER, on_completion="keep")
    await client.runs.join(run["thread_id"], run["run_id"])
    thread = await client.threads.get(run["thread_id"])
    assert thread["values"]["messages"][-1]["type"] == "ai"


async def test_if_not_exists_create_makes_the_thread(server_url: str) -> None:
    client = get_client(url=server_url)
    thread_id = new_id()
    with pytest.raises(NotFoundError):
        await client.runs.create(thread_id, "agent", input=WEATHER)
    result = await client.runs.wait(thread_id, "agent", input=WEATHER, if_not_exists="create")
    assert len(result["messages"]) == 4
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_batch_creates_stateless_runs(server_url: str) -> None:
    client = get_client(url=server_url)
    runs = await client.runs.create_batch(
        [{"assistant_id": "agent", "input": WEATHER, "on_completion": "keep"} for _ in range(3)]
    )
    assert len({r["thread_id"] for r in runs}) == 3
    for run in runs:
        await client.runs.join(run["thread_id"], run["run_id"])
        assert (await client.runs.get(run["thread_id"], run["run_id"]))["status"] == "success"


async def test_after_seconds_delays_the_run(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    started = time.monotonic()
    run = await client.runs.create(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0), after_seconds=2
    )
    await asyncio.sleep(0.5)
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "pending"
    await client.runs.join(thread["thread_id"], run["run_id"])
    assert time.monotonic() - started >= 2
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
