"""RunWorkflow with RunInput.first_nodes: the run is prepared in the activity
of its first step, named after those nodes, which runs them only if the run
starts there. Scripted activities on the real Temporal dev server."""

from __future__ import annotations

import uuid
from dataclasses import replace

from scripted_activities import (
    END_RECORDED_BY_STEP,
    FAST_STEPS,
    RunScript,
    ScriptedActivities,
    linear_run,
    run_input,
    scripted_worker,
)
from temporalio.client import Client
from temporalio.worker import Replayer

from steadygraph.temporal.contract import (
    ACTIVITY_DELIVER_WEBHOOK,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    RunEnd,
    RunInput,
    RunPlan,
    RunStops,
    StepInput,
    run_workflow_id,
)
from steadygraph.workflows import RunWorkflow

LOCAL_STEPS = replace(FAST_STEPS, local=True)


def _run(**kw: object) -> RunInput:
    run_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    return run_input(run_id, thread_id, step=LOCAL_STEPS, ends_in_last_step=True, **kw)


async def _executed(
    client: Client, run: RunInput, script: RunScript
) -> tuple[RunEnd, ScriptedActivities]:
    """Run the workflow to its end with the script's activities; its end and
    the activities. The history it left must replay with the current workflow
    code (RunWorkflow runs unsandboxed: determinism is checked this way)."""
    async with scripted_worker(client) as (task_queue, activities):
        activities.scripts[run.run_id] = script
        end = await client.execute_workflow(
            RunWorkflow.run, run, id=run_workflow_id(run.run_id), task_queue=task_queue
        )
        history = await client.get_workflow_handle(run_workflow_id(run.run_id)).fetch_history()
        await Replayer(workflows=[RunWorkflow]).replay_workflow(history)
    return end, activities


def _steps(calls: list[tuple[str, object]]) -> list[StepInput]:
    return [arg for _, arg in calls if isinstance(arg, StepInput)]


async def test_a_run_that_starts_where_the_api_expected_has_no_prepare_activity(
    client: Client,
) -> None:
    run = _run(first_nodes=["agent"])
    script = linear_run("agent", "tools", "agent")
    script.records_end = True
    end, activities = await _executed(client, run, script)

    assert end == RunEnd(run.run_id, "success", recorded=True)
    assert activities.names(run.run_id) == ["agent", "tools", "agent", END_RECORDED_BY_STEP]
    steps = _steps(activities.calls)
    # The first step prepares (from no checkpoint: it applies the input
    # itself); the next go on from the checkpoint it wrote.
    assert [(s.nodes, s.from_checkpoint_id, s.prepare) for s in steps] == [
        (["agent"], None, True),
        (["tools"], "checkpoint-1", False),
        (["agent"], "checkpoint-2", False),
    ]
    assert steps[0].stops == RunStops([], [], False)
    assert [s.step_number for s in steps] == [0, 1, 2]


async def test_a_wrong_guess_only_prepares_and_the_run_goes_on_from_its_plan(
    client: Client,
) -> None:
    run = _run(first_nodes=["greet"])
    script = linear_run("agent", "tools")
    script.records_end = True
    end, activities = await _executed(client, run, script)

    assert end == RunEnd(run.run_id, "success", recorded=True)
    # "greet" only prepared; the run's own steps follow, the first counted as step 0.
    assert activities.names(run.run_id) == ["greet", "agent", "tools", END_RECORDED_BY_STEP]
    steps = _steps(activities.calls)
    assert [(s.nodes, s.from_checkpoint_id, s.step_number) for s in steps] == [
        (["greet"], None, 0),
        (["agent"], "checkpoint-0", 0),
        (["tools"], "checkpoint-1", 1),
    ]


async def test_a_run_stopped_before_its_first_node_ends_after_preparing(client: Client) -> None:
    run = _run(first_nodes=["agent"])
    script = linear_run("agent", "tools")
    script.plan = replace(script.plan, interrupt_before=["agent"])
    end, activities = await _executed(client, run, script)

    assert end == RunEnd(run.run_id, "success")
    # The first activity only prepared: the run stops before "agent".
    assert activities.names(run.run_id) == ["agent", ACTIVITY_FINISH_RUN]


async def test_a_run_gone_before_it_started_is_skipped_after_its_first_activity(
    client: Client,
) -> None:
    run = _run(first_nodes=["agent"])
    script = linear_run("agent")
    script.plan = RunPlan(active=False)
    end, activities = await _executed(client, run, script)

    assert end == RunEnd(run.run_id, "skipped")
    assert activities.names(run.run_id) == ["agent"]


async def test_a_first_node_that_runs_as_a_regular_activity_keeps_its_own_prepare(
    client: Client,
) -> None:
    """Preparing is short bookkeeping: it goes in the first step only when that
    step is a local activity, like the separate prepare it replaces."""
    run = _run(first_nodes=["agent"], node_steps={"agent": FAST_STEPS})
    script = linear_run("agent", "tools")
    script.records_end = True
    end, activities = await _executed(client, run, script)

    assert end == RunEnd(run.run_id, "success", recorded=True)
    assert activities.names(run.run_id) == [
        ACTIVITY_PREPARE_RUN,
        "agent",
        "tools",
        END_RECORDED_BY_STEP,
    ]
    assert not any(s.prepare for s in _steps(activities.calls))


async def test_a_run_that_ended_before_its_workflow_ran_again_ends_as_it_was_recorded(
    client: Client,
) -> None:
    """A worker that died after the run's steps had run, before the workflow
    task that records them completed: the workflow runs from the start again,
    its first activity finds the run ended as it ran, and the workflow goes
    on from that end (its webhook), recording nothing more."""
    for first_nodes in (["agent"], None):
        run = _run(first_nodes=first_nodes, webhook=True)
        script = linear_run("agent")
        script.plan = RunPlan(active=False, ended_as="error")
        end, activities = await _executed(client, run, script)

        assert end == RunEnd(run.run_id, "error", recorded=True)
        first = "agent" if first_nodes else ACTIVITY_PREPARE_RUN
        assert activities.names(run.run_id) == [first, ACTIVITY_DELIVER_WEBHOOK]
