"""Human in the loop: interrupt(), Command(resume=...), interrupt_before/after."""

from __future__ import annotations

from pathlib import Path

import slow
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from langgraph_sdk import get_client
from tests_support import slow_input


async def test_dynamic_interrupt_then_resume_with_command(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "hitl", input={"request": "r"})
    assert result["request"] == "r"
    interrupt = result["__interrupt__"][0]
    assert interrupt["value"] == {"question": "Do you approve this request?", "request": "r"}
    assert interrupt["id"]
    runs = await client.runs.list(thread["thread_id"])
    assert runs[0]["status"] == "success"  # as LangGraph Server: the thread waits, not the run
    waiting = await client.threads.get(thread["thread_id"])
    assert waiting["status"] == "interrupted"
    assert next(iter(waiting["interrupts"].values()))[0]["value"]["request"] == "r"
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["ask"]
    assert state["tasks"][0]["interrupts"][0]["id"] == interrupt["id"]

    resumed = await client.runs.wait(thread["thread_id"], "hitl", command={"resume": "yes"})
    assert resumed == {"request": "r", "answer": "yes", "approved": True, "result": "done"}
    done = await client.threads.get(thread["thread_id"])
    assert done["status"] == "idle" and done["interrupts"] == {}


async def test_interrupt_before_and_after_stop_the_run_and_resume(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    marker = tmp_path / "m.txt"
    partial = await client.runs.wait(
        thread["thread_id"], "slow", input=slow_input(marker, 0), interrupt_before=["step2"]
    )
    assert partial["visited"] == ["step1"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["step2"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"

    # Resuming (no input) goes through the node it stopped before.
    after = await client.runs.wait(
        thread["thread_id"], "slow", input=None, interrupt_after=["step2"]
    )
    assert after["visited"] == ["step1", "step2"]
    assert (await client.threads.get_state(thread["thread_id"]))["next"] == ["step3"]
    final = await client.runs.wait(thread["thread_id"], "slow", input=None)
    assert final["visited"] == ["step1", "step2", "step3"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_interrupt_before_star_stops_before_the_first_node(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    result = await client.runs.wait(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0), interrupt_before="*"
    )
    assert not result.get("visited")
    assert (await client.threads.get_state(thread["thread_id"]))["next"] == ["step1"]


async def test_run_from_an_earlier_checkpoint_forks_the_thread(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.wait(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0), interrupt_after=["step1"]
    )
    fork_point = (await client.threads.get_state(thread["thread_id"]))["checkpoint_id"]
    await client.runs.wait(thread["thread_id"], "slow", input=None)
    assert (await client.threads.get_state(thread["thread_id"]))["values"]["visited"] == [
        "step1",
        "step2",
        "step3",
    ]
    forked = await client.runs.wait(
        thread["thread_id"], "slow", input={"visited": ["forked"]}, checkpoint_id=fork_point
    )
    assert forked["visited"] == ["step1", "forked", "step1", "step2", "step3"]


async def test_command_goto_and_update_steer_the_graph(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.wait(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0), interrupt_after=["step1"]
    )
    command = {"goto": "step3", "update": {"visited": ["jumped"]}}
    result = await client.runs.wait(thread["thread_id"], "slow", command=command)
    # Exactly what LangGraph itself does with the same graph in-process: the
    # pending step2 still runs beside the goto target.
    local = slow.graph.copy(update={"checkpointer": InMemorySaver()})
    config = {"configurable": {"thread_id": "local"}}
    await local.ainvoke(slow_input(tmp_path / "n", 0), config, interrupt_after=["step1"])
    expected = await local.ainvoke(Command(**command), config)
    assert (
        result["visited"]
        == expected["visited"]
        == [
            "step1",
            "jumped",
            "step2",
            "step3",
            "step3",
        ]
    )


async def test_runs_list_filters_by_status(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "slow", input=slow_input(tmp_path / "a", 0))
    await client.runs.wait(thread["thread_id"], "flaky", input={}, raise_error=False)
    assert [r["status"] for r in await client.runs.list(thread["thread_id"])] == [
        "error",
        "success",
    ]
    errors = await client.runs.list(thread["thread_id"], status="error")
    assert [r["status"] for r in errors] == ["error"]
    assert len(await client.runs.list(thread["thread_id"], limit=1, offset=1)) == 1
