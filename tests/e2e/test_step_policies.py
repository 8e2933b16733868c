"""langgraph.json's `steadygraph` section in a real deployment: each step
activity is scheduled with its graph's and nodes' timeouts and retries (read
back from the run workflow's history), and a run past its run timeout ends as
`timeout`, its node stopped, the next queued run started."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ACTIVITY_STEPS_ENV, ROOT, Deployment
from langgraph_sdk import get_client
from markers import read_marks
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from steadygraph.dev.temporal_server import EmbeddedTemporal

POLICY_PROJECT = ROOT / "tests" / "graphs" / "policy_langgraph.json"


@pytest.fixture(scope="module")
def deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    # Activity steps: the policies are read back from the activities' Temporal attributes.
    env = dict(ACTIVITY_STEPS_ENV)
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    started = Deployment(
        temporal_server.address,
        tmp_path_factory.mktemp("policies"),
        config=POLICY_PROJECT,
        extra_env=env,
    ).start()
    try:
        yield started
    finally:
        started.stop()


async def _run(deployment: Deployment, graph: str, run_input: dict) -> tuple[str, str]:
    """Run to its end; its id and status."""
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], graph, input=run_input)
    await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 60)
    finished = await client.runs.get(thread["thread_id"], run["run_id"])
    return run["run_id"], finished["status"]


async def _step_events(
    temporal_server: EmbeddedTemporal, run_id: str, name: str
) -> tuple[HistoryEvent, HistoryEvent]:
    """The scheduled and started events of the step activity `name`."""
    temporal = await Client.connect(temporal_server.address)
    history = await temporal.get_workflow_handle(run_id).fetch_history()
    scheduled = next(
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == name
    )
    started = next(
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id == scheduled.event_id
    )
    return scheduled, started


async def test_a_node_failing_twice_succeeds_on_its_third_attempt(
    deployment: Deployment, temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    marker = tmp_path / "marks.txt"
    run_id, status = await _run(
        deployment, "retrying", {"marker_file": str(marker), "fail_times": 2}
    )

    assert status == "success"
    assert Counter(read_marks(marker)) == {"start": 1, "unsteady": 3}
    scheduled, started = await _step_events(temporal_server, run_id, "unsteady")
    attributes = scheduled.activity_task_scheduled_event_attributes
    # The graph's `step` over the project's `step` over the environment's.
    assert attributes.retry_policy.maximum_attempts == 3
    assert attributes.retry_policy.initial_interval.ToTimedelta().total_seconds() == 0.2
    assert attributes.retry_policy.maximum_interval.ToTimedelta().total_seconds() == 0.5
    assert attributes.start_to_close_timeout.ToTimedelta().total_seconds() == 120
    assert attributes.heartbeat_timeout.ToTimedelta().total_seconds() == 7
    assert started.activity_task_started_event_attributes.attempt == 3


async def test_a_node_allowed_one_attempt_fails_the_run_at_its_first_failure(
    deployment: Deployment, temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    marker = tmp_path / "marks.txt"
    run_id, status = await _run(
        deployment, "retrying_once", {"marker_file": str(marker), "fail_times": 2}
    )

    assert status == "error"
    assert Counter(read_marks(marker)) == {"start": 1, "unsteady": 1}
    scheduled, started = await _step_events(temporal_server, run_id, "unsteady")
    assert scheduled.activity_task_scheduled_event_attributes.retry_policy.maximum_attempts == 1
    assert started.activity_task_started_event_attributes.attempt == 1
    # The graph's other node keeps the graph's policy.
    first, _ = await _step_events(temporal_server, run_id, "start")
    assert first.activity_task_scheduled_event_attributes.retry_policy.maximum_attempts == 3


async def test_a_run_past_its_run_timeout_ends_as_timeout_and_the_next_run_starts(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    marker, next_marker = tmp_path / "marks.txt", tmp_path / "next.txt"
    # 30 s of node against a 3 s run timeout (langgraph.json).
    slow = await client.runs.create(
        thread["thread_id"], "long_node", input={"marker_file": str(marker), "node_s": 30}
    )
    queued = await client.runs.create(
        thread["thread_id"],
        "long_node",
        input={"marker_file": str(next_marker), "node_s": 0},
        multitask_strategy="enqueue",
    )
    await asyncio.wait_for(client.runs.join(thread["thread_id"], slow["run_id"]), 60)
    assert (await client.runs.get(thread["thread_id"], slow["run_id"]))["status"] == "timeout"
    # The node was stopped: the run ends only once its step has stopped.
    marks = Counter(read_marks(marker))
    assert marks["long:start"] == 1 and marks["long:end"] == 0

    await asyncio.wait_for(client.runs.join(thread["thread_id"], queued["run_id"]), 60)
    assert (await client.runs.get(thread["thread_id"], queued["run_id"]))["status"] == "success"
    assert Counter(read_marks(next_marker))["last:end"] == 1
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_a_timed_out_run_leaves_its_thread_where_it_stopped(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    marker = tmp_path / "marks.txt"
    run = await client.runs.create(
        thread["thread_id"], "long_node", input={"marker_file": str(marker), "node_s": 30}
    )
    await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 60)

    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "timeout"
    # As after a cancelled run: `first` is kept, `long` is still due.
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["visited"] == ["first"]
    assert state["next"] == ["long"]
