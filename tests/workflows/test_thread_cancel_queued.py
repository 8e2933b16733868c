"""ThreadWorkflow's `cancel_queued_run` signal: the API has ended a run that
never started in the database, and the thread's workflow forgets it, also
when the signal arrived while no worker was alive. Real workflows on the real
Temporal dev server, scripted activities."""

from __future__ import annotations

import asyncio
import uuid

from scripted_activities import WAIT_S, linear_run, run_input, scripted_worker, submit
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from steadygraph.temporal.contract import (
    ACTIVITY_DROP_QUEUED_RUN,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    CancelRequest,
    RunRequest,
    ThreadInput,
    thread_workflow_id,
)
from steadygraph.workflows import ThreadWorkflow


async def test_a_run_forgotten_while_no_worker_is_alive_never_starts(client: Client) -> None:
    thread_id = str(uuid.uuid4())
    task_queue = f"workflow-test-{uuid.uuid4().hex}"
    forgotten, kept = str(uuid.uuid4()), str(uuid.uuid4())
    await asyncio.wait_for(submit(client, task_queue, run_input(forgotten, thread_id)), 5)
    await asyncio.wait_for(submit(client, task_queue, run_input(kept, thread_id)), 5)
    handle = client.get_workflow_handle(thread_workflow_id(thread_id))
    # A signal: answered by the server with no worker polling this queue.
    await asyncio.wait_for(
        handle.signal(ThreadWorkflow.cancel_queued_run, CancelRequest(forgotten)), 5
    )
    async with scripted_worker(client, task_queue=task_queue) as (_, activities):
        activities.scripts[forgotten] = linear_run("agent")
        activities.scripts[kept] = linear_run("agent")
        await asyncio.wait_for(activities.scripts[kept].finished.wait(), WAIT_S)
        await handle.terminate("test over")
    assert activities.names(forgotten) == []
    assert activities.names(kept) == [ACTIVITY_PREPARE_RUN, "agent", ACTIVITY_FINISH_RUN]


async def timer_started(handle: WorkflowHandle) -> None:
    for _ in range(WAIT_S * 20):
        history = await handle.fetch_history()
        if any(e.event_type == EventType.EVENT_TYPE_TIMER_STARTED for e in history.events):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("no timer started")


async def test_a_run_forgotten_during_its_after_seconds_wait_is_dropped(client: Client) -> None:
    thread_id = str(uuid.uuid4())
    waiting = str(uuid.uuid4())
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[waiting] = linear_run("agent")
        await client.start_workflow(
            ThreadWorkflow.run,
            ThreadInput(thread_id, [RunRequest(run_input(waiting, thread_id), after_seconds=600)]),
            id=thread_workflow_id(thread_id),
            task_queue=task_queue,
        )
        handle = client.get_workflow_handle(thread_workflow_id(thread_id))
        await timer_started(handle)  # the run waits its after_seconds
        await handle.signal(ThreadWorkflow.cancel_queued_run, CancelRequest(waiting))
        for _ in range(WAIT_S * 20):  # until the wait has ended and the run is dropped
            if not await handle.query(ThreadWorkflow.pending_runs):
                break
            await asyncio.sleep(0.05)
        await handle.terminate("test over")
    # The drop is idempotent with what the API recorded; the run never started.
    assert activities.names(waiting) == [ACTIVITY_DROP_QUEUED_RUN]
