"""ThreadWorkflow with scripted activities: the order of a thread's runs and
the multitask strategies. The real ThreadWorkflow and RunWorkflow on the real
Temporal dev server; no database, no graph."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from scripted_activities import (
    WAIT_S,
    ScriptedActivities,
    linear_run,
    queue_state_update,
    run_input,
    scripted_worker,
    submit,
    submit_by_update,
)
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from steadygraph.temporal.contract import (
    ACTIVITY_DROP_QUEUED_RUN,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    ACTIVITY_UPDATE_STATE,
    BUSY_MESSAGE,
    THREAD_BUSY,
    UNKNOWN_STATE_UPDATE,
    UPDATE_STATE_UPDATE_OUTCOME,
    CancelOutcome,
    CancelRequest,
    RunEnd,
    StateUpdate,
    StateUpdateResult,
    thread_workflow_id,
)
from steadygraph.workflows import ThreadWorkflow


def gated_run(activities: ScriptedActivities, *nodes: str) -> tuple[str, asyncio.Event]:
    """A scripted run whose steps wait until the returned gate opens."""
    run_id = str(uuid.uuid4())
    script = linear_run(*nodes)
    script.gate = asyncio.Event()
    activities.scripts[run_id] = script
    return run_id, script.gate


def plain_run(activities: ScriptedActivities, *nodes: str) -> str:
    run_id = str(uuid.uuid4())
    activities.scripts[run_id] = linear_run(*nodes)
    return run_id


async def wait(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), WAIT_S)


def handle_of(client: Client, thread_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(thread_workflow_id(thread_id))


async def until_idle(client: Client, thread_id: str) -> None:
    """Until the thread's workflow has seen its last run end."""
    for _ in range(WAIT_S * 20):
        if not await handle_of(client, thread_id).query(ThreadWorkflow.pending_runs):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"thread {thread_id} still busy")


