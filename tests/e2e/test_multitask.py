"""Several runs on one thread: one at a time, in order, or replacing each other."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError
from markers import read_marks
from tests_support import slow_input, wait_for_mark


async def _slow_run(client, thread_id: str, marker: Path, sleep_s: float, **kwargs):  # type: ignore[no-untyped-def]
    return await client.runs.create(thread_id, "slow", input=slow_input(marker, sleep_s), **kwargs)


async def test_enqueue_runs_execute_strictly_in_order_one_at_a_time(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    markers = [tmp_path / f"run{i}.txt" for i in range(5)]
    all_marks = tmp_path / "all.txt"
    runs = []
    for i in range(5):
        run = await client.runs.create(
            thread["thread_id"],
            "slow",
            input={"marker_file": str(all_marks), "sleep_s": 0.2, "visited": [f"run{i}"]},
        )
        assert run["multitask_strategy"] == "enqueue"
        runs.append(run)
        markers[i].touch()
    for run in runs:
        await client.runs.join(thread["thread_id"], run["run_id"])
    statuses = [(await client.runs.get(thread["thread_id"], r["run_id"]))["status"] for r in runs]
    assert statuses == ["success"] * 5
    marks = read_marks(all_marks)
    # Never two runs at once: every run's 3 steps complete before the next starts.
    assert (
        marks
        == ["step1:start", "step1:end", "step2:start", "step2:end", "step3:start", "step3:end"] * 5
    )
    values = (await client.threads.get_state(thread["thread_id"]))["values"]["visited"]
    assert [v for v in values if v.startswith("run")] == [f"run{i}" for i in range(5)]
    # Each run's input came after the previous run's three steps.
    assert values.index("run1") == values.index("run0") + 4


async def test_interrupt_strategy_stops_the_running_run_and_keeps_its_progress(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    marker = tmp_path / "first.txt"
    first = await _slow_run(client, thread["thread_id"], marker, 30)
    await wait_for_mark(marker, "step2:start")
    second = await client.runs.create(
        thread["thread_id"], "agent", input={"messages": []}, multitask_strategy="interrupt"
    )
    await client.runs.join(thread["thread_id"], second["run_id"])
    assert (await client.runs.get(thread["thread_id"], first["run_id"]))["status"] == "interrupted"
    assert (await client.runs.get(thread["thread_id"], second["run_id"]))["status"] in (
        "success",
        "error",
    )
    assert "step2:end" not in read_marks(marker)  # cancelled mid-node, promptly


async def test_rollback_strategy_erases_the_running_run(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    marker = tmp_path / "first.txt"
    first = await _slow_run(client, thread["thread_id"], marker, 30)
    await wait_for_mark(marker, "step2:start")
    second = await _slow_run(
        client, thread["thread_id"], tmp_path / "second.txt", 0, multitask_strategy="rollback"
    )
    await client.runs.join(thread["thread_id"], second["run_id"])
    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], first["run_id"])
    state = await client.threads.get_state(thread["thread_id"])
    # Only the second run's steps: the first one's step1 checkpoint is gone.
    assert state["values"]["visited"] == ["step1", "step2", "step3"]
    assert [r["run_id"] for r in await client.runs.list(thread["thread_id"])] == [second["run_id"]]
