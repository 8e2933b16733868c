"""A run alone on its thread is one Temporal workflow: the API starts its
RunWorkflow itself, without the thread's ThreadWorkflow. What comes while it
runs (another run, a state update) goes through the thread's workflow and
waits for it, as it waits for the runs that workflow started."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Deployment
from langgraph_sdk import get_client
from markers import read_marks
from temporalio.client import Client
from temporalio.service import RPCError
from tests_support import slow_input, wait_for_mark

from steadygraph.temporal.contract import THREAD_ID_ATTRIBUTE, thread_workflow_id


async def test_a_run_alone_on_its_thread_starts_no_thread_workflow(
    deployment: Deployment,
) -> None:
    client = get_client(url=deployment.url)
    temporal = await Client.connect(deployment.temporal_address)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input={"messages": []})
    await client.runs.join(thread["thread_id"], run["run_id"])

    described = await temporal.get_workflow_handle(run["run_id"]).describe()
    assert described.workflow_type == "RunWorkflow"
    assert described.typed_search_attributes.get(THREAD_ID_ATTRIBUTE) == thread["thread_id"]
    assert described.parent_id is None
    with pytest.raises(RPCError):
        await temporal.get_workflow_handle(thread_workflow_id(thread["thread_id"])).describe()


async def test_a_run_created_while_a_direct_run_runs_waits_for_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url)
    temporal = await Client.connect(deployment.temporal_address)
    thread_id = (await client.threads.create())["thread_id"]
    marks = tmp_path / "marks.txt"
    first = await client.runs.create(thread_id, "slow", input=slow_input(marks, 2))
    await wait_for_mark(marks, "step2:start")
    second = await client.runs.create(thread_id, "slow", input=slow_input(marks, 0))

    await client.runs.join(thread_id, second["run_id"])
    assert [(await client.runs.get(thread_id, r["run_id"]))["status"] for r in (first, second)] == [
        "success",
        "success",
    ]
    one_run = ["step1:start", "step1:end", "step2:start", "step2:end", "step3:start", "step3:end"]
    assert read_marks(marks) == one_run * 2  # never both at once
    # The second went through the thread's workflow, as its child.
    described = await temporal.get_workflow_handle(second["run_id"]).describe()
    assert described.parent_id == thread_workflow_id(thread_id)


async def test_a_state_update_while_a_direct_run_runs_applies_after_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    client = get_client(url=deployment.url)
    thread_id = (await client.threads.create())["thread_id"]
    marks = tmp_path / "marks.txt"
    run = await client.runs.create(
        thread_id, "slow", input={**slow_input(marks, 2), "visited": ["input"]}
    )
    await wait_for_mark(marks, "step2:start")
    await client.threads.update_state(thread_id, {"visited": ["update"]})

    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
    state = await client.threads.get_state(thread_id)
    assert state["values"]["visited"] == ["input", "step1", "step2", "step3", "update"]


async def test_after_a_state_update_applies_or_is_refused_runs_start_on_their_own_again(
    deployment: Deployment,
) -> None:
    client = get_client(url=deployment.url)
    temporal = await Client.connect(deployment.temporal_address)
    thread_id = (await client.threads.create())["thread_id"]
    first = await client.runs.create(thread_id, "slow", input={"visited": ["a"]})
    await client.runs.join(thread_id, first["run_id"])

    await client.threads.update_state(thread_id, {"visited": ["b"]})
    with pytest.raises(Exception, match="does not exist"):  # no such node: refused (400)
        await client.threads.update_state(thread_id, {"visited": ["c"]}, as_node="nowhere")

    run = await client.runs.create(thread_id, "slow", input={"visited": ["d"]})
    await client.runs.join(thread_id, run["run_id"])
    described = await temporal.get_workflow_handle(run["run_id"]).describe()
    assert described.parent_id is None  # not queued behind an update that never applies
    state = await client.threads.get_state(thread_id)
    assert [v for v in state["values"]["visited"] if len(v) == 1] == ["a", "b", "d"]
