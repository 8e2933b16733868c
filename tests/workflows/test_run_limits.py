"""RunWorkflow's limits with scripted activities: the per-node step policy
each super-step activity is scheduled with, and the run timeout (a durable
timer) that cancels the running step and ends the run as `timeout`."""

from __future__ import annotations

import asyncio
import time
import uuid

from scripted_activities import (
    FAST_STEPS,
    WAIT_S,
    linear_run,
    run_input,
    scripted_worker,
    submit,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError

from steadygraph.temporal.contract import (
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    RunEnd,
    RunPlan,
    StepPolicy,
    StepResult,
    run_workflow_id,
    thread_workflow_id,
)
from steadygraph.workflows import RunWorkflow


def _ids() -> tuple[str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4())


async def test_each_step_is_scheduled_with_the_policy_of_its_nodes(client: Client) -> None:
    run_id, thread_id = _ids()
    careful = StepPolicy(
        max_attempts=1,
        initial_interval_s=0.1,
        max_interval_s=0.1,
        timeout_s=30,
        heartbeat_timeout_s=0.5,
    )
    patient = StepPolicy(
        max_attempts=5,
        initial_interval_s=2,
        backoff=3,
        max_interval_s=20,
        timeout_s=600,
        heartbeat_timeout_s=5,
    )
    script = linear_run("agent")
    # Step 2 runs `charge` and `search` in parallel, in one activity.
    script.steps = [
        StepResult("checkpoint-1", ["charge", "search"], ["agent"], False),
        StepResult("checkpoint-2", [], ["charge", "search"], False),
    ]
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, node_steps={"charge": careful, "search": patient}),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        history = await client.get_workflow_handle(run_workflow_id(run_id)).fetch_history()

    assert end == RunEnd(run_id, "success")
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name: (
            e.activity_task_scheduled_event_attributes
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    # A node without an entry: the graph's policy.
    agent = scheduled["agent"]
    assert agent.retry_policy.maximum_attempts == FAST_STEPS.max_attempts
    assert agent.heartbeat_timeout.ToTimedelta().total_seconds() == FAST_STEPS.heartbeat_timeout_s
    # Several nodes: the fewest attempts, the longest timeouts and waits.
    both = scheduled["charge, search"]
    assert both.retry_policy.maximum_attempts == 1
    assert both.start_to_close_timeout.ToTimedelta().total_seconds() == 600
    assert both.heartbeat_timeout.ToTimedelta().total_seconds() == 5
    assert both.retry_policy.initial_interval.ToTimedelta().total_seconds() == 2
    assert both.retry_policy.backoff_coefficient == 3
    assert both.retry_policy.maximum_interval.ToTimedelta().total_seconds() == 20


async def test_a_run_past_its_timeout_stops_its_step_and_ends_as_timeout(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent", "tools")
        script.gate = asyncio.Event()  # never opened: the step runs until cancelled
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, run_timeout_s=2),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        history = await client.get_workflow_handle(run_workflow_id(run_id)).fetch_history()

    assert end == RunEnd(run_id, "timeout")
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, "agent", ACTIVITY_FINISH_RUN]
    assert activities.inputs(ACTIVITY_FINISH_RUN) == [
        RunEnd(run_id, "timeout", None, thread_id, "agent")
    ]
    types = [e.event_type for e in history.events]
    # A durable timer fired, and the step was cancelled and stopped before the run ended.
    assert EventType.EVENT_TYPE_TIMER_FIRED in types
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in types


async def test_a_run_that_finishes_in_time_cancels_its_timer(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run("agent")
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, run_timeout_s=3600),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        history = await client.get_workflow_handle(run_workflow_id(run_id)).fetch_history()

    assert end == RunEnd(run_id, "success")
    types = [e.event_type for e in history.events]
    assert EventType.EVENT_TYPE_TIMER_CANCELED in types
    assert EventType.EVENT_TYPE_TIMER_FIRED not in types


async def test_a_carried_deadline_is_kept_as_it_is(client: Client) -> None:
    """What a continue-as-new hands on: the absolute deadline, not the timeout."""
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent")
        script.gate = asyncio.Event()
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            # The timeout alone would allow an hour; the deadline is 2 s away.
            run_input(run_id, thread_id, run_timeout_s=3600, deadline_s=time.time() + 2),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
    assert end == RunEnd(run_id, "timeout")


async def test_the_next_queued_run_starts_after_a_run_times_out(client: Client) -> None:
    thread_id = str(uuid.uuid4())
    slow, queued = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with scripted_worker(client) as (task_queue, activities):
            stuck = linear_run("agent")
            stuck.gate = asyncio.Event()
            activities.scripts[slow] = stuck
            activities.scripts[queued] = linear_run("agent")
            await submit(client, task_queue, run_input(slow, thread_id, run_timeout_s=2))
            await submit(client, task_queue, run_input(queued, thread_id))
            await asyncio.wait_for(activities.scripts[queued].finished.wait(), WAIT_S)
    finally:
        try:
            await client.get_workflow_handle(thread_workflow_id(thread_id)).terminate("test over")
        except RPCError:
            pass

    assert [(end.run_id, end.status) for end in activities.inputs(ACTIVITY_FINISH_RUN)] == [
        (slow, "timeout"),
        (queued, "success"),
    ]


async def test_a_timeout_before_the_first_step_still_records_the_run(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent")
        script.plan = RunPlan(active=True, next=["agent"], checkpoint_id="checkpoint-0")
        script.gate = asyncio.Event()
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, deadline_s=time.time() - 1),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
    assert end == RunEnd(run_id, "timeout")
    assert activities.names(run_id)[-1] == ACTIVITY_FINISH_RUN
