"""What a run looks like in Temporal: one local activity per super-step named
after its nodes (test_local_steps.py has the same with regular activities),
searchable by thread, and replayable by the current workflow code."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from harness import closed_history, local_activity_summaries
from langgraph_sdk import get_client
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.temporal import contract
from steadygraph.workflows import RunWorkflow, ThreadWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


async def _finished_run(server_url: str, graph: str, run_input: dict) -> dict:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], graph, input=run_input)
    await client.runs.join(thread["thread_id"], run["run_id"])
    return run


def _activity_names(history: WorkflowHistory) -> list[str]:
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def test_each_superstep_is_a_local_activity_named_after_its_nodes(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    run = await _finished_run(server_url, "agent", WEATHER)
    temporal = await Client.connect(temporal_server.address)
    history = await closed_history(temporal, run["run_id"])
    assert _activity_names(history) == []  # nothing went through the task queue
    summaries = local_activity_summaries(history, temporal.data_converter.payload_converter)
    # The last step records the run's success: no "finish run" activity.
    # The run is prepared in its first step's activity, named after the
    # graph's entry node the API knows from what the worker published.
    assert summaries == ["agent", "tools", "agent"]
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == (
        "RunWorkflow"
    )


async def test_a_run_that_starts_elsewhere_than_the_entry_is_prepared_on_its_own(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    """The API names a run's first step after its graph's entry only where the
    run starts there: not for a run that stops before it, nor for a resume."""
    client = get_client(url=server_url)
    temporal = await Client.connect(temporal_server.address)
    converter = temporal.data_converter.payload_converter
    thread_id = (await client.threads.create())["thread_id"]
    stopped = await client.runs.create(
        thread_id, "agent", input=WEATHER, interrupt_before=["agent"]
    )
    await client.runs.join(thread_id, stopped["run_id"])
    resumed = await client.runs.create(thread_id, "agent", input=None)
    await client.runs.join(thread_id, resumed["run_id"])

    expected = {
        stopped["run_id"]: ["prepare run", "finish run: success"],
        resumed["run_id"]: ["prepare run", "agent", "tools", "agent"],
    }
    for run_id, summaries in expected.items():
        history = await closed_history(temporal, run_id)
        assert local_activity_summaries(history, converter) == summaries
    state = await client.threads.get_state(thread_id)
    assert state["values"]["messages"][-1]["content"] == (
        "The weather in San Francisco is 60 degrees and foggy."
    )


async def test_runs_are_searchable_by_thread_in_temporal(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    run = await _finished_run(server_url, "agent", WEATHER)
    temporal = await Client.connect(temporal_server.address)
    query = f"LangGraphThreadId = '{run['thread_id']}' AND LangGraphGraphId = 'agent'"
    found = []
    # Visibility is eventually consistent; the dev server indexes within moments.
    for _ in range(50):
        found = [wf.id async for wf in temporal.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    assert found == [run["run_id"]]


async def test_run_workflow_carries_a_memo_and_names_its_step(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "agent", input=WEATHER, metadata={"user": "u1", "ticket": 7}
    )
    await client.runs.join(thread["thread_id"], run["run_id"])
    temporal = await Client.connect(temporal_server.address)
    handle = temporal.get_workflow_handle(run["run_id"])
    memo = await (await handle.describe()).memo()
    # The names of the run's metadata: ours and those the server adds.
    assert {"ticket", "user", "graph_id"} <= set(memo.pop("metadata_keys"))
    assert memo == {
        "run_id": run["run_id"],
        "thread_id": thread["thread_id"],
        "assistant_id": run["assistant_id"],
        "graph_id": "agent",
    }
    # What the UI shows as the run's current details, once it has ended.
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details == "success after 3 step(s)"


async def test_live_history_replays_with_current_workflow_code(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    temporal = await Client.connect(temporal_server.address)
    for graph, run_input in (("agent", WEATHER), ("flaky", {})):
        run = await _finished_run(server_url, graph, run_input)
        history = await closed_history(temporal, run["run_id"])
        await Replayer(workflows=[RunWorkflow]).replay_workflow(history)


async def test_recorded_histories_replay_with_current_workflow_code() -> None:
    """Histories recorded from earlier versions: a change to RunWorkflow that
    would break runs already in flight fails here."""
    recorded = sorted(HISTORIES.glob("*.json"))
    assert recorded, "no recorded histories in tests/histories"
    replayer = Replayer(workflows=[RunWorkflow, ThreadWorkflow])
    for path in recorded:
        history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
        await replayer.replay_workflow(history)


def test_names_recorded_in_histories_and_schedules_stay_as_they_were() -> None:
    """Workflow types and activity names live on in histories of runs in flight
    and in the Temporal Schedules of crons and TTL sweeps: renaming one in the
    contract strands them."""
    assert (
        contract.RUN_WORKFLOW,
        contract.THREAD_WORKFLOW,
        contract.CRON_WORKFLOW,
        contract.SWEEP_THREADS_WORKFLOW,
    ) == ("RunWorkflow", "ThreadWorkflow", "CronWorkflow", "SweepThreadsWorkflow")
    assert {
        name: value for name, value in vars(contract).items() if name.startswith("ACTIVITY_")
    } == {
        "ACTIVITY_PREPARE_RUN": "steadygraph.prepare_run",
        "ACTIVITY_FINISH_RUN": "steadygraph.finish_run",
        "ACTIVITY_DROP_QUEUED_RUN": "steadygraph.drop_queued_run",
        "ACTIVITY_DELETE_THREAD": "steadygraph.delete_thread",
        "ACTIVITY_UPDATE_STATE": "steadygraph.update_state",
        "ACTIVITY_DELIVER_WEBHOOK": "steadygraph.deliver_webhook",
        "ACTIVITY_SWEEP_THREADS": "steadygraph.sweep_expired_threads",
        "ACTIVITY_FIRE_CRON": "steadygraph.fire_cron",
        "ACTIVITY_DIRECT_RUNS": "steadygraph.direct_runs",
        "ACTIVITY_CANCEL_DIRECT_RUN": "steadygraph.cancel_direct_run",
    }
    assert contract.step_activity_name(["agent", "tools", "agent"]) == "agent, tools"
    assert contract.step_activity_name([]) == "resume"
    assert contract.thread_workflow_id("t1") == "thread-t1"
