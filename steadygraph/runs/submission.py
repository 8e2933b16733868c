"""Turning a run request into a stored run handed to its thread's workflow."""

from __future__ import annotations

import logging
from typing import Any

from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from steadygraph.assistants.lookup import resolve_assistant
from steadygraph.auth import Filters, authorize, current_caller, visible
from steadygraph.errors import NotFound, Unavailable
from steadygraph.ids import new_id
from steadygraph.runs.headers import configurable_headers
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.runs.request import RunCreate
from steadygraph.services import Services
from steadygraph.temporal.contract import (
    SIGNAL_QUEUE_STATE_UPDATE,
    SIGNAL_SUBMIT_RUN,
    THREAD_ID_ATTRIBUTE,
    QueuedStateUpdate,
    RunInput,
    RunRequest,
    ThreadInput,
    run_memo,
    run_search_attributes,
    run_workflow_id,
    thread_workflow_id,
)
from steadygraph.workflows import RunWorkflow, ThreadWorkflow

log = logging.getLogger(__name__)


def _stream_modes(body: RunCreate) -> list[str]:
    modes = body.stream_mode if isinstance(body.stream_mode, list) else [body.stream_mode]
    return list(dict.fromkeys(modes))


def run_kwargs(
    body: RunCreate,
    *,
    run_id: str,
    thread_id: str,
    assistant: dict[str, Any],
    metadata: dict[str, Any],
    temporary: bool,
    headers: dict[str, str] | None = None,
) -> RunKwargs:
    """`headers`: the request's headers picked by `http.configurable_headers`."""
    user_config = body.config.model_dump(exclude_none=True) if body.config else {}
    configurable = {
        **(user_config.pop("configurable", None) or {}),
        **(headers or {}),
        "run_id": run_id,
        "thread_id": thread_id,
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
        "user_id": "",
    }
    caller = current_caller()
    if caller is not None:
        # Who asked for the run, as LangGraph Server hands it to the graph
        # (never what the request's own configurable claims).
        configurable.update(caller.run_configurable(), user_id=caller.user.identity)
    checkpoint = body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else {}
    checkpoint_id = body.checkpoint_id or checkpoint.get("checkpoint_id")
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return RunKwargs(
        input=body.input,
        command=body.command,
        config={**user_config, "configurable": configurable, "metadata": metadata},
        context=body.context or {},
        stream_mode=_stream_modes(body),
        interrupt_before=body.interrupt_before,
        interrupt_after=body.interrupt_after,
        webhook=body.webhook,
        feedback_keys=body.feedback_keys,
        temporary=temporary,
        subgraphs=body.stream_subgraphs,
        resumable=body.stream_resumable,
        checkpoint_during=True if body.checkpoint_during is None else body.checkpoint_during,
        durability=body.durability or "async",
    )


async def _thread_for_run(
    ctx: Services,
    thread_id: str | None,
    body: RunCreate,
    *,
    filters: Filters | None,
    new_metadata: dict[str, Any],
) -> dict[str, Any]:
    """The run's thread: a new one for a stateless run, else an existing one
    (or a new one under that id with if_not_exists="create").

    `filters` is the threads.create_run handler's filter (an existing thread
    must pass it); a thread made for the run starts with `new_metadata`.
    """
    if thread_id is None:
        return await ctx.storage.create_thread(new_id(), new_metadata)
    existing = await ctx.storage.get_thread(thread_id)
    if existing is None:
        if body.if_not_exists != "create":
            raise NotFound("Thread or assistant not found.")
        existing = await ctx.storage.create_thread(thread_id, new_metadata, if_exists="do_nothing")
    if not visible(existing["metadata"], filters):
        raise NotFound("Thread or assistant not found.")
    return existing


