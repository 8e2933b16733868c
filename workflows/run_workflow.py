"""RunWorkflow: one LangGraph run, driven one super-step per activity.

The workflow id is the run id. Each super-step is an activity named after the
nodes it runs, so the Temporal UI reads "agent", "tools", "agent". Where the
run stops (done, interrupt(), interrupt_before/after, a cancel) is decided
here, from node names the activities report.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.workflow import ActivityCancellationType

from steadygraph.temporal.contract import (
    ACTIVITY_DELETE_THREAD,
    ACTIVITY_DELIVER_WEBHOOK,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    CANCEL_ACTIONS,
    NON_RETRYABLE_ERRORS,
    PATCH_END_IN_LAST_STEP,
    RUN_WORKFLOW,
    STEP_CANCEL_REQUESTED,
    WEBHOOK_REJECTED,
    RunEnd,
    RunInput,
    RunPlan,
    RunProgress,
    RunRef,
    RunStops,
    StepInput,
    StepPolicy,
    StepResult,
    WebhookInput,
    matches_nodes,
    step_activity_name,
    step_policy_of,
)

_BOOKKEEPING_TIMEOUT = timedelta(seconds=60)
# prepare/finish write a few rows; a database outage should delay the run, not fail it.
_BOOKKEEPING_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2,
    maximum_interval=timedelta(seconds=10),
)
_WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2,
    maximum_attempts=5,
    non_retryable_error_types=[WEBHOOK_REJECTED],
)
_TEMPORARY_GRACE = timedelta(seconds=60)
# How long a run whose local step stopped for a cancel asked of it waits for
# the cancel signal (it comes with the next workflow task, at once).
_ASKED_CANCEL_WAIT = timedelta(seconds=60)


def _retry_policy(policy: StepPolicy) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=policy.initial_interval_s),
        backoff_coefficient=policy.backoff,
        maximum_interval=timedelta(seconds=policy.max_interval_s),
        maximum_attempts=policy.max_attempts,
        non_retryable_error_types=list(NON_RETRYABLE_ERRORS),
    )


def _error_of(exc: ActivityError | ApplicationError) -> dict[str, str]:
    # A failed local activity surfaces as its ApplicationError itself, a failed
    # regular activity as an ActivityError caused by it.
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        return {"error": cause.type or "Error", "message": cause.message}
    if cause is not None:
        return {"error": type(cause).__name__, "message": str(cause)}
    return {"error": type(exc).__name__, "message": str(exc)}


@workflow.defn(name=RUN_WORKFLOW)
class RunWorkflow:
    # Super-steps one execution runs before it continues as new, unless the
    # run says otherwise or Temporal suggests it sooner: ~6 history events a
    # step keeps an execution far below Temporal's 10k-event warning.
    STEPS_PER_EXECUTION = 500

    def __init__(self) -> None:
        self._steps_done = 0  # across the whole chain of executions
        self._steps_here = 0  # in this execution
        self._status = "pending"
        self._cancel_action: str | None = None
        self._work: asyncio.Task[RunEnd | RunProgress] | None = None
        self._released = False
        self._timed_out = False
        # The run's absolute deadline, if it has one (what a continue-as-new carries).
        self._deadline_s: float | None = None

    @workflow.query
    def status(self) -> str:
        return self._status

    @workflow.signal
    def cancel(self, action: str) -> None:
        """Stop the run: "interrupt" keeps its progress, "rollback" erases it."""
        if self._cancel_action is None:
            self._cancel_action = action if action in CANCEL_ACTIONS else "interrupt"
        if self._work is not None and not self._work.done():
            self._work.cancel()

    @workflow.signal
    def release(self) -> None:
        """A client has read the output of this stateless run: its thread may go."""
        self._released = True

    @workflow.run
    async def run(self, run: RunInput) -> RunEnd:
        if run.progress is not None:
            self._steps_done = run.progress.steps_done
            self._cancel_action = self._cancel_action or run.progress.cancel_action
            self._released = self._released or run.progress.released
        self._work = asyncio.create_task(self._prepare_and_drive(run))
        if self._cancel_action is not None:  # cancelled before it started
            self._work.cancel()
        deadline = self._watch_deadline(run)
        try:
            outcome = await self._work
            if isinstance(outcome, RunProgress):
                # As Temporal recommends: no handler is cut off by the switch.
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._continue_as_new(run, outcome)
            end = outcome
        except asyncio.CancelledError:
            # A cancel signal, a passed deadline, or a cancellation from
            # Temporal itself (UI, CLI): the running step has stopped (we wait
            # for that), so the run can be recorded as interrupted or erased.
            action = self._cancel_action or "interrupt"
            if self._timed_out and self._cancel_action is None:
                end = RunEnd(run.run_id, "timeout")
            else:
                end = RunEnd(run.run_id, "rollback" if action == "rollback" else "interrupted")
        finally:
            if deadline is not None and not deadline.done():
                deadline.cancel()
        if end.status == "skipped":
            return end
        self._status = end.status
        workflow.set_current_details(f"{end.status} after {self._steps_done} step(s)")
        if not end.recorded:
            await workflow.execute_local_activity(
                ACTIVITY_FINISH_RUN,
                RunEnd(end.run_id, end.status, end.error, run.thread_id, run.graph_id, run.direct),
                start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                retry_policy=_BOOKKEEPING_RETRY,
                summary=f"finish run: {end.status}",
            )
        if run.webhook and end.status != "rollback":
            try:
                await workflow.execute_activity(
                    ACTIVITY_DELIVER_WEBHOOK,
                    WebhookInput(run.run_id, run.thread_id),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_WEBHOOK_RETRY,
                    summary="webhook",
                )
            except ActivityError as exc:  # a webhook's trouble never changes the run's outcome
                workflow.logger.warning(
                    "webhook of run %s not delivered: %s", run.run_id, exc.cause
                )
        if run.temporary:
            # The thread holds the run's output: keep it until the client that
            # waits or streams has read it (it signals `release`), or a grace
            # period passes for runs nobody waits for.
            try:
                await workflow.wait_condition(lambda: self._released, timeout=_TEMPORARY_GRACE)
            except TimeoutError:
                pass
            await workflow.execute_local_activity(
                ACTIVITY_DELETE_THREAD,
                RunRef(run.run_id, run.thread_id, run.graph_id),
                start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                retry_policy=_BOOKKEEPING_RETRY,
                summary="delete temporary thread",
            )
        return end

    def _watch_deadline(self, run: RunInput) -> asyncio.Task[None] | None:
        """With a run timeout, a durable timer that cancels the run's work
        when it fires. The deadline is absolute (workflow time), fixed at the
        first start and carried in `run.deadline_s`, so a continue-as-new
        keeps it."""
        if run.run_timeout_s is None and run.deadline_s is None:
            return None
        deadline_s = run.deadline_s
        if deadline_s is None:
            assert run.run_timeout_s is not None
            deadline_s = workflow.now().timestamp() + run.run_timeout_s
        self._deadline_s = deadline_s

        async def expire() -> None:
            remaining = deadline_s - workflow.now().timestamp()
            if remaining > 0:
                await workflow.sleep(remaining, summary="run timeout")
            self._timed_out = True
            if self._work is not None and not self._work.done():
                self._work.cancel()

        return asyncio.create_task(expire())

    def _continue_as_new(self, run: RunInput, progress: RunProgress) -> NoReturn:
        """Hand the run to a fresh execution of this workflow (same workflow id,
        so the run id, its parent's wait and every client's handle follow)."""
        # Signals already handled are carried over: a cancel makes the next
        # execution end the run as cancelled before any step.
        progress = replace(progress, cancel_action=self._cancel_action, released=self._released)
        # The run's absolute deadline goes along, so the timeout spans the chain.
        workflow.continue_as_new(replace(run, progress=progress, deadline_s=self._deadline_s))

    def _should_continue_as_new(self, run: RunInput) -> bool:
        limit = run.steps_per_execution or self.STEPS_PER_EXECUTION
        return self._steps_here >= limit or workflow.info().is_continue_as_new_suggested()

    def _stop_if_cancelled(self) -> None:
        if self._cancel_action is not None or self._timed_out:
            raise asyncio.CancelledError

    async def _wait_for_asked_cancel(self, exc: ActivityError | ApplicationError) -> None:
        """A local step that stopped because a cancel was asked of the run
        (it read the request from the database): the cancel signal itself
        arrives with the next workflow task; wait for it, so the run ends as
        it was asked (interrupt or rollback). Its arrival cancels this task."""
        cause = exc.cause if isinstance(exc, ActivityError) else exc
        if not isinstance(cause, ApplicationError) or cause.type != STEP_CANCEL_REQUESTED:
            return
        if self._cancel_action is None:
            try:
                await workflow.wait_condition(
                    lambda: self._cancel_action is not None, timeout=_ASKED_CANCEL_WAIT
                )
            except TimeoutError:  # the signal was lost: the action the step read stands
                asked = cause.details[0] if cause.details else None
                self._cancel_action = asked if asked in CANCEL_ACTIONS else "interrupt"
        raise asyncio.CancelledError

    def _raise_if_cancelled(self, exc: ActivityError | ApplicationError) -> None:
        """An activity that ended because the run was cancelled (or ran out
        of time) is a cancel, not an error."""
        stopped = self._cancel_action is not None or self._timed_out
        if stopped or isinstance(exc.cause, CancelledError):
            raise asyncio.CancelledError from exc

    async def _prepare_and_drive(self, run: RunInput) -> RunEnd | RunProgress:
        if run.progress is not None:  # continued as new: prepared already
            self._stop_if_cancelled()
            self._status = "running"
            return await self._drive(run, run.progress.plan)
        first = run.first_nodes
        if first and step_policy_of(first, run.step, run.node_steps).local:
            return await self._prepare_in_first_step(run, first)
        ref = RunRef(run.run_id, run.thread_id, run.graph_id)
        try:
            # Local activity: short bookkeeping that need not pay a task-queue
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
                    non_retryable_error_types=list(NON_RETRYABLE_ERRORS),
                ),
                summary="prepare run",
            )
        except (ActivityError, ApplicationError) as exc:
            self._raise_if_cancelled(exc)
            return RunEnd(run.run_id, "error", _error_of(exc))
        if plan.ended_as:  # ran and ended before this execution (see RunPlan.ended_as)
            return RunEnd(run.run_id, plan.ended_as, recorded=True)
        if not plan.active:  # deleted or already ended while it waited to start
            return RunEnd(run.run_id, "skipped")
        self._stop_if_cancelled()
        self._status = "running"
        return await self._drive(run, plan)

    async def _prepare_in_first_step(self, run: RunInput, first: list[str]) -> RunEnd | RunProgress:
        """Prepare the run in the activity of its first step, named after the
        nodes the API expects it to start with; the activity runs them only if
        that is where the prepared run starts, and says so (`stepped`)."""
        nodes = list(first)
        step = StepInput(
            run.run_id,
            run.thread_id,
            run.graph_id,
            None,
            nodes,
            stops=RunStops(direct=run.direct),
            prepare=True,
        )
        name = step_activity_name(nodes)
        workflow.set_current_details(f"step 1: {name}")
        try:
            result = await self._execute_step(
                name, step, step_policy_of(nodes, run.step, run.node_steps)
            )
        except (ActivityError, ApplicationError) as exc:
            await self._wait_for_asked_cancel(exc)
            self._raise_if_cancelled(exc)
            return RunEnd(run.run_id, "error", _error_of(exc))
        plan = result.plan
        if plan is not None and plan.ended_as:  # ran and ended before (RunPlan.ended_as)
            return RunEnd(run.run_id, plan.ended_as, recorded=True)
        if plan is None or not plan.active:  # deleted or ended while it waited to start
            return RunEnd(run.run_id, "skipped")
        self._status = "running"
        if not result.stepped:
            self._stop_if_cancelled()
            return await self._drive(run, plan)
        end = self._after_step(run, plan, result)
        if end is not None:
            return end
        if result.next and self._should_continue_as_new(run):
            return RunProgress(plan, result.next, result.checkpoint_id, self._steps_done)
        return await self._drive(run, plan, (result.next, result.checkpoint_id))

    def _after_step(self, run: RunInput, plan: RunPlan, result: StepResult) -> RunEnd | None:
        """Count a step that ran; the run's end if it ends there."""
        self._steps_done += 1
        self._steps_here += 1
        if result.run_ended:
            # Recorded as a success by the step: a cancel or a deadline
            # that came meanwhile finds the run over, as it would have a
            # moment later.
            return RunEnd(run.run_id, "success", recorded=True)
        # A cancel that arrived while a step was finishing anyway: that step
        # counts, the next one does not start.
        self._stop_if_cancelled()
        if result.interrupted or matches_nodes(result.ran, plan.interrupt_after):
            return RunEnd(run.run_id, "success")
        return None

    async def _drive(
        self, run: RunInput, plan: RunPlan, start: tuple[list[str], str | None] | None = None
    ) -> RunEnd | RunProgress:
        """Run the steps from the plan's start (or from `start`: the next
        nodes and checkpoint after a first step that ran with the preparation)."""
        nodes, checkpoint_id = plan.next, plan.checkpoint_id
        pending_command = plan.has_command
        if start is not None:
            nodes, checkpoint_id = start
            pending_command = False
        elif run.progress is not None:  # where the execution before this one stopped
            nodes, checkpoint_id = run.progress.next, run.progress.checkpoint_id
            pending_command = run.progress.pending_command
        elif plan.interrupted and not pending_command:
            return RunEnd(run.run_id, "success")
        # The step that ends the run records its success itself (one activity
        # fewer per run); histories from before this change replay without.
        # `patched` only for inputs that do not say (its first call upserts a
        # search attribute: a history event and a visibility write).
        stops = None
        if run.ends_in_last_step or workflow.patched(PATCH_END_IN_LAST_STEP):
            stops = RunStops.of(plan, direct=run.direct)
        while nodes or pending_command:
            # A run that starts by resuming goes through the node it stopped
            # before; every other step honours interrupt_before.
            first_resumed_step = self._steps_done == 0 and (plan.resuming or pending_command)
            if not first_resumed_step and matches_nodes(nodes, plan.interrupt_before):
                break
            step = StepInput(
                run.run_id,
                run.thread_id,
                run.graph_id,
                checkpoint_id,
                nodes,
                with_command=pending_command,
                emit_initial_values=self._steps_done == 0 and plan.resuming,
                step_number=self._steps_done,
                stops=stops,
            )
            name = step_activity_name(nodes)
            policy = step_policy_of(nodes, run.step, run.node_steps)
            # Shown in the UI and by `temporal workflow describe` (not recorded
            # in the history): which nodes this run is in now.
            workflow.set_current_details(f"step {self._steps_done + 1}: {name}")
            try:
                result = await self._execute_step(name, step, policy)
            except (ActivityError, ApplicationError) as exc:
                await self._wait_for_asked_cancel(exc)
                self._raise_if_cancelled(exc)
                return RunEnd(run.run_id, "error", _error_of(exc))
            end = self._after_step(run, plan, result)
            if end is not None:
                return end
            pending_command = False
            nodes, checkpoint_id = result.next, result.checkpoint_id
            if nodes and self._should_continue_as_new(run):
                return RunProgress(plan, nodes, checkpoint_id, self._steps_done)
        return RunEnd(run.run_id, "success")

    @staticmethod
    async def _execute_step(name: str, step: StepInput, policy: StepPolicy) -> StepResult:
        # A cancelled run waits until the node has really stopped before it is
        # recorded (or rolled back): WAIT_CANCELLATION_COMPLETED.
        if policy.local:
            return await workflow.execute_local_activity(
                name,
                step,
                result_type=StepResult,
                start_to_close_timeout=timedelta(seconds=policy.timeout_s),
                retry_policy=_retry_policy(policy),
                cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                summary=name,
            )
        return await workflow.execute_activity(
            name,
            step,
            result_type=StepResult,
            start_to_close_timeout=timedelta(seconds=policy.timeout_s),
            heartbeat_timeout=timedelta(seconds=policy.heartbeat_timeout_s),
            retry_policy=_retry_policy(policy),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=name,
        )
