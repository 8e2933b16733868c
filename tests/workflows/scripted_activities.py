"""Stand-ins for Steadygraph's activities, for workflow unit tests.

The real workflows run on the real Temporal dev server; only the activities
are replaced. Each stand-in is registered under the contract's activity name
(the super-step one as the dynamic activity, as the real worker does), follows
a script per run and records every call, so a test asserts what the workflow
asked for, in which order. No database, no graph.

No `__init__.py` in this folder: a package here would be importable as
`workflows`, a name Steadygraph keeps free for users' projects.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import RawValue, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from steadygraph.temporal.contract import (
    ACTIVITY_CANCEL_DIRECT_RUN,
    ACTIVITY_DELETE_THREAD,
    ACTIVITY_DELIVER_WEBHOOK,
    ACTIVITY_DIRECT_RUNS,
    ACTIVITY_DROP_QUEUED_RUN,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    ACTIVITY_UPDATE_STATE,
    SIGNAL_QUEUE_STATE_UPDATE,
    SIGNAL_SUBMIT_RUN,
    CancelRequest,
    DirectRun,
    QueuedStateUpdate,
    RunEnd,
    RunInput,
    RunPlan,
    RunRef,
    RunRequest,
    RunStops,
    StateUpdate,
    StateUpdateResult,
    StepInput,
    StepPolicy,
    StepResult,
    ThreadInput,
    WebhookInput,
    run_ends_after,
    run_starts_with,
    thread_workflow_id,
)
from steadygraph.worker import workflow_runner
from steadygraph.workflows import RunWorkflow, ThreadWorkflow

# Short heartbeats, so a cancelled step hears of it within a second.
FAST_STEPS = StepPolicy(
    max_attempts=3,
    initial_interval_s=0.1,
    max_interval_s=0.1,
    timeout_s=60,
    heartbeat_timeout_s=1.0,
)
WAIT_S = 30


@dataclass
class RunScript:
    """What the activities answer for one run."""

    plan: RunPlan
    steps: list[StepResult] = field(default_factory=list)
    # Raised by every attempt of every step, instead of answering.
    step_error: Callable[[], Exception] | None = None
    # Steps wait (heartbeating) until it is set; a cancel ends the wait.
    gate: asyncio.Event | None = None
    # The index of the first step that waits at the gate (and sets `stepping`).
    gate_from_step: int = 0
    stepping: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    steps_done: int = 0
    # As the real step activity does when the workflow passes `stops`: the step
    # that ends the run records its success (as END_RECORDED_BY_STEP) and says so.
    # Off by default: the step answers as one from before that change, and
    # the workflow ends the run with `finish_run`.
    records_end: bool = False


# What `calls` holds for a run's end recorded by its last step.
END_RECORDED_BY_STEP = "end recorded by step"


def linear_run(*nodes: str) -> RunScript:
    """A run whose super-steps run `nodes` one after the other, then stop."""
    checkpoints = [f"checkpoint-{i}" for i in range(len(nodes) + 1)]
    steps = [
        StepResult(
            checkpoint_id=checkpoints[i + 1],
            next=list(nodes[i + 1 : i + 2]),
            ran=[node],
            interrupted=False,
        )
        for i, node in enumerate(nodes)
    ]
    plan = RunPlan(active=True, next=list(nodes[:1]), checkpoint_id=checkpoints[0])
    return RunScript(plan=plan, steps=steps)


class ScriptedActivities:
    def __init__(self) -> None:
        self.scripts: dict[str, RunScript] = {}
        # (activity name, its input), in the order the activities ran.
        self.calls: list[tuple[str, Any]] = []
        # Thread id -> the runs the API started on their own there and that
        # have not ended: what `direct_runs` answers.
        self.direct: dict[str, list[DirectRun]] = {}
        self.direct_lookups: list[str] = []  # the threads `direct_runs` was asked about
        # Values -> the refusal `update_state` raises for them, as the real
        # activity raises the graph's own (non-retryable) error.
        self.refused_updates: dict[str, ApplicationError] = {}

    def names(self, run_id: str) -> list[str]:
        """The activities that ran for one run."""
        return [name for name, arg in self.calls if getattr(arg, "run_id", None) == run_id]

    def inputs(self, name: str) -> list[Any]:
        return [arg for called, arg in self.calls if called == name]

    @activity.defn(name=ACTIVITY_PREPARE_RUN)
    async def prepare_run(self, ref: RunRef) -> RunPlan:
        self.calls.append((ACTIVITY_PREPARE_RUN, ref))
        return self.scripts[ref.run_id].plan

    @activity.defn(dynamic=True)
    async def execute_superstep(self, args: Sequence[RawValue]) -> StepResult:
        step = activity.payload_converter().from_payload(args[0].payload, StepInput)
        self.calls.append((activity.info().activity_type, step))
        script = self.scripts[step.run_id]
        if step.prepare:
            # As the real activity: the run's plan first, then the step only
            # if the run starts with the nodes this activity is named after.
            plan = script.plan
            if not run_starts_with(plan, step.nodes):
                return StepResult(
                    plan.checkpoint_id, plan.next, [], plan.interrupted, plan=plan, stepped=False
                )
            stops = RunStops.of(plan, direct=step.stops is not None and step.stops.direct)
            step = replace(step, stops=stops)
            result = await self._step(script, step)
            return replace(result, plan=plan)
        return await self._step(script, step)

    async def _step(self, script: RunScript, step: StepInput) -> StepResult:
        if script.steps_done < script.gate_from_step:
            result = script.steps[script.steps_done]
            script.steps_done += 1
            return self._recording_end(script, step, result)
        script.stepping.set()
        if script.gate is not None:
            while not script.gate.is_set():
                activity.heartbeat()
                await asyncio.sleep(0.05)
        if script.step_error is not None:
            raise script.step_error()
        result = script.steps[script.steps_done]
        script.steps_done += 1
        return self._recording_end(script, step, result)

    def _recording_end(self, script: RunScript, step: StepInput, result: StepResult) -> StepResult:
        if not script.records_end or step.stops is None or not run_ends_after(result, step.stops):
            return result
        end = RunEnd(step.run_id, "success", None, step.thread_id, step.graph_id, step.stops.direct)
        self.calls.append((END_RECORDED_BY_STEP, end))
        script.finished.set()
        return replace(result, run_ended=True)

    @activity.defn(name=ACTIVITY_FINISH_RUN)
    async def finish_run(self, end: RunEnd) -> None:
        self.calls.append((ACTIVITY_FINISH_RUN, end))
        self.scripts[end.run_id].finished.set()

    @activity.defn(name=ACTIVITY_DROP_QUEUED_RUN)
    async def drop_queued_run(self, request: CancelRequest) -> None:
        self.calls.append((ACTIVITY_DROP_QUEUED_RUN, request))

    @activity.defn(name=ACTIVITY_DELIVER_WEBHOOK)
    async def deliver_webhook(self, request: WebhookInput) -> None:
        self.calls.append((ACTIVITY_DELIVER_WEBHOOK, request))

    @activity.defn(name=ACTIVITY_DELETE_THREAD)
    async def delete_thread(self, ref: RunRef) -> None:
        self.calls.append((ACTIVITY_DELETE_THREAD, ref))

    @activity.defn(name=ACTIVITY_UPDATE_STATE)
    async def update_state(self, update: StateUpdate) -> StateUpdateResult:
        self.calls.append((ACTIVITY_UPDATE_STATE, update))
        if (refusal := self.refused_updates.get(repr(update.values))) is not None:
            raise refusal
        return StateUpdateResult(checkpoint={"checkpoint_id": "updated"})

    @activity.defn(name=ACTIVITY_DIRECT_RUNS)
    async def direct_runs(self, thread_id: str) -> list[DirectRun]:
        self.direct_lookups.append(thread_id)
        return list(self.direct.get(thread_id, []))

    @activity.defn(name=ACTIVITY_CANCEL_DIRECT_RUN)
    async def cancel_direct_run(self, request: CancelRequest) -> None:
        self.calls.append((ACTIVITY_CANCEL_DIRECT_RUN, request))

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.prepare_run,
            self.execute_superstep,
            self.finish_run,
            self.drop_queued_run,
            self.deliver_webhook,
            self.delete_thread,
            self.update_state,
            self.direct_runs,
            self.cancel_direct_run,
        ]


@asynccontextmanager
async def scripted_worker(
    client: Client, *, task_queue: str | None = None
) -> AsyncIterator[tuple[str, ScriptedActivities]]:
    """The real workflows, in the production runner, with scripted activities,
    on a task queue of their own (a new one unless given); yields the queue
    and the activities."""
    task_queue = task_queue or f"workflow-test-{uuid.uuid4().hex}"
    activities = ScriptedActivities()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RunWorkflow, ThreadWorkflow],
        activities=activities.all(),
        workflow_runner=workflow_runner(),
    ):
        yield task_queue, activities


def run_input(run_id: str, thread_id: str, *, step: StepPolicy = FAST_STEPS, **kw: Any) -> RunInput:
    return RunInput(run_id, thread_id, "assistant-1", "agent", step=step, **kw)


async def submit(client: Client, task_queue: str, run: RunInput, strategy: str = "enqueue") -> None:
    """Hand a run to its thread's workflow as the API does: signal-with-start."""
    request = RunRequest(run=run, multitask_strategy=strategy)
    await _signal_thread(client, task_queue, run.thread_id, SIGNAL_SUBMIT_RUN, request)


