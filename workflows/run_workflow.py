"""RunWorkflow: one LangGraph run, driven one super-step per activity.

The workflow id is the run id. Each super-step is an activity named after the
nodes it runs, so the Temporal UI reads "agent", "tools", "agent". Where the
run stops (done, interrupt(), interrupt_before/after) is decided here, from
node names the activities report.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.models import (
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    RunEnd,
    RunInput,
    RunPlan,
    RunRef,
    StepInput,
    StepResult,
)

_BOOKKEEPING_TIMEOUT = timedelta(seconds=60)
# prepare/finish write a few rows; a database outage should delay the run, not fail it.
_BOOKKEEPING_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2,
    maximum_interval=timedelta(seconds=10),
)


# Errors a retry cannot fix: the same input fails the same way.
_NON_RETRYABLE = ["GraphRecursionError", "InvalidUpdateError", "EmptyInputError", "GraphLoadError"]


def step_activity_name(nodes: list[str]) -> str:
    unique = list(dict.fromkeys(nodes))
    return ", ".join(unique) if unique else "resume"


def _matches(nodes: list[str], selected: list[str]) -> bool:
    return "*" in selected or any(node in selected for node in nodes)


def _error_of(exc: ActivityError | ApplicationError) -> dict[str, str]:
    # A failed local activity surfaces as its ApplicationError itself, a failed
    # regular activity as an ActivityError caused by it.
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        return {"error": cause.type or "Error", "message": cause.message}
    if cause is not None:
        return {"error": type(cause).__name__, "message": str(cause)}
    return {"error": type(exc).__name__, "message": str(exc)}


@workflow.defn(name="RunWorkflow")
class RunWorkflow:
    def __init__(self) -> None:
        self._steps_done = 0
        self._status = "pending"

    @workflow.query
    def status(self) -> str:
        return self._status

    @workflow.run
    async def run(self, run: RunInput) -> RunEnd:
        ref = RunRef(run.run_id, run.thread_id, run.graph_id)
        try:
            # Local activities: short bookkeeping that need not pay a task-queue
            # round trip.
            plan: RunPlan = await workflow.execute_local_activity(
                ACTIVITY_PREPARE_RUN,
                ref,
                result_type=RunPlan,
                start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                # Applying the input runs graph code (input coercion), which can
                # fail for good: bounded like a step.
                retry_policy=RetryPolicy(
                    maximum_attempts=run.step.max_attempts,
                    initial_interval=timedelta(seconds=run.step.initial_interval_s),
                    non_retryable_error_types=_NON_RETRYABLE,
                ),
                summary="prepare run",
            )
        except (ActivityError, ApplicationError) as exc:
            end = RunEnd(run.run_id, "error", _error_of(exc))
        else:
            if not plan.active:  # deleted or already ended while it waited to start
                return RunEnd(run.run_id, "skipped")
            self._status = "running"
            end = await self._drive(run, plan)
        self._status = end.status
        await workflow.execute_local_activity(
            ACTIVITY_FINISH_RUN,
            end,
            start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
            retry_policy=_BOOKKEEPING_RETRY,
            summary=f"finish run: {end.status}",
        )
        return end

    async def _drive(self, run: RunInput, plan: RunPlan) -> RunEnd:
        nodes, checkpoint_id = plan.next, plan.checkpoint_id
        pending_command = plan.has_command
        if plan.interrupted and not pending_command:
            return RunEnd(run.run_id, "success")
        options = run.step
        retry = RetryPolicy(
            initial_interval=timedelta(seconds=options.initial_interval_s),
            backoff_coefficient=options.backoff,
            maximum_interval=timedelta(seconds=options.max_interval_s),
            maximum_attempts=options.max_attempts,
            non_retryable_error_types=_NON_RETRYABLE,
        )
        while nodes or pending_command:
            # A run that starts by resuming goes through the node it stopped
            # before; every other step honours interrupt_before.
            first_resumed_step = self._steps_done == 0 and (plan.resuming or pending_command)
            if not first_resumed_step and _matches(nodes, plan.interrupt_before):
                break
            step = StepInput(
                run.run_id,
                run.thread_id,
                run.graph_id,
                checkpoint_id,
                nodes,
                with_command=pending_command,
            )
            name = step_activity_name(nodes)
            try:
                result: StepResult = await workflow.execute_activity(
                    name,
                    step,
                    result_type=StepResult,
                    start_to_close_timeout=timedelta(seconds=options.timeout_s),
                    heartbeat_timeout=timedelta(seconds=options.heartbeat_timeout_s),
                    retry_policy=retry,
                    summary=name,
                )
            except ActivityError as exc:
                return RunEnd(run.run_id, "error", _error_of(exc))
            self._steps_done += 1
            pending_command = False
            nodes, checkpoint_id = result.next, result.checkpoint_id
            if result.interrupted or _matches(result.ran, plan.interrupt_after):
                break
        return RunEnd(run.run_id, "success")
