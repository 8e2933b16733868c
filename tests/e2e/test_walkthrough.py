"""The background-runs walkthrough (shared/seeds), as a user runs it, against
a real API + worker + Temporal server."""

from __future__ import annotations

import pytest
from langgraph_sdk import get_client


async def test_background_run_walkthrough(server_url: str) -> None:
    # Initialize the client
    client = get_client(url=server_url)

    # List available assistants
    assistants = await client.assistants.search()
    assert assistants[0]["graph_id"] == "agent"
    assert assistants[0]["assistant_id"] == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
    assert assistants[0]["metadata"] == {"created_by": "system"}
    assert assistants[0]["config"] == {}

    assistant_id = "agent"

    # Create a new thread
    thread = await client.threads.create()
    assert set(thread) >= {"thread_id", "created_at", "updated_at", "metadata", "status"}
    assert thread["metadata"] == {} and thread["status"] == "idle"

    # If we list runs on this thread, we can see it is empty
    runs = await client.runs.list(thread["thread_id"])
    assert runs == []

    # Let's kick off a run
    input = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
    run = await client.runs.create(thread["thread_id"], assistant_id, input=input)
    assert run["status"] == "pending"
    assert run["assistant_id"] == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
    assert run["multitask_strategy"] == "enqueue"
    assert run["kwargs"]["input"] == input
    assert run["kwargs"]["config"]["configurable"]["run_id"] == run["run_id"]
    assert run["temporal_ui_url"] is None or run["run_id"] in run["temporal_ui_url"]

    # The first time we poll it, it has not finished yet
    polled = await client.runs.get(thread["thread_id"], run["run_id"])
    assert polled["status"] in ("pending", "running", "success")

    # Wait until the run finishes
    joined = await client.runs.join(thread["thread_id"], run["run_id"])
    assert [m["type"] for m in joined["messages"]] == ["human", "ai", "tool", "ai"]

    # Eventually, it should finish and we should see `status=success`
    finished = await client.runs.get(thread["thread_id"], run["run_id"])
    assert finished["status"] == "success"
    assert finished["run_id"] == run["run_id"]

    # We can get the final results
    final_result = await client.threads.get_state(thread["thread_id"])
    assert set(final_result) >= {
        "values",
        "next",
        "tasks",
        "checkpoint",
        "metadata",
        "created_at",
        "parent_checkpoint",
    }
    assert final_result["next"] == [] and final_result["tasks"] == []
    assert final_result["checkpoint"]["thread_id"] == thread["thread_id"]
    assert final_result["parent_checkpoint"]["checkpoint_id"]
    messages = final_result["values"]["messages"]
    assert messages[0]["content"] == "what's the weather in sf"
    assert messages[1]["tool_calls"][0]["name"] == "search"
    assert messages[2]["type"] == "tool" and "60 degrees" in messages[2]["content"]

    # We can get the content of the final message
    assert final_result["values"]["messages"][-1]["content"] == (
        "The weather in San Francisco is 60 degrees and foggy."
    )
    assert joined == final_result["values"]

    runs = await client.runs.list(thread["thread_id"])
    assert [r["run_id"] for r in runs] == [run["run_id"]]
    thread_after = await client.threads.get(thread["thread_id"])
    assert thread_after["status"] == "idle"
    assert thread_after["metadata"]["graph_id"] == "agent"
    assert thread_after["values"] == final_result["values"]


@pytest.mark.parametrize("by", ["graph_id", "uuid"])
async def test_wait_returns_final_values(server_url: str, by: str) -> None:
    client = get_client(url=server_url)
    assistant = (await client.assistants.search(graph_id="agent"))[0]
    thread = await client.threads.create()
    result = await client.runs.wait(
        thread["thread_id"],
        "agent" if by == "graph_id" else assistant["assistant_id"],
        input={"messages": [{"role": "human", "content": "what's the weather in sf"}]},
    )
    assert result["messages"][-1]["content"].startswith("The weather in San Francisco")


async def test_thread_is_busy_while_a_run_is_pending(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "slow", input={"sleep_s": 1.0, "marker_file": str(tmp_path / "m")}
    )
    assert (await client.threads.get(thread["thread_id"]))["status"] == "busy"
    statuses = set()
    while (current := await client.runs.get(thread["thread_id"], run["run_id"]))["status"] in (
        "pending",
        "running",
    ):
        statuses.add(current["status"])
    assert "running" in statuses
    assert current["status"] == "success"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"
