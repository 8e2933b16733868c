"""RunWorkflow with scripted activities: which activities a run asks for, in
which order, with what, and how it ends. The real workflow on the real
Temporal dev server; no database, no graph."""

from __future__ import annotations

import uuid

import pytest
from scripted_activities import (
    END_RECORDED_BY_STEP,
    FAST_STEPS,
    graph_error,
    linear_run,
    run_input,
    scripted_worker,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from steadygraph.temporal.contract import (
    ACTIVITY_DELIVER_WEBHOOK,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    NON_RETRYABLE_ERRORS,
    RUN_WORKFLOW,
    RunEnd,
    RunPlan,
    RunRef,
    RunStops,
    StepInput,
    WebhookInput,
    run_workflow_id,
)
from steadygraph.workflows import RunWorkflow


def _ids() -> tuple[str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4())


async def test_a_run_of_three_supersteps_runs_one_activity_per_step(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run("agent", "tools", "agent")
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )
        history = await client.get_workflow_handle(run_workflow_id(run_id)).fetch_history()

    assert end == RunEnd(run_id, "success")
    assert activities.names(run_id) == [
        ACTIVITY_PREPARE_RUN,
        "agent",
        "tools",
        "agent",
        ACTIVITY_FINISH_RUN,
    ]
    assert activities.inputs(ACTIVITY_PREPARE_RUN) == [RunRef(run_id, thread_id, "agent")]
    # Each step starts from the checkpoint the one before it wrote.
    steps: list[StepInput] = [arg for name, arg in activities.calls if isinstance(arg, StepInput)]
    assert [(s.nodes, s.from_checkpoint_id) for s in steps] == [
        (["agent"], "checkpoint-0"),
        (["tools"], "checkpoint-1"),
        (["agent"], "checkpoint-2"),
    ]
    assert activities.inputs(ACTIVITY_FINISH_RUN) == [
        RunEnd(run_id, "success", None, thread_id, "agent")
    ]
    # What the Temporal UI shows: the workflow type and one activity per node.
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == RUN_WORKFLOW
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["agent", "tools", "agent"]


async def test_the_last_step_records_the_runs_success_and_no_finish_run_follows(
    client: Client,
) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent", "tools", "agent")
        script.records_end = True
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert end == RunEnd(run_id, "success", recorded=True)
    assert activities.names(run_id) == [
        ACTIVITY_PREPARE_RUN,
        "agent",
        "tools",
        "agent",
        END_RECORDED_BY_STEP,
    ]
    steps = [arg for name, arg in activities.calls if isinstance(arg, StepInput)]
    assert [s.stops for s in steps] == [RunStops([], [], False)] * 3
    assert activities.inputs(END_RECORDED_BY_STEP) == [
        RunEnd(run_id, "success", None, thread_id, "agent")
    ]


async def test_a_run_whose_input_says_so_ends_in_its_last_step_without_a_patch(
    client: Client,
) -> None:
    """RunInput.ends_in_last_step (what the API sends now) gives the run's last
    step its end as the patch does, without the patch's marker and its
    TemporalChangeVersion upsert (a history event and visibility write per run)."""

    def upserts_and_patch_markers(history: WorkflowHistory) -> list[str]:
        kinds = []
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                kinds.append("upsert")
            elif event.marker_recorded_event_attributes.marker_name == "core_patch":
                kinds.append("patch")
        return kinds

    histories = {}
    async with scripted_worker(client) as (task_queue, activities):
        for by_input in (True, False):
            run_id, thread_id = _ids()
            script = linear_run("agent", "tools", "agent")
            script.records_end = True
            activities.scripts[run_id] = script
            end = await client.execute_workflow(
                RunWorkflow.run,
                run_input(run_id, thread_id, ends_in_last_step=by_input),
                id=run_workflow_id(run_id),
                task_queue=task_queue,
            )
            assert end == RunEnd(run_id, "success", recorded=True)
            assert activities.names(run_id)[-1] == END_RECORDED_BY_STEP
            handle = client.get_workflow_handle(run_workflow_id(run_id))
            histories[by_input] = await handle.fetch_history()

    assert upserts_and_patch_markers(histories[True]) == []
    assert upserts_and_patch_markers(histories[False]) == ["patch", "upsert"]


async def test_a_step_ends_the_run_where_the_run_stops_after_its_node(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent", "tools", "agent")
        script.plan = RunPlan(
            active=True, next=["agent"], checkpoint_id="checkpoint-0", interrupt_after=["agent"]
        )
        script.records_end = True
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert end == RunEnd(run_id, "success", recorded=True)
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, "agent", END_RECORDED_BY_STEP]
    steps = [arg for name, arg in activities.calls if isinstance(arg, StepInput)]
    assert [s.stops for s in steps] == [RunStops([], ["agent"], False)]


@pytest.mark.parametrize("error_type", NON_RETRYABLE_ERRORS)
async def test_a_step_failing_for_good_ends_the_run_as_error_without_retry(
    client: Client, error_type: str
) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent", "tools")
        script.step_error = graph_error(error_type, "it cannot work")
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    error = {"error": error_type, "message": "it cannot work"}
    assert end == RunEnd(run_id, "error", error)
    # One attempt although the step policy allows three, and nothing after it.
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, "agent", ACTIVITY_FINISH_RUN]
    assert activities.inputs(ACTIVITY_FINISH_RUN) == [
        RunEnd(run_id, "error", error, thread_id, "agent")
    ]


async def test_a_step_failing_with_another_error_is_retried_up_to_the_step_policy(
    client: Client,
) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent")
        script.step_error = graph_error("ConnectionError", "the model is down")
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert end.status == "error"
    assert end.error == {"error": "ConnectionError", "message": "the model is down"}
    assert activities.names(run_id).count("agent") == FAST_STEPS.max_attempts


async def test_interrupt_before_stops_the_run_before_that_node(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        script = linear_run("agent", "tools", "agent")
        script.plan = RunPlan(
            active=True,
            next=script.plan.next,
            checkpoint_id=script.plan.checkpoint_id,
            interrupt_before=["tools"],
        )
        activities.scripts[run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert end == RunEnd(run_id, "success")
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN, "agent", ACTIVITY_FINISH_RUN]


async def test_a_run_gone_before_it_started_runs_nothing(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run("agent")
        activities.scripts[run_id].plan = RunPlan(active=False)
        end = await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert end == RunEnd(run_id, "skipped")
    assert activities.names(run_id) == [ACTIVITY_PREPARE_RUN]


async def test_the_webhook_is_delivered_after_the_run_is_recorded(client: Client) -> None:
    run_id, thread_id = _ids()
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run_id] = linear_run("agent")
        await client.execute_workflow(
            RunWorkflow.run,
            run_input(run_id, thread_id, webhook=True),
            id=run_workflow_id(run_id),
            task_queue=task_queue,
        )

    assert activities.names(run_id)[-2:] == [ACTIVITY_FINISH_RUN, ACTIVITY_DELIVER_WEBHOOK]
    # The URL stays in storage, out of the workflow's history.
    assert activities.inputs(ACTIVITY_DELIVER_WEBHOOK) == [WebhookInput(run_id, thread_id)]
