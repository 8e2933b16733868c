"""The real step activity, asked to prepare its run first (StepInput.prepare),
with the real graph, checkpointer, step fence and store on SQLite and
PostgreSQL, in Temporal's activity environment (no workflow around it)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness import fresh_postgres_database
from temporalio.common import RawValue
from temporalio.converter import default as default_converter
from temporalio.testing import ActivityEnvironment

from steadygraph.activities.run_activities import RunActivities
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.step_fence import open_step_fence
from steadygraph.ids import new_id
from steadygraph.runs.request import RunCreate
from steadygraph.runs.submission import run_kwargs
from steadygraph.storage import Storage, open_storage
from steadygraph.temporal.contract import RunStops, StepInput, StepResult
from steadygraph.worker import load_graphs

GRAPHS = Path(__file__).resolve().parents[2] / "graphs" / "langgraph.json"


@pytest.fixture(params=["sqlite", "postgres"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data", config_path=GRAPHS)
        return
    with fresh_postgres_database() as url:
        yield Settings(data_dir=tmp_path / "data", config_path=GRAPHS, database_url=url)


@dataclasses.dataclass
class Worker:
    activities: RunActivities
    storage: Storage


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Worker]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = await open_storage(settings.storage_url)
    try:
        async with open_checkpointer(settings) as checkpointer, open_step_fence(settings) as fence:
            graphs = load_graphs(settings)
            await storage.ensure_system_assistants({g: g for g in graphs.graph_ids})
            yield Worker(RunActivities(storage, graphs, checkpointer, fence=fence), storage)
    finally:
        await storage.close()


async def _new_run(storage: Storage, graph_id: str, **body: Any) -> StepInput:
    """A pending run, stored with the kwargs the API gives it."""
    thread = await storage.create_thread(new_id(), {})
    assistant = await storage.get_assistant(graph_id) or {}
    run_id = new_id()
    kwargs = run_kwargs(
        RunCreate(assistant_id=graph_id, stream_mode=["values"], **body),
        run_id=run_id,
        thread_id=thread["thread_id"],
        assistant=assistant,
        metadata={},
        temporary=False,
    )
    created = await storage.create_run(
        run_id=run_id,
        thread_id=thread["thread_id"],
        assistant=assistant,
        metadata={},
        kwargs=kwargs.stored(),
        multitask_strategy="reject",
    )
    assert created is not None
    return StepInput(
        run_id, thread["thread_id"], graph_id, None, [], stops=RunStops(), prepare=True
    )


async def _execute(activities: RunActivities, step: StepInput) -> StepResult:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, is_local=True)
    payload = default_converter().payload_converter.to_payload(step)
    return await env.run(activities.execute_superstep, [RawValue(payload)])


async def _sources(storage: Storage, thread_id: str) -> list[str]:
    states = await storage.checkpoints.history(thread_id, limit=20)
    return [state["metadata"]["source"] for state in states]


async def test_it_applies_the_input_and_runs_the_expected_first_nodes(worker: Worker) -> None:
    step = await _new_run(worker.storage, "slow", input={"sleep_s": 0})
    result = await _execute(worker.activities, dataclasses.replace(step, nodes=["step1"]))

    assert result.stepped and result.plan is not None and result.plan.next == ["step1"]
    assert (result.ran, result.next, result.run_ended) == (["step1"], ["step2"], False)
    assert (await worker.storage.get_run(step.run_id))["status"] == "running"
    # The input step's states are saved with the step's, newest first.
    assert await _sources(worker.storage, step.thread_id) == ["loop", "loop", "input"]
    state = await worker.storage.get_thread_state(step.thread_id)
    assert state["values"]["visited"] == ["step1"] and state["next"] == ["step2"]
    # The input's values come first in the run's stream, then the step's.
    events = await worker.storage.read_events(step.run_id, 0)
    values = [event for event in events if event[1] == "values"]
    assert len(values) == 2


async def test_a_wrong_guess_only_prepares(worker: Worker) -> None:
    step = await _new_run(worker.storage, "slow", input={"sleep_s": 0})
    result = await _execute(worker.activities, dataclasses.replace(step, nodes=["step2"]))

    assert not result.stepped and result.ran == []
    assert result.plan is not None and result.plan.next == ["step1"]
    assert result.checkpoint_id == result.plan.checkpoint_id
    state = await worker.storage.get_thread_state(step.thread_id)
    assert state["next"] == ["step1"] and state["checkpoint"]["checkpoint_id"] == (
        result.checkpoint_id
    )
    assert await _sources(worker.storage, step.thread_id) == ["loop", "input"]


async def test_a_run_stopped_before_its_first_node_only_prepares(worker: Worker) -> None:
    step = await _new_run(worker.storage, "slow", input={"sleep_s": 0}, interrupt_before=["step1"])
    result = await _execute(worker.activities, dataclasses.replace(step, nodes=["step1"]))

    assert not result.stepped and result.ran == []
    assert result.plan is not None and result.plan.interrupt_before == ["step1"]


async def test_an_attempt_after_one_that_ran_the_step_runs_nothing_again(worker: Worker) -> None:
    """A retried attempt whose predecessor ran the step but was not heard of:
    the input is not applied twice, the step not run again, and every state
    of the run is in the thread's history once."""
    step = dataclasses.replace(
        await _new_run(worker.storage, "slow", input={"sleep_s": 0}), nodes=["step1"]
    )
    first = await _execute(worker.activities, step)
    again = await _execute(worker.activities, step)

    assert first.stepped and not again.stepped
    assert again.plan is not None and again.plan.next == ["step2"]
    assert again.checkpoint_id == first.checkpoint_id
    state = await worker.storage.get_thread_state(step.thread_id)
    assert state["values"]["visited"] == ["step1"]
    assert await _sources(worker.storage, step.thread_id) == ["loop", "loop", "input"]


