"""A run of many super-steps completes: its workflow continues as new before
Temporal's history limits, under the run's id, and every step stays visible
in Temporal across the chain of executions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Deployment, closed_history, local_activity_summaries
from langgraph_sdk import get_client
from temporalio.client import Client

from steadygraph.dev.temporal_server import EmbeddedTemporal

# The run in the suite; bench/bench_long_run.py runs 2,000 steps with the default
# threshold (500 steps per execution).
STEPS = int(os.environ.get("STEADYGRAPH_TEST_LONG_RUN_STEPS", "300"))
STEPS_PER_EXECUTION = 100


@pytest.fixture(scope="module")
def long_run_deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    env = {"STEADYGRAPH_STEPS_PER_EXECUTION": str(STEPS_PER_EXECUTION)}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(
        temporal_server.address, Path(tmp_path_factory.mktemp("long")), extra_env=env
    )
    try:
        yield deployment.start()
    finally:
        deployment.stop()


async def test_a_run_of_hundreds_of_supersteps_continues_as_new_and_succeeds(
    long_run_deployment: Deployment, temporal_server: EmbeddedTemporal
) -> None:
    client = get_client(url=long_run_deployment.url, timeout=60)
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(
        thread_id,
        "loop",
        input={"target": STEPS},
        config={"recursion_limit": STEPS + 10},
    )
    await client.runs.join(thread_id, run["run_id"])

    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
    assert (await client.threads.get_state(thread_id))["values"]["count"] == STEPS

    # In Temporal: one workflow id (the run id), a chain of executions that
    # each continued as new, and every super-step a local activity named "tick".
    temporal = await Client.connect(temporal_server.address)
    await closed_history(temporal, run["run_id"])  # the last execution has closed
    executions = [e async for e in temporal.list_workflows(f"WorkflowId = '{run['run_id']}'")]
    assert len(executions) == -(-STEPS // STEPS_PER_EXECUTION)
    ticks = 0
    for execution in executions:
        history = await temporal.get_workflow_handle(
            run["run_id"], run_id=execution.run_id
        ).fetch_history()
        summaries = local_activity_summaries(history, temporal.data_converter.payload_converter)
        ticks += summaries.count("tick")
    assert ticks == STEPS


@pytest.mark.parametrize("limit", [5, 25])
async def test_the_recursion_limit_counts_every_superstep_of_a_run_as_langgraph_does(
    long_run_deployment: Deployment, tmp_path: Path, limit: int
) -> None:
    """One astream call of the loop graph runs at most limit - 1 node steps
    (LangGraph counts the input as a step); a run of that graph here too,
    although each of its steps is an astream call of its own."""
    client = get_client(url=long_run_deployment.url, timeout=60)
    for target, status in ((limit - 1, "success"), (limit, "error")):
        thread_id = (await client.threads.create())["thread_id"]
        config = {"recursion_limit": limit} if limit != 25 else {}  # 25: LangGraph's default
        run = await client.runs.create(thread_id, "loop", input={"target": target}, config=config)
        await client.runs.join(thread_id, run["run_id"])
        finished = await client.runs.get(thread_id, run["run_id"])
        assert finished["status"] == status, (target, finished)
        state = await client.threads.get_state(thread_id)
        assert state["values"]["count"] == limit - 1  # no node step beyond the limit
        if status == "error":
            assert (await client.threads.get(thread_id))["status"] == "error"
            events = [
                part.event async for part in client.runs.join_stream(thread_id, run["run_id"])
            ]
            assert "error" in events


@pytest.mark.parametrize("limit", [5, 25])
async def test_a_run_that_resumes_the_thread_gets_the_steps_langgraph_gives_a_resumed_call(
    long_run_deployment: Deployment, limit: int
) -> None:
    """A call that resumes (no input) counts no input step and may run
    limit + 1 node steps in LangGraph; a resumed run here too."""
    client = get_client(url=long_run_deployment.url, timeout=60)
    config = {"recursion_limit": limit} if limit != 25 else {}
    for target, status in ((limit + 1, "success"), (limit + 2, "error")):
        thread_id = (await client.threads.create())["thread_id"]
        # Applies the input and stops before the first node.
        first = await client.runs.create(
            thread_id, "loop", input={"target": target}, interrupt_before=["tick"]
        )
        await client.runs.join(thread_id, first["run_id"])
        resumed = await client.runs.create(thread_id, "loop", input=None, config=config)
        await client.runs.join(thread_id, resumed["run_id"])
        finished = await client.runs.get(thread_id, resumed["run_id"])
        assert finished["status"] == status, (target, finished)
        count = (await client.threads.get_state(thread_id))["values"]["count"]
        assert count == limit + 1  # no node step beyond the limit
