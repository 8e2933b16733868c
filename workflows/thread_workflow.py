"""ThreadWorkflow: the one place where a thread's runs are ordered.

Runs reach it through signal-with-start (`submit_run`), so the workflow exists
exactly while the thread has work, and a run is accepted even while no worker
is alive: the signal is stored by the Temporal server and handled once one is.
It executes one RunWorkflow child at a time, in arrival order, and applies the
multitask strategies:

- reject:    decided by the API from the database, atomically with storing the
             run (HTTP 409); a run that reaches this workflow was accepted;
- enqueue:   the run waits its turn;
- interrupt: runs waiting or running are cancelled and keep their progress;
- rollback:  runs waiting or running are cancelled and erased.

`after_seconds` is a durable timer here, so a restart during the wait neither
loses the run nor starts it twice.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

from steadygraph.temporal.contract import (
    ACTIVITY_CANCEL_DIRECT_RUN,
    ACTIVITY_DIRECT_RUNS,
    ACTIVITY_DROP_QUEUED_RUN,
    ACTIVITY_UPDATE_STATE,
    BUSY_MESSAGE,
    SIGNAL_QUEUE_STATE_UPDATE,
    SIGNAL_RUN_ENDED,
    SIGNAL_SUBMIT_RUN,
    THREAD_BUSY,
    THREAD_WORKFLOW,
    UNKNOWN_STATE_UPDATE,
    UPDATE_STATE_UPDATE_OUTCOME,
    CancelOutcome,
    CancelRequest,
    DirectRun,
    QueuedStateUpdate,
    RunRequest,
    StateUpdate,
    StateUpdateResult,
    ThreadInput,
    run_memo,
    run_search_attributes,
    run_workflow_id,
)
from steadygraph.workflows.run_workflow import RunWorkflow

# A thread with no work for this long lets its workflow complete; the next
# run starts a new one. Keeps idle threads from holding open workflows.
IDLE_TIMEOUT = timedelta(minutes=1)

# Histories recorded before runs could be started without this workflow
# replay without waiting for such runs.
DIRECT_RUNS_PATCH = "direct-runs"
# How often the thread's direct runs are looked up again while waiting for
# them, should the signal of one's end be lost (e.g. it was terminated by hand).
DIRECT_RECHECK = timedelta(seconds=10)
# How long an idle thread's workflow keeps the outcomes of its applied state
# updates for the API to fetch before it completes.
OUTCOME_KEEP = timedelta(seconds=30)
_BOOKKEEPING_TIMEOUT = timedelta(seconds=60)
_BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))


@workflow.defn(name=THREAD_WORKFLOW)
class ThreadWorkflow:
    def __init__(self) -> None:
        self._queue: list[RunRequest] = []
        self._current: RunRequest | None = None
        self._current_started = False
        self._cancelled: dict[str, str] = {}  # run id -> action, for the current run
        self._updating_state = False
        self._updates_waiting = 0  # state updates waiting for their turn
        self._ended_direct: set[str] = set()  # direct runs reported ended (run_ended)
        # State updates queued by signal: the ids being applied, then their
        # outcomes (the result, or the refusal's type and message) until fetched.
        self._state_updates_applying: set[str] = set()
        self._state_update_outcomes: dict[str, StateUpdateResult | tuple[str, str]] = {}

    @workflow.run
    async def run(self, thread: ThreadInput) -> None:
        self._queue.extend(thread.queue)
        while True:
            try:
                await workflow.wait_condition(lambda: bool(self._queue), timeout=IDLE_TIMEOUT)
            except TimeoutError:
                pass
            if not self._queue:
                await self._settle_handlers()
                if not self._queue:
                    return
            if workflow.patched(DIRECT_RUNS_PATCH):
                # Runs started without this workflow came first; then state
                # updates that waited for the runs before them.
                await self._wait_for_direct_runs(thread.thread_id)
                await workflow.wait_condition(
                    lambda: self._updates_waiting == 0 and not self._updating_state
                )
                if not self._queue:  # cancelled while it waited
                    continue
            else:
                # A state update in progress finishes before the next run starts.
                await workflow.wait_condition(lambda: not self._updating_state)
            request = self._queue.pop(0)
            await self._execute(request)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(ThreadInput(thread.thread_id, list(self._queue)))

    async def _settle_handlers(self) -> None:
        """Let in-flight signals and updates land, and the API fetch the
        outcomes of applied state updates, before the thread counts as idle."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._state_update_outcomes:  # never true in histories from before them
            try:
                await workflow.wait_condition(
                    lambda: not self._state_update_outcomes or bool(self._queue),
                    timeout=OUTCOME_KEEP,
                )
            except TimeoutError:
                pass
            await workflow.wait_condition(workflow.all_handlers_finished)

    async def _execute(self, request: RunRequest) -> None:
        run_id = request.run.run_id
        self._current, self._current_started, self._cancelled = request, False, {}
        try:
            if request.after_seconds > 0:
                # A cancel during the wait ends it early.
                try:
                    await workflow.wait_condition(
                        lambda: run_id in self._cancelled,
                        timeout=timedelta(seconds=request.after_seconds),
                    )
                except TimeoutError:
                    pass
            if run_id in self._cancelled:
                await self._drop(request, self._cancelled[run_id])
                return
            handle = await workflow.start_child_workflow(
                RunWorkflow.run,
                request.run,
                id=run_workflow_id(run_id),
                task_queue=workflow.info().task_queue,
                search_attributes=run_search_attributes(request.run),
                # The run outlives this workflow if the thread workflow is
                # terminated by hand: it records its own ending.
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"{request.run.graph_id} run on thread {request.run.thread_id}",
                memo=run_memo(request.run),
            )
            self._current_started = True
            if run_id in self._cancelled:  # cancelled while the child was starting
                await handle.signal(RunWorkflow.cancel, self._cancelled[run_id])
            try:
                await handle
            except ChildWorkflowError:
                workflow.logger.warning("run %s ended abnormally", run_id)
        finally:
            self._current = None

    async def _wait_for_direct_runs(self, thread_id: str) -> None:
        """Until the runs the API started on their own (the thread was idle
        when they came) have ended. A queued `interrupt`/`rollback` run
        cancels them first, as it cancels the runs this workflow started."""
        cancelled: set[str] = set()
        while True:
            active: list[DirectRun] = await workflow.execute_local_activity(
                ACTIVITY_DIRECT_RUNS,
                thread_id,
                result_type=list[DirectRun],
                summary="direct runs of the thread",
                start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                retry_policy=_BOOKKEEPING_RETRY,
            )
            waiting = [run.run_id for run in active if run.run_id not in self._ended_direct]
            if not waiting:
                return
            action = self._replacing_action()
            for run_id in waiting if action else []:
                if run_id not in cancelled:
                    cancelled.add(run_id)
                    await workflow.execute_local_activity(
                        ACTIVITY_CANCEL_DIRECT_RUN,
                        CancelRequest(run_id, action or "interrupt"),
                        summary=f"cancel direct run ({action})",
                        start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                        retry_policy=_BOOKKEEPING_RETRY,
                    )
            try:
                await workflow.wait_condition(
                    functools.partial(self._direct_run_news, waiting, cancelled),
                    timeout=DIRECT_RECHECK,
                )
            except TimeoutError:
                pass

    def _direct_run_news(self, waiting: list[str], cancelled: set[str]) -> bool:
        """One of the direct runs waited for has ended, or a queued run now
        cancels one not yet cancelled."""
        if any(run_id in self._ended_direct for run_id in waiting):
            return True
        return self._replacing_action() is not None and any(
            run_id not in cancelled for run_id in waiting
        )

    def _replacing_action(self) -> str | None:
        """The strategy of a queued run that cancels the runs before it (it
        heads the queue: it dropped whatever was queued when it came)."""
        if self._queue and self._queue[0].multitask_strategy in ("interrupt", "rollback"):
            return self._queue[0].multitask_strategy
        return None

    @workflow.signal(name=SIGNAL_RUN_ENDED)
    def run_ended(self, run_id: str) -> None:
        """A run started without this workflow has ended (its end is stored)."""
        self._ended_direct.add(run_id)

    async def _drop(self, request: RunRequest, action: str) -> None:
        """Record a run that never started as interrupted (or erase it, on rollback)."""
        await workflow.execute_local_activity(
            ACTIVITY_DROP_QUEUED_RUN,
            CancelRequest(request.run.run_id, action),
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
            summary=f"drop queued run ({action})",
        )

    async def _cancel(self, run_id: str, action: str) -> bool:
        for queued in list(self._queue):
            if queued.run.run_id == run_id:
                self._queue.remove(queued)
                await self._drop(queued, action)
                return True
        if self._current is not None and self._current.run.run_id == run_id:
            self._cancelled.setdefault(run_id, action)
            if self._current_started:
                await workflow.get_external_workflow_handle(run_workflow_id(run_id)).signal(
                    RunWorkflow.cancel, action
                )
            return True
        return False

    def _busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    @workflow.signal(name=SIGNAL_SUBMIT_RUN)
    async def submit_run(self, request: RunRequest) -> None:
        """A run the API has stored as pending. Everything that decides the
        order happens before the first await, so runs keep their arrival order
        even while the interrupted ones are still being dropped."""
        strategy = request.multitask_strategy
        if strategy not in ("interrupt", "rollback"):
            self._queue.append(request)
            return
        dropped, self._queue = self._queue, [request]
        signal_current = None
        if self._current is not None:
            current_id = self._current.run.run_id
            self._cancelled.setdefault(current_id, strategy)
            if self._current_started:
                signal_current = workflow.get_external_workflow_handle(
                    run_workflow_id(current_id)
                ).signal(RunWorkflow.cancel, strategy)
        drops = [self._drop(queued, strategy) for queued in dropped]
        await asyncio.gather(*drops, *([signal_current] if signal_current else []))

    # Runs arrived by this update (with start) before `submit_run` existed:
    # kept so that the histories of those threads still replay.
    @workflow.update
    async def submit(self, request: RunRequest) -> None:
        if request.multitask_strategy in ("interrupt", "rollback"):
            action = request.multitask_strategy
            in_flight = [r.run.run_id for r in self._queue]
            if self._current is not None:
                in_flight.insert(0, self._current.run.run_id)
            await asyncio.gather(*(self._cancel(run_id, action) for run_id in in_flight))
        self._queue.append(request)

    @submit.validator
    def _validate_submit(self, request: RunRequest) -> None:
        if request.multitask_strategy == "reject" and self._busy():
            raise ApplicationError(BUSY_MESSAGE, type=THREAD_BUSY, non_retryable=True)

    @workflow.signal
    def cancel_queued_run(self, request: CancelRequest) -> None:
        """A run the API has already ended in the database before it started
        (a signal needs no worker, so a cancel is answered while none is
        alive): forget it. If its RunWorkflow has started meanwhile, that
        finds the run ended and does nothing."""
        run_id = request.run_id
        self._queue = [queued for queued in self._queue if queued.run.run_id != run_id]
        current = self._current
        if current is not None and current.run.run_id == run_id and not self._current_started:
            self._cancelled.setdefault(run_id, request.action)  # ends an after_seconds wait

    @workflow.update
    async def cancel_run(self, request: CancelRequest) -> CancelOutcome:
        return CancelOutcome(found=await self._cancel(request.run_id, request.action))

    # State updates arrived by this update (with start) before they were
    # signalled: kept so that the histories of those threads still replay.
    @workflow.update
    async def update_state(self, update: StateUpdate) -> StateUpdateResult:
        return await self._apply_state_update(update)

    @workflow.signal(name=SIGNAL_QUEUE_STATE_UPDATE)
    async def queue_state_update(self, queued: QueuedStateUpdate) -> None:
        """threads.update_state: applied in its turn, its outcome kept for
        `state_update_outcome`."""
        self._state_updates_applying.add(queued.update_id)
        outcome: StateUpdateResult | tuple[str, str]
        try:
            outcome = await self._apply_state_update(queued.update)
        except (ActivityError, ApplicationError) as exc:
            # Refused (bad values, unknown node, ...): an answer for the
            # client, not a failure of the thread's workflow. A local
            # activity's own error arrives as it was raised.
            refusal = exc.cause if isinstance(exc, ActivityError) else exc
            if isinstance(refusal, ApplicationError):
                outcome = (refusal.type or "", refusal.message)
            else:
                outcome = ("", str(refusal or exc))
        finally:
            self._state_updates_applying.discard(queued.update_id)
        self._state_update_outcomes[queued.update_id] = outcome

    @workflow.update(name=UPDATE_STATE_UPDATE_OUTCOME)
    async def state_update_outcome(self, update_id: str) -> StateUpdateResult:
        await workflow.wait_condition(lambda: update_id in self._state_update_outcomes)
        outcome = self._state_update_outcomes.pop(update_id)
        if isinstance(outcome, tuple):
            kind, message = outcome
            raise ApplicationError(message, type=kind or None, non_retryable=True)
        return outcome

    @state_update_outcome.validator
    def _validate_state_update_outcome(self, update_id: str) -> None:
        outcomes = self._state_update_outcomes
        if update_id not in self._state_updates_applying and update_id not in outcomes:
            raise ApplicationError(
                f"state update {update_id} is not known here",
                type=UNKNOWN_STATE_UPDATE,
                non_retryable=True,
            )

    async def _apply_state_update(self, update: StateUpdate) -> StateUpdateResult:
        """Ordered with the thread's runs: it waits for the running run (not
        for queued ones, which then see the new state)."""
        if workflow.patched(DIRECT_RUNS_PATCH):
            self._updates_waiting += 1
            try:
                await self._wait_for_direct_runs(update.thread_id)
                await workflow.wait_condition(
                    lambda: self._current is None and not self._updating_state
                )
            finally:
                self._updates_waiting -= 1
        else:
            await workflow.wait_condition(
                lambda: self._current is None and not self._updating_state
            )
        self._updating_state = True
        try:
            return await workflow.execute_local_activity(
                ACTIVITY_UPDATE_STATE,
                update,
                result_type=StateUpdateResult,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_attempts=3),
                summary="update state",
            )
        finally:
            self._updating_state = False

    @workflow.query
    def pending_runs(self) -> list[str]:
        current = [self._current.run.run_id] if self._current else []
        return current + [r.run.run_id for r in self._queue]
