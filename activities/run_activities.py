"""The activities of RunWorkflow.

`prepare_run` applies the run's input, each dynamic activity (named after its
nodes) executes exactly one LangGraph super-step, and the step that ends the
run records its success; `finish_run` records any other outcome. A super-step
is `graph.astream(..., interrupt_after="*")` against the durable checkpointer:
LangGraph stops after one step and keeps the writes of nodes that finished, so
a retried step re-runs only what did not finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.runnables.config import DEFAULT_RECURSION_LIMIT
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import ErrorCode, GraphRecursionError, create_error_message
from langgraph.types import Command
from langgraph.types import StateUpdate as LangGraphStateUpdate
from langgraph_sdk.runtime import AccessContext
from temporalio import activity
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from steadygraph.activities.graph_loop import GraphLoop, LoopBoundCheckpointer, LoopBoundStore
from steadygraph.activities.stream_sink import StreamSink, graph_stream_modes
from steadygraph.graph.checkpointer import delete_run_checkpoints, head_checkpoint_id
from steadygraph.graph.loading import GraphLoadError, GraphRegistry
from steadygraph.graph.run_config import graph_config, graph_context, node_list
from steadygraph.graph.serde import checkpoint_ref, dumps, error_payload, snapshot_payload
from steadygraph.graph.step_fence import StepFence, fenced_steps
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.runs.run_log import log_run_ended, log_run_started
from steadygraph.storage import ACTIVE_RUN_STATUSES, Storage
from steadygraph.storage.runs import RunFinished
from steadygraph.temporal.contract import (
    ACTIVITY_DELETE_THREAD,
    ACTIVITY_DROP_QUEUED_RUN,
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    ACTIVITY_UPDATE_STATE,
    NON_RETRYABLE_ERRORS,
    SIGNAL_RUN_ENDED,
    STEP_CANCEL_REQUESTED,
    CancelRequest,
    RunEnd,
    RunPlan,
    RunRef,
    RunStops,
    StateUpdate,
    StateUpdateResult,
    StepInput,
    StepResult,
    run_ends_after,
    run_starts_with,
    thread_workflow_id,
)
from steadygraph.tracing import langsmith

log = logging.getLogger(__name__)


def _as_activity_error(exc: Exception) -> ApplicationError:
    """Carry the graph's exception class and message to the workflow, which
    records them on the run as LangGraph Server does ({"error", "message"})."""
    payload = error_payload(exc)
    return ApplicationError(
        payload["message"],
        type=payload["error"],
        non_retryable=payload["error"] in NON_RETRYABLE_ERRORS,
    )


def _check_recursion_limit(
    step: StepInput, config: dict[str, Any], graph: Any, *, resumed: bool
) -> None:
    """Fail the run as LangGraph does when it reaches `recursion_limit`
    without an end. One `graph.astream(input)` call counts its input as a step
    too, so it runs at most limit - 1 node steps; a call that resumes the
    thread (no input, or a Command) runs at most limit + 1. A run here the same."""
    # The run's config wins over one bound to the graph (`with_config`), as in LangGraph.
    bound = (getattr(graph, "config", None) or {}).get("recursion_limit")
    limit = config.get("recursion_limit") or bound or DEFAULT_RECURSION_LIMIT
    if step.step_number >= (limit + 1 if resumed else limit - 1):
        message = create_error_message(
            message=(
                f"Recursion limit of {limit} reached without hitting a stop condition. "
                "You can increase the limit by setting the `recursion_limit` config key."
            ),
            error_code=ErrorCode.GRAPH_RECURSION_LIMIT,
        )
        raise _as_activity_error(GraphRecursionError(message))


@contextlib.asynccontextmanager
async def _heartbeating() -> AsyncIterator[None]:
    """Heartbeat while a node runs, so a dead worker is noticed within the
    heartbeat timeout and a cancellation reaches the node promptly. Runs on
    the worker's loop, which nodes never block (they run on the GraphLoop)."""
    info = activity.info()
    if info.is_local:  # a local activity has no heartbeat: its workflow task stands for it
        yield
        return
    timeout = info.heartbeat_timeout
    interval = min(1.0, timeout.total_seconds() / 3) if timeout else 1.0

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(interval)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# How often a local step looks for a cancel asked of its run, where the
# database cannot notify (SQLite); PostgreSQL's NOTIFY wakes it at once.
_CANCEL_POLL_S = 0.25


