"""RunWorkflow continues as new every few super-steps, so a run of thousands
of steps stays below Temporal's history limits. The chain keeps the run's
workflow id: the thread's workflow, signals and clients follow it to the end.
Real workflows on the real Temporal dev server, scripted activities."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from scripted_activities import WAIT_S, linear_run, run_input, scripted_worker, submit
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from steadygraph.temporal.contract import (
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    CancelRequest,
    RunEnd,
    RunProgress,
    StepInput,
    run_workflow_id,
    thread_workflow_id,
)
from steadygraph.workflows import RunWorkflow, ThreadWorkflow

NODES = [f"node{i}" for i in range(10)]


async def executions(client: Client, run_id: str) -> list[list[str]]:
    """The activity types each execution of the run's chain scheduled, oldest
    execution first, and checks each but the last continued as new."""
    chain: list[list[str]] = []
    run_ids = [
        e.run_id async for e in client.list_workflows(f"WorkflowId = '{run_workflow_id(run_id)}'")
    ]
    for execution in run_ids:
        history = await client.get_workflow_handle(
            run_workflow_id(run_id), run_id=execution
        ).fetch_history()
        chain.append(
            [
                e.activity_task_scheduled_event_attributes.activity_type.name
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            ]
        )
    # Visibility lists newest first; every execution but the newest continued as new.
    for execution in run_ids[1:]:
        history = await client.get_workflow_handle(
            run_workflow_id(run_id), run_id=execution
        ).fetch_history()
        assert (
            history.events[-1].event_type
            == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        )
    return list(reversed(chain))


async def test_a_long_run_continues_as_new_and_runs_every_step_once_in_order(
    client: Client,
) -> None:
    run_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run(*NODES)
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, steps_per_execution=3),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        chain = await asyncio.wait_for(executions(client, run_id), WAIT_S)

    assert end == RunEnd(run_id, "success")
    # Prepared once, finished once, every node once, in order, across the chain.
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, *NODES, ACTIVITY_FINISH_RUN]
    steps = [arg for _, arg in activities.calls if isinstance(arg, StepInput)]
    assert [s.from_checkpoint_id for s in steps] == [f"checkpoint-{i}" for i in range(10)]
    # What the Temporal UI shows: four executions of one workflow id, each with its steps.
    assert chain == [NODES[0:3], NODES[3:6], NODES[6:9], [NODES[9]]]


async def test_the_class_constant_bounds_an_execution_when_the_run_sets_no_limit(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workflows run unsandboxed in this worker, so the class constant is the one patched.
    monkeypatch.setattr(RunWorkflow, "STEPS_PER_EXECUTION", 4)
    run_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run(*NODES)
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        chain = await asyncio.wait_for(executions(client, run_id), WAIT_S)
    assert end == RunEnd(run_id, "success")
    assert chain == [NODES[0:4], NODES[4:8], NODES[8:10]]


async def test_the_thread_waits_for_the_end_of_the_whole_chain(client: Client) -> None:
    """The next run of the thread starts only after the long run's last execution ended."""
    thread_id = str(uuid.uuid4())
    long_run, next_run = str(uuid.uuid4()), str(uuid.uuid4())
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[long_run] = linear_run(*NODES)
        activities.scripts[next_run] = linear_run("agent")
        await submit(client, task_queue, run_input(long_run, thread_id, steps_per_execution=2))
        await submit(client, task_queue, run_input(next_run, thread_id))
        await asyncio.wait_for(activities.scripts[next_run].finished.wait(), WAIT_S)
        await client.get_workflow_handle(thread_workflow_id(thread_id)).terminate("test over")

    ran = [arg.run_id for _, arg in activities.calls]
    assert activities.names(long_run) == [ACTIVITY_PREPARE_RUN, *NODES, ACTIVITY_FINISH_RUN]
    # Every call of the long run, its finish included, comes before the next run's first.
    assert ran.index(next_run) == len(activities.names(long_run))
    assert [end.status for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [
        "success",
        "success",
    ]


@pytest.mark.parametrize("via_thread", [False, True])
async def test_a_cancel_after_a_continue_as_new_stops_the_run(
    client: Client, via_thread: bool
) -> None:
    run_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run(*NODES)
        script.gate, script.gate_from_step = asyncio.Event(), 5  # in the third execution
        activities.scripts[run_id] = script
        run = run_input(run_id, thread_id, steps_per_execution=2)
        if via_thread:
            await submit(client, task_queue, run)
        else:
            await client.start_workflow(
                RunWorkflow.run, run, id=run_workflow_id(run_id), task_queue=task_queue
            )
        await asyncio.wait_for(script.stepping.wait(), WAIT_S)
        if via_thread:  # as the API does: through the thread's workflow
            outcome = await client.get_workflow_handle(
                thread_workflow_id(thread_id)
            ).execute_update(ThreadWorkflow.cancel_run, CancelRequest(run_id, "interrupt"))
            assert outcome.found
        else:  # the run's workflow id reaches the newest execution of the chain
            await client.get_workflow_handle(run_workflow_id(run_id)).signal(
                RunWorkflow.cancel, "interrupt"
            )
        end = await client.get_workflow_handle_for(
            RunWorkflow.run, run_workflow_id(run_id)
        ).result()
        if via_thread:
            await client.get_workflow_handle(thread_workflow_id(thread_id)).terminate("over")

    assert end == RunEnd(run_id, "interrupted")
    # The gated step (the sixth) was cancelled; nothing ran after it.
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, *NODES[:6], ACTIVITY_FINISH_RUN]
    assert [e.status for e in activities.inputs(ACTIVITY_FINISH_RUN)] == ["interrupted"]


@pytest.mark.parametrize("cancel_action", [None, "interrupt"])
async def test_an_execution_continued_as_new_resumes_from_its_progress(
    client: Client, cancel_action: str | None
) -> None:
    """What the next execution gets: no second prepare_run, the steps from
    where the last one stopped, and a cancel that arrived during the switch."""
    run_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    script = linear_run(*NODES)
    script.steps_done = 7  # the activities' side of the first seven steps
    progress = RunProgress(
        plan=script.plan,
        next=[NODES[7]],
        checkpoint_id="checkpoint-7",
        steps_done=7,
        cancel_action=cancel_action,
    )
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, progress=progress),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
    if cancel_action:
        assert end == RunEnd(run_id, "interrupted")
        assert activities.names(run_id) == [ACTIVITY_FINISH_RUN]
    else:
        assert end == RunEnd(run_id, "success")
        assert activities.names(run_id) == [*NODES[7:], ACTIVITY_FINISH_RUN]
        steps = [arg for _, arg in activities.calls if isinstance(arg, StepInput)]
        assert steps[0].from_checkpoint_id == "checkpoint-7"
        assert not steps[0].emit_initial_values