async def test_enqueued_runs_run_one_after_the_other_in_arrival_order(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        first, gate = gated_run(activities, "agent")
        second = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(first, thread))
        await wait(activities.scripts[first].stepping)
        await submit(client, task_queue, run_input(second, thread))

        pending = await handle_of(client, thread).query(ThreadWorkflow.pending_runs)
        assert pending == [first, second]
        await asyncio.sleep(0.5)  # time enough for a wrongly started second run
        assert activities.names(second) == []

        gate.set()
        await wait(activities.scripts[second].finished)

    order = [
        (name, arg.run_id)
        for name, arg in activities.calls
        if name in (ACTIVITY_PREPARE_RUN, ACTIVITY_FINISH_RUN)
    ]
    assert order == [
        (ACTIVITY_PREPARE_RUN, first),
        (ACTIVITY_FINISH_RUN, first),
        (ACTIVITY_PREPARE_RUN, second),
        (ACTIVITY_FINISH_RUN, second),
    ]
    assert [end.status for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [
        "success",
        "success",
    ]


async def test_a_reject_run_that_reached_the_workflow_waits_its_turn(
    client: Client, thread: str
) -> None:
    """The API refuses "reject" from the database; a run the workflow gets was
    accepted there (its predecessor ended in the database, the workflow has not
    yet seen it end), so it runs after the one in flight, not never."""
    async with scripted_worker(client) as (task_queue, activities):
        running, gate = gated_run(activities, "agent")
        accepted = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)
        await submit(client, task_queue, run_input(accepted, thread), strategy="reject")
        assert await handle_of(client, thread).query(ThreadWorkflow.pending_runs) == [
            running,
            accepted,
        ]
        gate.set()
        await wait(activities.scripts[accepted].finished)

    assert [end.run_id for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [running, accepted]


async def test_the_older_submit_update_still_refuses_reject_while_busy(
    client: Client, thread: str
) -> None:
    """Threads whose workflow began before `submit_run` took runs by update."""
    async with scripted_worker(client) as (task_queue, activities):
        running, gate = gated_run(activities, "agent")
        refused = plain_run(activities, "agent")
        await submit_by_update(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)

        with pytest.raises(WorkflowUpdateFailedError) as refusal:
            await submit_by_update(
                client, task_queue, run_input(refused, thread), strategy="reject"
            )
        cause = refusal.value.cause
        assert isinstance(cause, ApplicationError)
        assert (cause.type, cause.message) == (THREAD_BUSY, BUSY_MESSAGE)
        assert await handle_of(client, thread).query(ThreadWorkflow.pending_runs) == [running]

        gate.set()
        await until_idle(client, thread)
        accepted = plain_run(activities, "agent")
        await submit_by_update(client, task_queue, run_input(accepted, thread), strategy="reject")
        await wait(activities.scripts[accepted].finished)

    assert activities.names(refused) == []


async def test_runs_submitted_while_no_worker_is_alive_run_once_one_starts(
    client: Client, thread: str
) -> None:
    """Signal-with-start is stored by the server: it needs no worker."""
    task_queue = f"workflow-test-{uuid.uuid4().hex}"
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await asyncio.wait_for(submit(client, task_queue, run_input(first, thread)), 5)
    await asyncio.wait_for(submit(client, task_queue, run_input(second, thread)), 5)
    async with scripted_worker(client, task_queue=task_queue) as (_, activities):
        activities.scripts[first] = linear_run("agent")
        activities.scripts[second] = linear_run("agent")
        await wait(activities.scripts[second].finished)
    assert [end.run_id for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [first, second]


async def test_cancelling_a_queued_run_drops_it_without_running_it(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        running, gate = gated_run(activities, "agent")
        queued = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)
        await submit(client, task_queue, run_input(queued, thread))

        handle = handle_of(client, thread)
        outcome = await handle.execute_update(
            ThreadWorkflow.cancel_run, CancelRequest(queued, "interrupt"), result_type=CancelOutcome
        )
        assert outcome == CancelOutcome(found=True)
        assert await handle.query(ThreadWorkflow.pending_runs) == [running]
        unknown = await handle.execute_update(
            ThreadWorkflow.cancel_run,
            CancelRequest(str(uuid.uuid4())),
            result_type=CancelOutcome,
        )
        assert unknown == CancelOutcome(found=False)

        gate.set()
        await wait(activities.scripts[running].finished)
        await asyncio.sleep(0.5)  # time enough for a wrongly started dropped run

    assert activities.inputs(ACTIVITY_DROP_QUEUED_RUN) == [CancelRequest(queued, "interrupt")]
    assert activities.names(queued) == [ACTIVITY_DROP_QUEUED_RUN]
    assert [end.run_id for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [running]


async def test_interrupt_cancels_the_running_step_then_runs_the_new_run(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        running, _never_opened = gated_run(activities, "agent", "tools")
        newer = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)

        await submit(client, task_queue, run_input(newer, thread), strategy="interrupt")
        await wait(activities.scripts[newer].finished)

    ends = activities.inputs(ACTIVITY_FINISH_RUN)
    assert [(end.run_id, end.status) for end in ends] == [
        (running, "interrupted"),
        (newer, "success"),
    ]
    # The interrupted run stopped in its first step; the next never started.
    assert activities.names(running) == [ACTIVITY_PREPARE_RUN, "agent", ACTIVITY_FINISH_RUN]


async def test_rollback_drops_the_queue_and_erases_the_running_run_in_arrival_order(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        running, _never_opened = gated_run(activities, "agent")
        queued = plain_run(activities, "agent")
        newer = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)
        await submit(client, task_queue, run_input(queued, thread))
        await submit(client, task_queue, run_input(newer, thread), strategy="rollback")
        await wait(activities.scripts[newer].finished)

    assert activities.inputs(ACTIVITY_DROP_QUEUED_RUN) == [CancelRequest(queued, "rollback")]
    ends = activities.inputs(ACTIVITY_FINISH_RUN)
    assert [(end.run_id, end.status) for end in ends] == [
        (running, "rollback"),
        (newer, "success"),
    ]


async def outcome_of(client: Client, thread_id: str, update_id: str) -> StateUpdateResult:
    """What the API asks after queueing a state update."""
    result: StateUpdateResult = await handle_of(client, thread_id).execute_update(
        UPDATE_STATE_UPDATE_OUTCOME, update_id, result_type=StateUpdateResult
    )
    return result


@pytest.mark.parametrize("path", ["signal", "older update"])
async def test_a_state_update_waits_for_the_running_run(
    client: Client, thread: str, path: str
) -> None:
    """Signalled (queue_state_update, then its outcome) as the API does now;
    by the update `update_state` as it did before, which threads in flight
    during an upgrade may still hold."""
    async with scripted_worker(client) as (task_queue, activities):
        running, gate = gated_run(activities, "agent")
        await submit(client, task_queue, run_input(running, thread))
        await wait(activities.scripts[running].stepping)

        update = StateUpdate(thread, "agent", values={"x": 1})
        if path == "signal":
            update_id = await queue_state_update(client, task_queue, update)
            updating = asyncio.create_task(outcome_of(client, thread, update_id))
        else:
            updating = asyncio.create_task(
                handle_of(client, thread).execute_update(
                    ThreadWorkflow.update_state, update, result_type=StateUpdateResult
                )
            )
        await asyncio.sleep(0.5)
        assert not updating.done()

        gate.set()
        result = await asyncio.wait_for(updating, WAIT_S)

    assert result == StateUpdateResult(checkpoint={"checkpoint_id": "updated"})
    names = [name for name, _ in activities.calls]
    assert names.index(ACTIVITY_UPDATE_STATE) > names.index(ACTIVITY_FINISH_RUN)
    assert activities.inputs(ACTIVITY_FINISH_RUN) == [
        RunEnd(running, "success", None, thread, "agent")
    ]


async def test_a_state_update_queued_while_no_worker_is_alive_applies_once_one_starts(
    client: Client, thread: str
) -> None:
    """Signal-with-start needs no worker: the update is queued for good, and
    runs that came after it see the updated state."""
    task_queue = f"workflow-test-{uuid.uuid4().hex}"
    update = StateUpdate(thread, "agent", values={"x": 1})
    update_id = await asyncio.wait_for(queue_state_update(client, task_queue, update), 5)
    later = str(uuid.uuid4())
    await asyncio.wait_for(submit(client, task_queue, run_input(later, thread)), 5)
    async with scripted_worker(client, task_queue=task_queue) as (_, activities):
        activities.scripts[later] = linear_run("agent")
        result = await asyncio.wait_for(outcome_of(client, thread, update_id), WAIT_S)
        await wait(activities.scripts[later].finished)
    assert result == StateUpdateResult(checkpoint={"checkpoint_id": "updated"})
    names = [name for name, _ in activities.calls]
    assert names.index(ACTIVITY_UPDATE_STATE) < names.index(ACTIVITY_PREPARE_RUN)
    assert activities.inputs(ACTIVITY_UPDATE_STATE) == [update]


async def test_a_refused_state_update_is_its_outcome_and_the_thread_goes_on(
    client: Client, thread: str
) -> None:
    async with scripted_worker(client) as (task_queue, activities):
        bad = StateUpdate(thread, "agent", values={"bad": True}, as_node="nowhere")
        activities.refused_updates[repr(bad.values)] = ApplicationError(
            "Node nowhere does not exist", type="InvalidUpdateError", non_retryable=True
        )
        update_id = await queue_state_update(client, task_queue, bad)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await asyncio.wait_for(outcome_of(client, thread, update_id), WAIT_S)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError)
        assert (cause.type, cause.message) == ("InvalidUpdateError", "Node nowhere does not exist")

        # Asked again, or for an update never queued: not known (no waiting forever).
        for unknown in (update_id, str(uuid.uuid4())):
            with pytest.raises(WorkflowUpdateFailedError) as not_known:
                await asyncio.wait_for(outcome_of(client, thread, unknown), WAIT_S)
            assert isinstance(not_known.value.cause, ApplicationError)
            assert not_known.value.cause.type == UNKNOWN_STATE_UPDATE

        after = plain_run(activities, "agent")
        await submit(client, task_queue, run_input(after, thread))
        await wait(activities.scripts[after].finished)
    assert activities.inputs(ACTIVITY_FINISH_RUN)[-1].status == "success"