async def test_a_run_gone_before_it_started_is_not_prepared(worker: Worker) -> None:
    step = await _new_run(worker.storage, "slow", input={"sleep_s": 0})
    await worker.storage.delete_run_record(step.run_id)
    result = await _execute(worker.activities, dataclasses.replace(step, nodes=["step1"]))

    assert result.plan is not None and not result.plan.active and not result.stepped


async def test_a_run_that_ran_to_its_end_is_found_ended_as_it_was_recorded(
    worker: Worker,
) -> None:
    """The workflow of a run that ended runs from the start again (its worker
    died before the workflow task that recorded the steps completed): the
    first activity, again, finds the run over as its last step recorded it."""
    step = dataclasses.replace(
        await _new_run(worker.storage, "slow", input={"sleep_s": 0}), nodes=["step1"]
    )
    first = await _execute(worker.activities, step)
    checkpoint_id = first.checkpoint_id
    for nodes in (["step2"], ["step3"]):
        later = dataclasses.replace(
            step, nodes=nodes, from_checkpoint_id=checkpoint_id, prepare=False
        )
        result = await _execute(worker.activities, later)
        checkpoint_id = result.checkpoint_id
    assert result.run_ended
    assert (await worker.storage.get_run(step.run_id))["status"] == "success"

    again = await _execute(worker.activities, step)

    assert not again.stepped and again.plan is not None
    assert (again.plan.active, again.plan.ended_as) == (False, "success")
    state = await worker.storage.get_thread_state(step.thread_id)
    assert state["values"]["visited"] == ["step1", "step2", "step3"]  # nothing ran again


async def test_a_run_cancelled_before_it_started_is_not_found_ended_as_run(
    worker: Worker,
) -> None:
    step = await _new_run(worker.storage, "slow", input={"sleep_s": 0})
    assert await worker.storage.cancel_pending_run(step.run_id, "interrupt")
    result = await _execute(worker.activities, dataclasses.replace(step, nodes=["step1"]))

    assert result.plan is not None
    assert (result.plan.active, result.plan.ended_as) == (False, None)
