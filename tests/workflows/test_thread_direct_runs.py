"""ThreadWorkflow and runs the API started on their own (a run created while
its thread had nothing else to do starts as its own RunWorkflow, without the
thread's workflow). Whatever reaches the thread's workflow afterwards waits
for such a run, or cancels it for `interrupt`/`rollback`. The real workflows
on the real Temporal dev server, with scripted activities."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from scripted_activities import (
    WAIT_S,
    ScriptedActivities,
    linear_run,
    run_input,
    scripted_worker,
    submit,
)
from temporalio.client import Client, WorkflowHandle

from steadygraph.temporal.contract import (
    ACTIVITY_CANCEL_DIRECT_RUN,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    ACTIVITY_UPDATE_STATE,
    SIGNAL_RUN_ENDED,
    CancelRequest,
    DirectRun,
    RunEnd,
    StateUpdate,
    StateUpdateResult,
    ThreadInput,
    run_workflow_id,
    thread_workflow_id,
)
from steadygraph.workflows import RunWorkflow, ThreadWorkflow
from steadygraph.workflows.thread_workflow import DIRECT_RECHECK


def _thread(client: Client, thread_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(thread_workflow_id(thread_id))


async def _start_direct(
    client: Client, task_queue: str, activities: ScriptedActivities, thread_id: str
) -> tuple[str, asyncio.Event]:
    """A gated run started as the API starts a run alone on its thread."""
    run_id = str(uuid.uuid4())
    script = linear_run("agent")
    script.gate = asyncio.Event()
    activities.scripts[run_id] = script
    await client.start_workflow(
        RunWorkflow.run,
        run_input(run_id, thread_id, direct=True),
        id=run_workflow_id(run_id),
        task_queue=task_queue,
    )
    activities.direct[thread_id] = [DirectRun(run_id, "running")]
    await asyncio.wait_for(script.stepping.wait(), WAIT_S)
    return run_id, script.gate


async def _end_direct(
    client: Client, activities: ScriptedActivities, thread_id: str, run_id: str, *, tell: bool
) -> None:
    """What the real `finish_run` does for a direct run: its end is stored
    (the run leaves `direct_runs`), then the thread's workflow is told."""
    await asyncio.wait_for(activities.scripts[run_id].finished.wait(), WAIT_S)
    activities.direct[thread_id] = []
    if tell:
        await _thread(client, thread_id).signal(SIGNAL_RUN_ENDED, run_id)


def _plain(activities: ScriptedActivities) -> str:
    run_id = str(uuid.uuid4())
    activities.scripts[run_id] = linear_run("agent")
    return run_id


async def test_a_queued_run_starts_only_once_the_direct_run_before_it_has_ended(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        direct, gate = await _start_direct(client, task_queue, activities, thread)
        queued = _plain(activities)
        await submit(client, task_queue, run_input(queued, thread))
        await asyncio.sleep(1.0)
        assert activities.names(queued) == []  # waits for the direct run

        gate.set()
        await _end_direct(client, activities, thread, direct, tell=True)
        await asyncio.wait_for(activities.scripts[queued].finished.wait(), WAIT_S)

    names = [(name, getattr(arg, "run_id", None)) for name, arg in activities.calls]
    assert names.index((ACTIVITY_PREPARE_RUN, queued)) > names.index((ACTIVITY_FINISH_RUN, direct))
    assert activities.inputs(ACTIVITY_FINISH_RUN)[0] == RunEnd(
        direct, "success", None, thread, "agent", direct=True
    )
    assert thread in activities.direct_lookups


async def test_without_the_end_signal_the_thread_finds_the_end_by_looking_again(
    client: Client, thread: str
) -> None:
    """A lost `run_ended` (the run's workflow terminated by hand, say) delays
    the queued run by one re-check, never for good."""
    async with scripted_worker(client) as (task_queue, activities):
        direct, gate = await _start_direct(client, task_queue, activities, thread)
        queued = _plain(activities)
        await submit(client, task_queue, run_input(queued, thread))
        gate.set()
        await _end_direct(client, activities, thread, direct, tell=False)
        await asyncio.wait_for(
            activities.scripts[queued].finished.wait(),
            DIRECT_RECHECK.total_seconds() + WAIT_S,
        )
    assert activities.names(queued)[0] == ACTIVITY_PREPARE_RUN


@pytest.mark.parametrize("strategy", ["interrupt", "rollback"])
async def test_an_interrupting_run_cancels_the_direct_run_then_runs(
    client: Client, thread: str, strategy: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        direct, _gate = await _start_direct(client, task_queue, activities, thread)
        queued = _plain(activities)
        await submit(client, task_queue, run_input(queued, thread), strategy)
        for _ in range(WAIT_S * 20):
            if activities.inputs(ACTIVITY_CANCEL_DIRECT_RUN):
                break
            await asyncio.sleep(0.05)
        assert activities.inputs(ACTIVITY_CANCEL_DIRECT_RUN) == [CancelRequest(direct, strategy)]
        assert activities.names(queued) == []

        # What the real cancel_direct_run does to a running direct run.
        await client.get_workflow_handle(run_workflow_id(direct)).signal(
            RunWorkflow.cancel, strategy
        )
        await _end_direct(client, activities, thread, direct, tell=True)
        await asyncio.wait_for(activities.scripts[queued].finished.wait(), WAIT_S)

    ended = {end.run_id: end.status for end in activities.inputs(ACTIVITY_FINISH_RUN)}
    assert ended == {
        direct: "interrupted" if strategy == "interrupt" else "rollback",
        queued: "success",
    }


async def test_a_state_update_waits_for_the_direct_run_and_goes_before_runs_queued_behind_it(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        direct, gate = await _start_direct(client, task_queue, activities, thread)
        update = StateUpdate(thread, "agent", values={"x": 1})
        start = await client.start_workflow(
            ThreadWorkflow.run,
            ThreadInput(thread),
            id=thread_workflow_id(thread),
            task_queue=task_queue,
        )
        updating = asyncio.create_task(
            start.execute_update(ThreadWorkflow.update_state, update, result_type=StateUpdateResult)
        )
        await asyncio.sleep(0.5)
        queued = _plain(activities)
        await submit(client, task_queue, run_input(queued, thread))
        await asyncio.sleep(1.0)
        assert not updating.done()
        assert activities.names(queued) == []

        gate.set()
        await _end_direct(client, activities, thread, direct, tell=True)
        await asyncio.wait_for(updating, WAIT_S)
        await asyncio.wait_for(activities.scripts[queued].finished.wait(), WAIT_S)

    names = [(name, getattr(arg, "run_id", None)) for name, arg in activities.calls]
    applied = names.index((ACTIVITY_UPDATE_STATE, None))
    assert names.index((ACTIVITY_FINISH_RUN, direct)) < applied
    assert applied < names.index((ACTIVITY_PREPARE_RUN, queued))