@contextlib.asynccontextmanager
async def _stopped_on_request(storage: Storage, run_id: str) -> AsyncIterator[None]:
    """A step running as a local activity stops as soon as a cancel is asked
    of its run. Its workflow holds the workflow task while the step runs, so
    the cancel signal reaches it only when the SDK next heartbeats that task
    (up to ~8 s); the API also records the cancel in the run's row, which
    this watches. The step then fails as STEP_CANCEL_REQUESTED (not retried),
    and the workflow waits for the signal to end the run as it was asked."""
    if not activity.info().is_local:  # a regular step hears of it by heartbeat
        yield
        return
    step = asyncio.current_task()
    assert step is not None
    requested: str | None = None
    # Besides cancelling the watcher: on Python 3.11 a cancel that lands as
    # an `asyncio.wait_for` inside it completes can be swallowed.
    over = asyncio.Event()
    reading = False

    async def watch() -> None:
        nonlocal requested, reading
        async with storage.watch_cancel(run_id) as changes:
            # Waits before it first reads: most steps end sooner, and then
            # cost no query. On PostgreSQL only a cancel asked of the run
            # wakes it; one asked before the watch began is read at the first
            # wake, after at most a poll's time on either backend.
            live_s: float | None = _CANCEL_POLL_S  # the first wake, as on SQLite
            while not over.is_set():
                await changes.wait(_CANCEL_POLL_S, live_s=live_s)
                live_s = None  # then: a cancel's notification, or the safety timeout
                if over.is_set():
                    return
                reading = True
                try:
                    requested = await storage.cancel_requested(run_id)
                finally:
                    reading = False
                if requested and not over.is_set():
                    step.cancel()
                    return

    watcher = asyncio.create_task(watch())
    try:
        yield
    except asyncio.CancelledError:
        if not requested:
            raise
        step.uncancel()  # this task goes on only to report the failure
        raise ApplicationError(
            "a cancel was asked of the run",
            requested,
            type=STEP_CANCEL_REQUESTED,
            non_retryable=True,
        ) from None
    finally:
        over.set()
        # A read in flight is let finish: cancelling a query makes psycopg
        # send PostgreSQL a cancel request on a new connection and
        # SQLAlchemy drop the pooled connection it ran on.
        if not reading:
            watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _with_events(
    events: AsyncIterator[dict[str, Any]], sink: StreamSink, *, first_call: bool, held: list
) -> AsyncIterator[Any]:
    """stream_mode="events": every LangChain callback event goes to the client
    as an `events` event; the graph's own stream output (the root's
    `on_chain_stream`) is handed on like `astream`'s chunks.

    The graph's root chain starts and ends once per activity; a client must
    see it start once and end once per run, so only the first call's start is
    sent and each call's end is held back (`held`) for the caller to send
    when the run's graph has finished.
    """
    async for event in events:
        root = not event.get("parent_ids")
        if root and event["event"] == "on_chain_stream":
            yield event["data"]["chunk"]
        elif root and event["event"] == "on_chain_start" and not first_call:
            continue
        elif root and event["event"] == "on_chain_end":
            held[:] = [event]
        else:
            sink.emit("events", event)


async def _stream(
    chunks: AsyncIterator[Any],
    sink: StreamSink,
    *,
    subgraphs: bool,
    drop_initial_values: bool,
) -> list[str]:
    """Forward one astream call to the sink as one uninterrupted run would
    stream it; returns the names of the nodes that ran.

    Each call after the first re-emits the current checkpoint (as `values`,
    `checkpoints` and a `debug` checkpoint event), and every call ends with an
    empty `{"__interrupt__": ()}` update (our own stop after the step): none of
    that is part of the run's real stream.
    """
    ran: list[str] = []
    replayed = {"values", "checkpoints", "debug"}  # re-emitted once when a call resumes
    async for namespace, mode, chunk in chunks:
        root = not namespace
        if root and mode in replayed:
            if mode != "debug" or chunk.get("type") == "checkpoint":
                replayed.discard(mode)
                if drop_initial_values:
                    continue
        if root and mode == "updates" and isinstance(chunk, dict):
            if chunk.get("__interrupt__") == ():
                continue
            ran.extend(node for node in chunk if node != "__interrupt__")
        if namespace and not subgraphs:
            continue
        await sink.add(namespace, mode, chunk)
    return ran


_FIRST_PAGE = 4
_HISTORY_BATCH = 100
_RUN_CACHE_SIZE = 1024