async def queue_state_update(
    client: Client, task_queue: str, update: StateUpdate, update_id: str | None = None
) -> str:
    """Hand a state update to its thread's workflow as the API does:
    signal-with-start. Returns the id its outcome is asked by."""
    update_id = update_id or str(uuid.uuid4())
    queued = QueuedStateUpdate(update_id, update)
    await _signal_thread(client, task_queue, update.thread_id, SIGNAL_QUEUE_STATE_UPDATE, queued)
    return update_id


async def _signal_thread(
    client: Client, task_queue: str, thread_id: str, signal: str, arg: Any
) -> None:
    await client.start_workflow(
        ThreadWorkflow.run,
        ThreadInput(thread_id),
        id=thread_workflow_id(thread_id),
        task_queue=task_queue,
        start_signal=signal,
        start_signal_args=[arg],
    )


async def submit_by_update(
    client: Client, task_queue: str, run: RunInput, strategy: str = "enqueue"
) -> None:
    """Hand a run over as the API did before `submit_run`: update-with-start."""
    start = WithStartWorkflowOperation(
        ThreadWorkflow.run,
        ThreadInput(run.thread_id),
        id=thread_workflow_id(run.thread_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        ThreadWorkflow.submit,
        RunRequest(run=run, multitask_strategy=strategy),
        start_workflow_operation=start,
    )


def graph_error(error_type: str, message: str) -> Callable[[], Exception]:
    """A step failure as the real activity reports it: the graph's exception
    class as the failure type. Marked retryable, so only the workflow's own
    retry policy can stop the retries."""
    return lambda: ApplicationError(message, type=error_type, non_retryable=False)
