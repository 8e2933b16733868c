"""Super-steps as local activities (STEADYGRAPH_STEP_LOCAL=1): the run
records each step in its own workflow history (a marker named after the
nodes) instead of scheduling it on the task queue, and stays cancellable.
The kill test is test_durability's, run in both step modes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Deployment, wait_until
from langgraph_sdk import get_client
from markers import read_marks
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from steadygraph.dev.temporal_server import EmbeddedTemporal

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


@pytest.fixture
def local_deployment(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> Iterator[Deployment]:
    env = {"STEADYGRAPH_STEP_LOCAL": "1"}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env)
    try:
        yield deployment.start()
    finally:
        deployment.stop()


async def _local_activities(temporal: Client, run_id: str) -> list[str]:
    """The summaries of the local activities the run recorded, in order."""
    history = await temporal.get_workflow_handle(run_id).fetch_history()
    converter = temporal.data_converter.payload_converter
    return [
        converter.from_payload(event.user_metadata.summary, str)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]


async def test_each_step_is_a_local_activity_named_after_its_nodes(
    local_deployment: Deployment, temporal_server: EmbeddedTemporal
) -> None:
    client = get_client(url=local_deployment.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], run["run_id"])
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    state = await client.threads.get_state(thread["thread_id"])
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "tool", "ai"]

    temporal = await Client.connect(temporal_server.address)
    history = await temporal.get_workflow_handle(run["run_id"]).fetch_history()
    scheduled = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == []  # nothing went through the task queue
    summaries = await _local_activities(temporal, run["run_id"])
    assert summaries == ["prepare run", "agent", "tools", "agent", "finish run: success"]


async def test_a_running_local_step_is_cancelled(
    local_deployment: Deployment, temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    client = get_client(url=local_deployment.url)
    thread = await client.threads.create()
    marker = tmp_path / "marks.txt"
    run = await client.runs.create(
        thread["thread_id"], "slow", input={"marker_file": str(marker), "sleep_s": 60.0}
    )
    await asyncio.to_thread(
        wait_until, lambda: "step2:start" in read_marks(marker), 30, "step2 to start"
    )
    await client.runs.cancel(thread["thread_id"], run["run_id"])
    # The cancel reaches the step at the SDK's next workflow-task heartbeat.
    await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 40)
    finished = await client.runs.get(thread["thread_id"], run["run_id"])
    assert finished["status"] == "interrupted"
    assert "step2:end" not in read_marks(marker) and "step3:start" not in read_marks(marker)
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["visited"] == ["step1"]
    # As with activity steps (test_cancel.py): the thread shows the interruption.
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