async def new_snapshots(graph: Any, config: dict[str, Any], *, since: str | None) -> list[Any]:
    """StateSnapshots of every checkpoint newer than `since`, newest first."""
    # A super-step writes one checkpoint: the head alone tells, without
    # building a snapshot of `since` only to compare its id.
    head = [snapshot async for snapshot in graph.aget_state_history(config, limit=1)]
    if not head or _checkpoint_id(head[0].config) == since:
        return []
    if _checkpoint_id(head[0].parent_config) == since:
        return head
    # More than one (an input step, a run's first step with its input): read
    # on in small pages, not a long one, as each row brings the checkpoint's
    # channel values and a long thread's history may be large.
    snapshots = [head[0]]
    page_size = _FIRST_PAGE
    while True:
        page = [
            snapshot
            async for snapshot in graph.aget_state_history(
                config, before=snapshots[-1].config, limit=page_size
            )
        ]
        for snapshot in page:
            if _checkpoint_id(snapshot.config) == since:
                return snapshots
            snapshots.append(snapshot)
        if len(page) < page_size:  # the thread's first checkpoint: all are new
            return snapshots
        page_size = min(page_size * 4, _HISTORY_BATCH)


def due_nodes(snapshot: Any) -> list[str]:
    """The nodes of the thread's next super-step. LangGraph's `next` leaves out
    tasks that have written their results: when all have (a worker died after
    its nodes ended, before their checkpoint), it is empty, yet the super-step
    is not done until a run commits it (without running them again)."""
    if snapshot.next or not snapshot.tasks:
        return list(snapshot.next)
    return [task.name for task in snapshot.tasks]


def _checkpoint_id(config: dict[str, Any] | None) -> str | None:
    return ((config or {}).get("configurable") or {}).get("checkpoint_id")


def _replay_from(kwargs: RunKwargs) -> str | None:
    """The checkpoint a run with no input and no command resumes from (time
    travel), as LangGraph Server runs `astream(None, config with checkpoint_id)`."""
    if kwargs.input is None and kwargs.command is None:
        return kwargs.fork_checkpoint_id
    return None


def _at_checkpoint(config: dict[str, Any], checkpoint_id: str) -> dict[str, Any]:
    return {**config, "configurable": {**config["configurable"], "checkpoint_id": checkpoint_id}}


def _has_interrupts(snapshot: Any) -> bool:
    return any(task.interrupts for task in snapshot.tasks)


@dataclass(frozen=True)
class _NewStates:
    """What a step leaves to store: the thread's head, as a StateSnapshot and
    as stored, the states of its new checkpoints, the head with subgraphs."""

    head: Any
    head_payload: dict[str, Any]
    payloads: list[dict[str, Any]]
    with_subgraphs: dict[str, Any] | None