async def submit_run(
    ctx: Services, thread_id: str | None, body: RunCreate, *, temporary: bool = False
) -> dict[str, Any]:
    """Store a pending run and hand it to its thread's workflow; returned at once.

    `thread_id=None` is a stateless run on a new thread (deleted after the run
    when `temporary`).
    """
    storage = ctx.storage
    assistant = await resolve_assistant(ctx, body.assistant_id)
    if body.webhook:
        ctx.check_webhook(body.webhook)
    value: dict[str, Any] = {
        "thread_id": thread_id,
        "assistant_id": assistant["assistant_id"],
        "metadata": dict(body.metadata or {}),
        "multitask_strategy": body.multitask_strategy,
        "if_not_exists": body.if_not_exists,
        "after_seconds": body.after_seconds or 0,
        "kwargs": body.model_dump(mode="json", exclude_none=True),
    }
    filters = await authorize("threads", "create_run", value)
    # With custom auth, a thread made for the run starts with the run's
    # metadata as the handler left it (e.g. a stamped owner), as in LangGraph Server.
    new_metadata = dict(value.get("metadata") or {}) if current_caller() is not None else {}
    thread = await _thread_for_run(ctx, thread_id, body, filters=filters, new_metadata=new_metadata)
    thread_id = thread["thread_id"]

    run_id = new_id()
    metadata = {
        **(assistant.get("metadata") or {}),
        **{k: v for k, v in thread["metadata"].items() if k not in ("graph_id", "assistant_id")},
        **(value.get("metadata") or {}),
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
    }
    run = await storage.create_run(
        run_id=run_id,
        thread_id=thread_id,
        assistant=assistant,
        metadata=metadata,
        kwargs=run_kwargs(
            body,
            run_id=run_id,
            thread_id=thread_id,
            assistant=assistant,
            metadata=metadata,
            temporary=temporary,
            headers=configurable_headers(ctx.project.http.configurable_headers),
        ).stored(),
        multitask_strategy=body.multitask_strategy,
        # Decided here, atomically with the insert: the thread's workflow may
        # not be running, nor any worker alive, when the run is accepted.
        reject_if_busy=body.multitask_strategy == "reject",
        # A run that has its thread to itself needs no ordering: it starts as
        # its own workflow (no ThreadWorkflow), one workflow per run.
        direct_if_idle=not body.after_seconds,
    )
    if run is None:
        raise NotFound("Thread or assistant not found.")
    direct = bool(run.pop("direct", False))
    if not direct and body.multitask_strategy in ("interrupt", "rollback"):
        # The thread's workflow will cancel the runs before this one; a step
        # running as a local activity reads that here and stops at once.
        for earlier in await storage.active_runs(thread_id):
            if earlier != run_id:
                await storage.request_cancel(earlier, body.multitask_strategy)
    first_nodes = await ctx.entry_nodes.for_run(storage, run, assistant["graph_id"])
    try:
        if direct:
            await start_run_workflow(ctx, run, assistant["graph_id"], first_nodes)
        else:
            await enqueue_run(ctx, run, assistant["graph_id"], body, first_nodes)
    except BaseException as exc:
        # Not accepted by the thread's workflow: the run must not exist, nor
        # hold the thread busy.
        await storage.delete_run_record(run_id)
        if isinstance(exc, RPCError):
            log.error("could not hand run %s to Temporal: %s", run_id, exc)
            raise Unavailable(f"Temporal is unavailable: {exc}") from exc
        raise
    return run


def run_input(
    ctx: Services,
    run: dict[str, Any],
    graph_id: str,
    *,
    direct: bool = False,
    first_nodes: list[str] | None = None,
) -> RunInput:
    kwargs = RunKwargs.of(run)
    policy, base = ctx.project.run_policy, ctx.settings.step
    return RunInput(
        run_id=run["run_id"],
        thread_id=run["thread_id"],
        assistant_id=run["assistant_id"],
        graph_id=graph_id,
        step=policy.step_policy(base, graph_id),
        node_steps=policy.node_policies(base, graph_id),
        run_timeout_s=policy.run_timeout_s(ctx.settings.run_timeout_s, graph_id),
        webhook=bool(kwargs.webhook),
        temporary=kwargs.temporary,
        metadata_keys=sorted(run.get("metadata") or {}),
        steps_per_execution=ctx.settings.steps_per_execution,
        direct=direct,
        ends_in_last_step=True,
        first_nodes=first_nodes,
    )


async def queue_state_update(ctx: Services, queued: QueuedStateUpdate) -> None:
    """As a run is: the thread's workflow applies the state update in its turn
    with the thread's runs, and no worker needs to be alive to accept it."""
    await _signal_thread(ctx, queued.update.thread_id, SIGNAL_QUEUE_STATE_UPDATE, queued)


def _thread_attributes(thread_id: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(THREAD_ID_ATTRIBUTE, thread_id)])


async def start_run_workflow(
    ctx: Services, run: dict[str, Any], graph_id: str, first_nodes: list[str] | None = None
) -> None:
    """Start the run's own workflow (a run alone on its thread). Like a
    signal, a start is stored by the Temporal server and answered at once:
    no worker needs to be alive."""
    request = run_input(ctx, run, graph_id, direct=True, first_nodes=first_nodes)
    await ctx.temporal.start_workflow(
        RunWorkflow.run,
        request,
        id=run_workflow_id(run["run_id"]),
        task_queue=ctx.settings.task_queue,
        search_attributes=run_search_attributes(request),
        static_summary=f"{graph_id} run on thread {run['thread_id']}",
        memo=run_memo(request),
    )


async def enqueue_run(
    ctx: Services,
    run: dict[str, Any],
    graph_id: str,
    body: RunCreate,
    first_nodes: list[str] | None = None,
) -> None:
    """The thread's workflow gets the run in its turn."""
    request = RunRequest(
        run=run_input(ctx, run, graph_id, first_nodes=first_nodes),
        multitask_strategy=body.multitask_strategy,
        after_seconds=body.after_seconds or 0.0,
    )
    await _signal_thread(ctx, run["thread_id"], SIGNAL_SUBMIT_RUN, request)


async def _signal_thread(ctx: Services, thread_id: str, signal: str, arg: Any) -> None:
    """Signal-with-start: the thread's workflow is started if it is not running,
    and gets the signal. The Temporal server stores the signal durably and
    answers at once: no worker needs to be alive."""
    await ctx.temporal.start_workflow(
        ThreadWorkflow.run,
        ThreadInput(thread_id),
        id=thread_workflow_id(thread_id),
        task_queue=ctx.settings.task_queue,
        start_signal=signal,
        start_signal_args=[arg],
        search_attributes=_thread_attributes(thread_id),
        static_summary=f"runs of thread {thread_id}",
    )
