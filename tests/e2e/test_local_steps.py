"""Super-steps as local activities (the default; STEADYGRAPH_STEP_LOCAL=0
turns it off): the run records each step in its own workflow history (a
marker named after the nodes, test_temporal_history.py) instead of
scheduling it on the task queue, and stays cancellable. With it off, each
step is a regular activity. The kill test is test_durability's, run in both
step modes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (
    ACTIVITY_STEPS_ENV,
    Deployment,
    closed_history,
    local_activity_summaries,
    wait_until,
)
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


@pytest.fixture
def activity_deployment(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> Iterator[Deployment]:
    env = dict(ACTIVITY_STEPS_ENV)
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path / "activities", extra_env=env)
    try:
        yield deployment.start()
    finally:
        deployment.stop()


async def test_with_local_steps_off_each_step_is_an_activity_named_after_its_nodes(
    activity_deployment: Deployment, temporal_server: EmbeddedTemporal
) -> None:
    client = get_client(url=activity_deployment.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], run["run_id"])
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    state = await client.threads.get_state(thread["thread_id"])
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "tool", "ai"]

    temporal = await Client.connect(temporal_server.address)
    history = await closed_history(temporal, run["run_id"])
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["agent", "tools", "agent"]
    # prepare stays a local activity in both modes; the last step records the
    # run's end, so no finish_run follows.
    summaries = local_activity_summaries(history, temporal.data_converter.payload_converter)
    assert summaries == ["prepare run"]


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


async def _ticking_run(client: Any, thread_id: str, marker: Path) -> tuple[dict[str, Any], int]:
    """A run whose one long node ticks once a second for a minute, once it
    ticks; and how many ticks the marker holds then."""
    run = await client.runs.create(
        thread_id, "long_node", input={"marker_file": str(marker), "node_s": 60.0}
    )
    await asyncio.to_thread(
        wait_until, lambda: "long:tick" in read_marks(marker), 30, "the node to tick"
    )
    return run, read_marks(marker).count("long:tick")


@pytest.mark.parametrize("action", ["interrupt", "rollback"])
async def test_a_cancel_stops_a_running_local_step_at_once_not_at_the_next_task_heartbeat(
    local_deployment: Deployment, tmp_path: Path, action: str
) -> None:
    """The workflow would see the cancel signal only when the SDK next
    heartbeats the workflow task the step holds (~8 s); the step itself reads
    the cancel from the run's row (or PostgreSQL's NOTIFY) and stops. The node
    ticks once a second: a prompt stop leaves a tick or two after the cancel,
    the heartbeat path about eight."""
    client = get_client(url=local_deployment.url)
    thread_id = (await client.threads.create())["thread_id"]
    marker = tmp_path / "marks.txt"
    run, ticks_at_cancel = await _ticking_run(client, thread_id, marker)
    await client.runs.cancel(thread_id, run["run_id"], action=action)
    await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 40)
    ticks_after = read_marks(marker).count("long:tick") - ticks_at_cancel
    assert ticks_after <= 4, ticks_after
    assert "long:end" not in read_marks(marker)
    if action == "interrupt":
        finished = await client.runs.get(thread_id, run["run_id"])
        assert finished["status"] == "interrupted"
        state = await client.threads.get_state(thread_id)
        assert state["values"]["visited"] == ["first"]
    else:  # rolled back: the run is erased and the thread is as before it
        assert await client.runs.list(thread_id) == []
        assert (await client.threads.get_state(thread_id))["values"] == {}


async def test_an_interrupting_run_stops_a_running_local_step_at_once(
    local_deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=local_deployment.url)
    thread_id = (await client.threads.create())["thread_id"]
    marker = tmp_path / "marks.txt"
    first, ticks_at_cancel = await _ticking_run(client, thread_id, marker)
    second = await client.runs.create(
        thread_id, "long_node", input={"node_s": 0.0}, multitask_strategy="interrupt"
    )
    await asyncio.wait_for(client.runs.join(thread_id, second["run_id"]), 40)
    assert read_marks(marker).count("long:tick") - ticks_at_cancel <= 4
    statuses = [(await client.runs.get(thread_id, r["run_id"]))["status"] for r in (first, second)]
    assert statuses == ["interrupted", "success"]
