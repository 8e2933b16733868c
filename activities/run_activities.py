"""The activities of RunWorkflow.

`prepare_run` applies the run's input, each dynamic activity (named after its
nodes) executes exactly one LangGraph super-step, `finish_run` records the
outcome. A super-step is `graph.astream(..., interrupt_after="*")` against the
durable checkpointer: LangGraph stops after one step and keeps the writes of
nodes that finished, so a retried step re-runs only what did not finish.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from temporalio import activity
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from activities.graph_config import graph_config, graph_context, node_list
from steadygraph.graphs import GraphLoadError, GraphRegistry
from steadygraph.serde import error_payload, snapshot_payload
from steadygraph.storage import Storage
from workflows.models import (
    ACTIVITY_FINISH_RUN,
    ACTIVITY_PREPARE_RUN,
    RunEnd,
    RunPlan,
    RunRef,
    StepInput,
    StepResult,
)

_NON_RETRYABLE = {"GraphRecursionError", "InvalidUpdateError", "EmptyInputError", "GraphLoadError"}


def _as_activity_error(exc: Exception) -> ApplicationError:
    """Carry the graph's exception class and message to the workflow, which
    records them on the run as LangGraph Server does ({"error", "message"})."""
    payload = error_payload(exc)
    return ApplicationError(
        payload["message"],
        type=payload["error"],
        non_retryable=payload["error"] in _NON_RETRYABLE,
    )


@contextlib.asynccontextmanager
async def _heartbeating() -> AsyncIterator[None]:
    """Heartbeat while a node runs, so a dead worker is noticed within the
    heartbeat timeout and a cancellation reaches the node promptly."""
    timeout = activity.info().heartbeat_timeout
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


def _checkpoint_id(config: dict[str, Any] | None) -> str | None:
    return ((config or {}).get("configurable") or {}).get("checkpoint_id")


def _has_interrupts(snapshot: Any) -> bool:
    return any(task.interrupts for task in snapshot.tasks)


class RunActivities:
    def __init__(
        self,
        storage: Storage,
        graphs: GraphRegistry,
        checkpointer: BaseCheckpointSaver,
        store: Any = None,
    ) -> None:
        self.storage = storage
        self.graphs = graphs
        self.checkpointer = checkpointer
        self.store = store

    async def _load(self, run_id: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """The run, the config its graph sees, and its context."""
        run = await self.storage.get_run(run_id)
        if run is None:
            raise ApplicationError(
                f"Run {run_id} was deleted", type="RunDeleted", non_retryable=True
            )
        assistant = await self.storage.get_assistant(run["assistant_id"]) or {}
        config = graph_config(run, assistant, activity.info().attempt)
        return run, config, graph_context(run, assistant)

    @contextlib.asynccontextmanager
    async def _graph(self, graph_id: str, config: dict[str, Any]) -> AsyncIterator[Any]:
        try:
            async with self.graphs.open_graph(
                graph_id, config, checkpointer=self.checkpointer, store=self.store
            ) as graph:
                yield graph
        except GraphLoadError as exc:
            raise _as_activity_error(exc) from exc

    async def _head(self, thread_id: str) -> Any:
        return await self.checkpointer.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )

    @activity.defn(name=ACTIVITY_PREPARE_RUN)
    async def prepare_run(self, ref: RunRef) -> RunPlan:
        if await self.storage.mark_run_running(ref.run_id) is None:
            return RunPlan(active=False)
        run, config, context = await self._load(ref.run_id)
        async with self._graph(ref.graph_id, config) as graph:
            return await self._prepare(ref, run, graph, config, context)

    async def _prepare(
        self,
        ref: RunRef,
        run: dict[str, Any],
        graph: Any,
        config: dict[str, Any],
        context: dict[str, Any] | None,
    ) -> RunPlan:
        kwargs = run["kwargs"]
        command, run_input = kwargs.get("command"), kwargs.get("input")

        head = await self._head(ref.thread_id)
        input_applied = head is not None and head.metadata.get("run_id") == ref.run_id
        if run_input is not None and command is None and not input_applied:
            input_config = config
            fork_from = ((kwargs.get("config") or {}).get("configurable") or {}).get(
                "checkpoint_id"
            )
            if fork_from:
                input_config = {
                    **config,
                    "configurable": {**config["configurable"], "checkpoint_id": fork_from},
                }
            # interrupt_before="*" applies the input (LangGraph's input step) and
            # stops before the first node, so the first node runs in an activity
            # of its own, named after it.
            try:
                async for _ in graph.astream(
                    run_input,
                    input_config,
                    interrupt_before="*",
                    stream_mode="values",
                    context=context,
                    durability=kwargs.get("durability") or "async",
                ):
                    pass
            except Exception as exc:
                raise _as_activity_error(exc) from exc

        snapshot = await graph.aget_state(config)
        await self.storage.save_thread_state(ref.thread_id, snapshot_payload(snapshot))
        next_nodes = list(snapshot.next)
        if command and command.get("goto"):
            goto = command["goto"]
            targets = goto if isinstance(goto, list) else [goto]
            next_nodes = [t if isinstance(t, str) else t.get("node", "send") for t in targets]
        return RunPlan(
            active=True,
            next=next_nodes,
            checkpoint_id=_checkpoint_id(snapshot.config),
            resuming=run_input is None,
            has_command=command is not None,
            interrupted=_has_interrupts(snapshot),
            interrupt_before=node_list(kwargs.get("interrupt_before"))
            + node_list(getattr(graph, "interrupt_before_nodes", None)),
            interrupt_after=node_list(kwargs.get("interrupt_after"))
            + node_list(getattr(graph, "interrupt_after_nodes", None)),
        )

    @activity.defn(dynamic=True)
    async def execute_superstep(self, args: Sequence[RawValue]) -> StepResult:
        step: StepInput = activity.payload_converter().from_payload(args[0].payload, StepInput)
        run, config, context = await self._load(step.run_id)
        async with self._graph(step.graph_id, config) as graph:
            return await self._step(step, run, graph, config, context)

    async def _step(
        self,
        step: StepInput,
        run: dict[str, Any],
        graph: Any,
        config: dict[str, Any],
        context: dict[str, Any] | None,
    ) -> StepResult:
        head = await self._head(step.thread_id)
        ran: list[str] = []
        if _checkpoint_id(head.config if head else None) == step.from_checkpoint_id:
            step_input = Command(**run["kwargs"]["command"]) if step.with_command else None
            try:
                async with _heartbeating():
                    async for chunk in graph.astream(
                        step_input,
                        config,
                        interrupt_after="*",
                        stream_mode="updates",
                        context=context,
                        durability=run["kwargs"].get("durability") or "async",
                    ):
                        ran.extend(node for node in chunk if node != "__interrupt__")
            except Exception as exc:
                raise _as_activity_error(exc) from exc
        # else: an earlier attempt finished this step and only its report was
        # lost; the checkpointer already holds the result, so nothing re-runs.

        snapshot = await graph.aget_state(config)
        await self.storage.save_thread_state(step.thread_id, snapshot_payload(snapshot))
        return StepResult(
            checkpoint_id=_checkpoint_id(snapshot.config),
            next=list(snapshot.next),
            ran=list(dict.fromkeys(ran)) or step.nodes,
            interrupted=_has_interrupts(snapshot),
        )

    @activity.defn(name=ACTIVITY_FINISH_RUN)
    async def finish_run(self, end: RunEnd) -> None:
        await self.storage.finish_run(end.run_id, status=end.status, error=end.error)