class RunActivities:
    def __init__(
        self,
        storage: Storage,
        graphs: GraphRegistry,
        checkpointer: BaseCheckpointSaver,
        store: Any = None,
        graph_loop: GraphLoop | None = None,
        temporal: Client | None = None,
        fence: StepFence | None = None,
    ) -> None:
        self.temporal = temporal
        self.fence = fence
        self.storage = storage
        self.graphs = graphs
        self.checkpointer = checkpointer
        self.store = store
        self.graph_loop = graph_loop or GraphLoop()
        self._bound: tuple[BaseCheckpointSaver, Any] | None = None
        self._runs: OrderedDict[str, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()

    async def _load(self, run_id: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """The run, the config its graph sees, and its context."""
        cached = self._runs.get(run_id)
        if cached is None:
            run = await self.storage.get_run(run_id)
            if run is None:
                raise ApplicationError(
                    f"Run {run_id} was deleted", type="RunDeleted", non_retryable=True
                )
            cached = await self._remember(run)
        run, assistant = cached
        config = graph_config(run, assistant, activity.info().attempt)
        return run, config, graph_context(run, assistant)

    async def _remember(self, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """A run's kwargs and assistant are fixed once it runs (as in LangGraph
        Server): they are read once per run, not once per step."""
        assistant = await self.storage.get_assistant(run["assistant_id"]) or {}
        self._runs[run["run_id"]] = cached = (run, assistant)
        while len(self._runs) > _RUN_CACHE_SIZE:
            self._runs.popitem(last=False)
        return cached

    @contextlib.asynccontextmanager
    async def _graph(
        self,
        graph_id: str,
        config: dict[str, Any],
        access: AccessContext = "threads.create_run",
        context: dict[str, Any] | None = None,
    ) -> AsyncIterator[Any]:
        """The graph, from a factory called as LangGraph Server calls it for
        `access` (a run's execution gets the run's `context`)."""
        checkpointer, store = self._loop_bound()
        try:
            async with self.graphs.open_graph(
                graph_id,
                config,
                checkpointer=checkpointer,
                store=store,
                access=access,
                context=context,
            ) as graph:
                yield graph
        except GraphLoadError as exc:
            raise _as_activity_error(exc) from exc

    def _loop_bound(self) -> tuple[BaseCheckpointSaver, Any]:
        """The checkpointer and store as the graph sees them: usable from the
        graph loop, their I/O still done on the worker's loop that opened them."""
        if self._bound is None:
            owner = asyncio.get_running_loop()
            store = LoopBoundStore(self.store, owner) if self.store is not None else None
            self._bound = (LoopBoundCheckpointer(self.checkpointer, owner, self.fence), store)
        return self._bound

    async def _save_state(
        self,
        graph: Any,
        config: dict[str, Any],
        thread_id: str,
        *,
        since: str | None,
        streamed: tuple[str, list[tuple[str, bytes]]] | None = None,
    ) -> Any:
        """Store the thread's new head state, and a state per checkpoint written
        after `since` (for get_history), with the step's last stream events
        (`streamed`: run id, events) in the same transaction; returns the head
        StateSnapshot."""
        states = await self._new_states(graph, config, since=since)
        await self._store_states(thread_id, states, streamed=streamed)
        return states.head

    async def _new_states(
        self, graph: Any, config: dict[str, Any], *, since: str | None
    ) -> _NewStates:
        """The thread's head StateSnapshot and the states to store after a
        step (see _save_state)."""
        snapshots = await new_snapshots(graph, config, since=since)
        # The newest new checkpoint is the head; no new one: ask for the head.
        head = snapshots[0] if snapshots else await graph.aget_state(config)
        states = [snapshot_payload(s) for s in snapshots]
        with_subgraphs = None
        if any(isinstance(task.state, dict) for task in head.tasks):
            # Stopped inside a subgraph: keep its state too, for
            # get_state(subgraphs=True). Rare, so only then is it computed.
            with_subgraphs = snapshot_payload(await graph.aget_state(config, subgraphs=True))
        return _NewStates(
            head, states[0] if states else snapshot_payload(head), states, with_subgraphs
        )

    async def _store_states(
        self,
        thread_id: str,
        states: _NewStates,
        *,
        streamed: tuple[str, list[tuple[str, bytes]]] | None = None,
        finish_run: str | None = None,
    ) -> RunFinished | None:
        """One transaction: the states, the step's last events and, after
        the run's last step (`finish_run`), the run's success."""
        try:
            return await self.storage.save_thread_states(
                thread_id,
                states.head_payload,
                states.payloads,
                states.with_subgraphs,
                streamed=streamed,
                finish_run=finish_run,
            )
        except BaseException:
            if streamed is not None and streamed[1]:
                # The state could not be saved; what the step streamed is
                # written anyway (a retry does not run its nodes again).
                await asyncio.shield(self._write_events(*streamed))
            raise

    async def _write_events(self, run_id: str, events: list[tuple[str, bytes]]) -> None:
        try:
            await self.storage.append_events(run_id, events)
        except Exception as exc:  # the save's own failure is the one raised
            log.warning("run %s: %d stream events not written: %s", run_id, len(events), exc)

    async def _head(self, thread_id: str) -> Any:
        return await self.checkpointer.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )

    async def _run_graph(
        self,
        graph: Any,
        run: dict[str, Any],
        graph_input: Any,
        config: dict[str, Any],
        context: dict[str, Any] | None,
        *,
        drop_initial_values: bool,
        label: str,
        rest: list[tuple[str, bytes]] | None = None,
        **interrupts: Any,
    ) -> list[str]:
        """One `astream` call, streamed to the run's event log; the nodes that ran.

        The graph runs on the graph loop (`label` names it there), the stream
        is written from the worker's loop."""
        kwargs = RunKwargs.of(run)
        requested = kwargs.stream_mode
        options = {
            "stream_mode": graph_stream_modes(requested),
            "subgraphs": True,
            "context": context,
            "durability": kwargs.durability,
            **interrupts,
        }
        try:
            # One LangSmith trace per run, not one per step (steadygraph.tracing.langsmith).
            async with (
                langsmith.in_run_trace(run),
                StreamSink.open(self.storage, run["run_id"], requested, rest=rest) as sink,
            ):
                held_end: list[dict[str, Any]] = []
                if "events" in requested:
                    chunks = _with_events(
                        langsmith.without_run_parent(
                            self.graph_loop.stream(
                                label,
                                lambda: graph.astream_events(
                                    graph_input, config, version="v2", **options
                                ),
                            ),
                            run["run_id"],
                        ),
                        sink,
                        first_call=not drop_initial_values,
                        held=held_end,
                    )
                else:
                    chunks = self.graph_loop.stream(
                        label, lambda: graph.astream(graph_input, config, **options)
                    )
                ran = await _stream(
                    chunks,
                    sink,
                    subgraphs=kwargs.subgraphs,
                    drop_initial_values=drop_initial_values,
                )
                if held_end:
                    state = await graph.aget_state(config)
                    if not state.next or _has_interrupts(state):
                        sink.emit("events", held_end[0])
                return ran
        except Exception as exc:
            raise _as_activity_error(exc) from exc

    @activity.defn(name=ACTIVITY_PREPARE_RUN)
    async def prepare_run(self, ref: RunRef) -> RunPlan:
        running = await self._start(ref)
        if running is None:
            return RunPlan(active=False, ended_as=await self._ended_as(ref))
        run, config, context = await self._load(ref.run_id)
        async with self._graph(ref.graph_id, config, context=context) as graph:
            rest: list[tuple[str, bytes]] = []  # written with the state (_save_state)
            since = await self._apply_input(ref, run, graph, config, context, rest)
            snapshot = await self._save_state(
                graph, config, ref.thread_id, since=since, streamed=(ref.run_id, rest)
            )
            return await self._plan(run, graph, config, snapshot)

    async def _ended_as(self, ref: RunRef) -> str | None:
        """Of a run found ended as it is prepared: the status it ended with,
        if it ran (the thread's head is its own), else None (cancelled before
        it started, deleted: skipped). A run that ran is found so when its
        workflow runs again from the start: local activities are recorded in
        the history when their workflow task completes, and a worker that died
        before that, after the run had ended, leaves them to run again."""
        run = await self.storage.get_run(ref.run_id)
        if run is None or run["status"] in ACTIVE_RUN_STATUSES:
            return None
        head = await self._head(ref.thread_id)
        if head is None or head.metadata.get("run_id") != ref.run_id:
            return None
        return str(run["status"])

    async def _start(self, ref: RunRef) -> dict[str, Any] | None:
        """Mark the run running; None when it is gone or already ended."""
        running = await self.storage.mark_run_running(ref.run_id)
        if running is None:
            return None
        if ref.run_id not in self._runs:
            await self._remember(running)
        log_run_started(ref, activity.info().attempt)
        return running

    async def _apply_input(
        self,
        ref: RunRef,
        run: dict[str, Any],
        graph: Any,
        config: dict[str, Any],
        context: dict[str, Any] | None,
        rest: list[tuple[str, bytes]],
    ) -> str | None:
        """Apply the run's input (LangGraph's input step), leaving its last
        stream events in `rest`; returns the thread's last checkpoint before
        the run, from which its states are new."""
        kwargs = RunKwargs.of(run)
        command, run_input = kwargs.command, kwargs.input

        head = await self._head(ref.thread_id)
        since = _checkpoint_id(head.config if head else None)
        input_applied = head is not None and head.metadata.get("run_id") == ref.run_id
        if input_applied:
            # An earlier attempt got this far; its states may not all be saved.
            since = await self._last_checkpoint_before(ref)
        if input_applied and head is not None and head.metadata.get("source") == "input":
            # An earlier attempt died between LangGraph's two checkpoints of the
            # input step: the input is stored (as pending writes) but not yet
            # applied. Resuming with no input finishes that step, as LangGraph
            # resumes any interrupted step; the input is never applied twice.
            with fenced_steps():
                await self._run_graph(
                    graph,
                    run,
                    None,
                    config,
                    context,
                    interrupt_before="*",
                    drop_initial_values=False,
                    label=f"input of run {ref.run_id}",
                    rest=rest,
                )
        if run_input is not None and command is None and not input_applied:
            input_config = config
            fork_from = kwargs.fork_checkpoint_id
            if fork_from:
                input_config = {
                    **config,
                    "configurable": {**config["configurable"], "checkpoint_id": fork_from},
                }
            # interrupt_before="*" applies the input (LangGraph's input step) and
            # stops before the first node, so the first node runs in an activity
            # of its own, named after it. A fork writes beside the head: unfenced.
            with fenced_steps() if not fork_from else contextlib.nullcontext():
                await self._run_graph(
                    graph,
                    run,
                    run_input,
                    input_config,
                    context,
                    interrupt_before="*",
                    drop_initial_values=False,
                    label=f"input of run {ref.run_id}",
                    rest=rest,
                )
        return since

    async def _last_checkpoint_before(self, ref: RunRef) -> str | None:
        """The thread's newest checkpoint written before this run."""
        thread = {"thread_id": ref.thread_id, "checkpoint_ns": ""}
        async for saved in self.checkpointer.alist({"configurable": thread}):  # newest first
            if saved.metadata.get("run_id") != ref.run_id:
                return saved.config["configurable"].get("checkpoint_id")
        return None

    async def _plan(
        self, run: dict[str, Any], graph: Any, config: dict[str, Any], snapshot: Any
    ) -> RunPlan:
        """Where the run starts (the thread's head `snapshot` once the input is
        applied, or the checkpoint it travels back to) and where it stops."""
        kwargs = RunKwargs.of(run)
        command = kwargs.command
        replay = _replay_from(kwargs)
        if replay:
            # Time travel: the run goes on from that checkpoint, its first step
            # forking the thread there (see _step); the head stays as it is until then.
            snapshot = await graph.aget_state(_at_checkpoint(config, replay))
        next_nodes = due_nodes(snapshot)
        if command and command.get("goto"):
            goto = command["goto"]
            targets = goto if isinstance(goto, list) else [goto]
            next_nodes = [t if isinstance(t, str) else t.get("node", "send") for t in targets]
        return RunPlan(
            active=True,
            next=next_nodes,
            checkpoint_id=_checkpoint_id(snapshot.config),
            resuming=kwargs.input is None,
            has_command=command is not None,
            # A replayed node that interrupted runs again (and may interrupt again).
            interrupted=_has_interrupts(snapshot) and not replay,
            interrupt_before=node_list(kwargs.interrupt_before)
            + node_list(getattr(graph, "interrupt_before_nodes", None)),
            interrupt_after=node_list(kwargs.interrupt_after)
            + node_list(getattr(graph, "interrupt_after_nodes", None)),
        )

    @activity.defn(dynamic=True)
    async def execute_superstep(self, args: Sequence[RawValue]) -> StepResult:
        step: StepInput = activity.payload_converter().from_payload(args[0].payload, StepInput)
        if step.prepare:
            return await self._prepare_and_step(step)
        run, config, context = await self._load(step.run_id)
        async with self._graph(step.graph_id, config, context=context) as graph:
            return await self._step(step, run, graph, config, context)

    async def _prepare_and_step(self, step: StepInput) -> StepResult:
        """A run's first activity (StepInput.prepare): prepare the run and,
        with the same graph, run its first step if the run starts with the
        nodes the activity is named after. Otherwise (the API's guess was
        wrong, the run stops before them) it only prepares, as `prepare_run`."""
        ref = RunRef(step.run_id, step.thread_id, step.graph_id)
        if await self._start(ref) is None:
            plan = RunPlan(active=False, ended_as=await self._ended_as(ref))
            return StepResult(None, [], [], False, plan=plan, stepped=False)
        run, config, context = await self._load(ref.run_id)
        async with self._graph(ref.graph_id, config, context=context) as graph:
            rest: list[tuple[str, bytes]] = []
            since = await self._apply_input(ref, run, graph, config, context, rest)
            plan = await self._plan(run, graph, config, await graph.aget_state(config))
            if not run_starts_with(plan, step.nodes):
                await self._save_state(
                    graph, config, ref.thread_id, since=since, streamed=(ref.run_id, rest)
                )
                return StepResult(
                    plan.checkpoint_id, plan.next, [], plan.interrupted, plan=plan, stepped=False
                )
            stops = RunStops.of(plan, direct=step.stops is not None and step.stops.direct)
            first = replace(step, from_checkpoint_id=plan.checkpoint_id, stops=stops, prepare=False)
            # The input's states are saved with the step's (from `since` on).
            result = await self._step(first, run, graph, config, context, prepared=(since, rest))
            return replace(result, plan=plan)

    async def _step(
        self,
        step: StepInput,
        run: dict[str, Any],
        graph: Any,
        config: dict[str, Any],
        context: dict[str, Any] | None,
        prepared: tuple[str | None, list[tuple[str, bytes]]] | None = None,
    ) -> StepResult:
        """One super-step. `prepared`: the run was prepared just before, in this
        activity: the head is the step's checkpoint, the thread's states are
        new from the first checkpoint given, and the events left with it come
        first."""
        rest: list[tuple[str, bytes]] = []  # written with the state (_save_state)
        since = step.from_checkpoint_id
        if prepared is not None:
            head_id = step.from_checkpoint_id
            since, rest = prepared
        else:
            head_id = await head_checkpoint_id(self.checkpointer, step.thread_id)
        ran: list[str] = []
        run_config = config
        if step.from_checkpoint_id and await self._replays_now(run, step, head_id):
            # LangGraph's own time travel: run from the old checkpoint, which
            # writes a "fork" checkpoint there and the step's after it.
            run_config, since = _at_checkpoint(config, step.from_checkpoint_id), head_id
        if head_id == step.from_checkpoint_id or run_config is not config:
            kwargs = RunKwargs.of(run)
            resumed = kwargs.input is None or kwargs.command is not None
            _check_recursion_limit(step, config, graph, resumed=resumed)
            command = kwargs.command if step.with_command else None
            # A replay forks beside the head: unfenced.
            fence = fenced_steps() if run_config is config else contextlib.nullcontext()
            async with _heartbeating(), _stopped_on_request(self.storage, step.run_id):
                with fence:
                    ran = await self._run_graph(
                        graph,
                        run,
                        Command(**command) if command else None,
                        run_config,
                        context,
                        interrupt_after="*",
                        drop_initial_values=not step.emit_initial_values,
                        label=f"{', '.join(step.nodes) or 'resume'} of run {step.run_id}",
                        rest=rest,
                    )
        # else: an earlier attempt finished this step and only its report was
        # lost; the checkpointer already holds the result, so nothing re-runs.

        states = await self._new_states(graph, config, since=since)
        snapshot = states.head
        result = StepResult(
            checkpoint_id=_checkpoint_id(snapshot.config),
            next=due_nodes(snapshot),
            ran=list(dict.fromkeys(ran)) or step.nodes,
            interrupted=_has_interrupts(snapshot),
        )
        if step.stops is None or not run_ends_after(result, step.stops):
            await self._store_states(step.thread_id, states, streamed=(step.run_id, rest))
            return result
        # The run's last step: its success is recorded here, with the step's
        # state in one transaction, not by a finish_run activity of its own.
        # A retried attempt records it again (the same end).
        end = RunEnd(step.run_id, "success", None, step.thread_id, step.graph_id, step.stops.direct)
        await self._before_end(end)
        finished = await self._store_states(
            step.thread_id, states, streamed=(step.run_id, rest), finish_run=step.run_id
        )
        await self._after_end(end, finished)
        return replace(result, run_ended=True)

    async def _replays_now(self, run: dict[str, Any], step: StepInput, head_id: str | None) -> bool:
        """The run's first step of a replay from an earlier checkpoint, not yet
        done: the head is still another run's (an attempt that forked already
        left a head of this run's, which later steps go on from)."""
        replay = _replay_from(RunKwargs.of(run))
        if not replay or step.from_checkpoint_id != replay or head_id == replay:
            return False
        head = await self._head(step.thread_id)
        return (head.metadata.get("run_id") if head else None) != run["run_id"]

    @activity.defn(name=ACTIVITY_FINISH_RUN)
    async def finish_run(self, end: RunEnd) -> None:
        await self._record_end(end)

    async def _record_end(self, end: RunEnd) -> None:
        await self._before_end(end)
        finished = None
        if end.status == "rollback":
            await self._roll_back(end)
        else:
            final_event = None
            if end.status == "error" and end.error:
                # LangGraph Server ends a failed run's stream with an `error` event.
                final_event = ("error", dumps(end.error))
            finished = await self.storage.finish_run(
                end.run_id, status=end.status, error=end.error, final_event=final_event
            )
        await self._after_end(end, finished)

    async def _before_end(self, end: RunEnd) -> None:
        cached = self._runs.pop(end.run_id, None)
        await langsmith.record_run(self.storage, end, cached[0] if cached else None)

    async def _after_end(self, end: RunEnd, finished: RunFinished | None) -> None:
        if end.direct:
            await self._report_direct_end(end, finished)
        times = (finished.started_at, finished.ended_at) if finished else None
        await log_run_ended(self.storage, end, times)

    async def _report_direct_end(self, end: RunEnd, finished: RunFinished | None) -> None:
        """Tell the thread's workflow that a run it did not start has ended,
        if anything waits there. Whether anything does is read in the
        transaction that records the end (after it locked the thread's row)
        or after it, so a workflow that looked before sees the run active and
        gets this signal, and one that looks after sees it ended."""
        if self.temporal is None:
            return
        if finished is not None:
            waiters = finished.thread_has_waiters
        else:
            waiters = await self.storage.thread_has_waiters(end.thread_id)
        if not waiters:
            return
        try:
            await self.temporal.get_workflow_handle(thread_workflow_id(end.thread_id)).signal(
                SIGNAL_RUN_ENDED, end.run_id
            )
        except RPCError as exc:  # no thread workflow runs: nothing waits there
            log.debug("thread workflow of run %s not told of its end: %s", end.run_id, exc)

    async def _roll_back(self, end: RunEnd) -> None:
        """Erase the run and every checkpoint it wrote: the thread is back where
        it was before the run (LangGraph Server deletes rolled-back runs too)."""
        await delete_run_checkpoints(self.checkpointer, end.thread_id, end.run_id)
        await self.storage.checkpoints.delete(end.thread_id, run_id=end.run_id)
        state = None
        if await self._head(end.thread_id) is not None:
            _, config, _ = await self._load(end.run_id)
            async with self._graph(end.graph_id, config, "threads.read") as graph:
                state = snapshot_payload(await graph.aget_state(config))
        await self.storage.delete_run_record(end.run_id)
        await self.storage.update_thread_state(end.thread_id, state)

    @activity.defn(name=ACTIVITY_UPDATE_STATE)
    async def update_state(self, update: StateUpdate) -> StateUpdateResult:
        """threads.update_state / create(supersteps=...): LangGraph's own
        update_state against the durable checkpointer, then the stored state."""
        base = {"configurable": {"thread_id": update.thread_id, "checkpoint_ns": ""}}
        config = base
        if update.checkpoint_id:
            config = {
                "configurable": {**base["configurable"], "checkpoint_id": update.checkpoint_id}
            }
        head = await self._head(update.thread_id)
        async with self._graph(update.graph_id, base, "threads.update") as graph:
            try:
                if update.supersteps is not None:
                    written = await graph.abulk_update_state(
                        config,
                        [
                            [
                                LangGraphStateUpdate(u.get("values"), u.get("as_node"), None)
                                for u in superstep
                            ]
                            for superstep in update.supersteps
                        ],
                    )
                else:
                    written = await graph.aupdate_state(
                        config, update.values, as_node=update.as_node
                    )
            except Exception as exc:
                # Refused for good: it will never apply, so it no longer holds
                # the thread's new runs behind it.
                await self.storage.count_state_update(update.thread_id, -1)
                error = _as_activity_error(exc)
                raise ApplicationError(error.message, type=error.type, non_retryable=True) from exc
            snapshot = await self._save_state(
                graph, base, update.thread_id, since=_checkpoint_id(head.config if head else None)
            )
        await self.storage.update_thread_state(update.thread_id, snapshot_payload(snapshot))
        # Applied: runs created from now on need not queue behind it.
        await self.storage.count_state_update(update.thread_id, -1)
        return StateUpdateResult(checkpoint=checkpoint_ref(written))

    @activity.defn(name=ACTIVITY_DROP_QUEUED_RUN)
    async def drop_queued_run(self, request: CancelRequest) -> None:
        """A run cancelled before it started: nothing ran, so nothing to undo."""
        if request.action == "rollback":
            await self.storage.delete_run_record(request.run_id)
        else:
            await self.storage.finish_run(request.run_id, status="interrupted", error=None)

    @activity.defn(name=ACTIVITY_DELETE_THREAD)
    async def delete_thread(self, ref: RunRef) -> None:
        """A stateless run's thread (on_completion="delete"), once the run ended."""
        await self.storage.delete_thread(ref.thread_id)
        await self.checkpointer.adelete_thread(ref.thread_id)
