"""Turning a run request into a stored run and a started RunWorkflow."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException
from temporalio.client import WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.service import RPCError

from api.assistant_lookup import resolve_assistant
from api.context import AppContext
from api.models import RunCreate
from steadygraph.ids import new_id
from steadygraph.temporal import ASSISTANT_ID, GRAPH_ID, RUN_ID, THREAD_ID, workflow_ui_url
from workflows import RunWorkflow
from workflows.models import RunInput, StepOptions

log = logging.getLogger(__name__)

BUSY_DETAIL = (
    "Thread is already running a task. Wait for it to finish or choose a different "
    "multitask strategy."
)


def _stream_modes(body: RunCreate) -> list[str]:
    modes = body.stream_mode if isinstance(body.stream_mode, list) else [body.stream_mode]
    return list(modes)


def _run_kwargs(
    body: RunCreate,
    *,
    run_id: str,
    thread_id: str,
    assistant: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    user_config = body.config.model_dump(exclude_none=True) if body.config else {}
    configurable = {
        **(user_config.pop("configurable", None) or {}),
        "run_id": run_id,
        "thread_id": thread_id,
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
        "user_id": "",
    }
    checkpoint_id = body.checkpoint_id or (
        body.checkpoint.checkpoint_id if body.checkpoint else None
    )
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {
        "input": body.input,
        "command": body.command,
        "config": {**user_config, "configurable": configurable, "metadata": metadata},
        "context": body.context or {},
        "stream_mode": _stream_modes(body),
        "interrupt_before": body.interrupt_before,
        "interrupt_after": body.interrupt_after,
        "webhook": body.webhook,
        "feedback_keys": body.feedback_keys,
        "temporary": False,
        "subgraphs": body.stream_subgraphs,
        "resumable": body.stream_resumable,
        "checkpoint_during": True if body.checkpoint_during is None else body.checkpoint_during,
        "durability": body.durability or "async",
    }


def run_response(ctx: AppContext, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "temporal_ui_url": workflow_ui_url(ctx.settings, run["run_id"])}


async def submit_run(ctx: AppContext, thread_id: str, body: RunCreate) -> dict[str, Any]:
    """Store a pending run and start its workflow; the run is returned at once."""
    storage = ctx.storage
    thread = await storage.get_thread(thread_id)
    if thread is None:
        raise HTTPException(status_code=404, detail="Thread or assistant not found.")
    assistant = await resolve_assistant(ctx, body.assistant_id)
    if body.multitask_strategy == "reject" and await storage.active_runs(thread_id):
        raise HTTPException(status_code=409, detail=BUSY_DETAIL)

    run_id = new_id()
    metadata = {
        **(assistant.get("metadata") or {}),
        **{k: v for k, v in thread["metadata"].items() if k not in ("graph_id", "assistant_id")},
        **(body.metadata or {}),
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
    }
    run = await storage.create_run(
        run_id=run_id,
        thread_id=thread_id,
        assistant=assistant,
        metadata=metadata,
        kwargs=_run_kwargs(
            body, run_id=run_id, thread_id=thread_id, assistant=assistant, metadata=metadata
        ),
        multitask_strategy=body.multitask_strategy,
    )
    if run is None:  # the thread was deleted in between
        raise HTTPException(status_code=404, detail="Thread or assistant not found.")
    try:
        await start_run_workflow(ctx, run, assistant["graph_id"])
    except BaseException as exc:
        # No workflow, no run: a run that can never start must not hold the thread busy.
        await storage.delete_run_record(run_id)
        if isinstance(exc, RPCError):
            log.error("could not start workflow for run %s: %s", run_id, exc)
            raise HTTPException(status_code=503, detail=f"Temporal is unavailable: {exc}") from exc
        raise
    return run


async def start_run_workflow(ctx: AppContext, run: dict[str, Any], graph_id: str) -> WorkflowHandle:
    policy = ctx.settings.step
    run_input = RunInput(
        run_id=run["run_id"],
        thread_id=run["thread_id"],
        assistant_id=run["assistant_id"],
        graph_id=graph_id,
        step=StepOptions(
            max_attempts=policy.max_attempts,
            initial_interval_s=policy.initial_interval_s,
            backoff=policy.backoff,
            max_interval_s=policy.max_interval_s,
            timeout_s=policy.timeout_s,
            heartbeat_timeout_s=policy.heartbeat_timeout_s,
        ),
    )
    return await ctx.temporal.start_workflow(
        RunWorkflow.run,
        run_input,
        id=run["run_id"],
        task_queue=ctx.settings.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(RUN_ID, run["run_id"]),
                SearchAttributePair(THREAD_ID, run["thread_id"]),
                SearchAttributePair(ASSISTANT_ID, run["assistant_id"]),
                SearchAttributePair(GRAPH_ID, graph_id),
            ]
        ),
        static_summary=f"{graph_id} run on thread {run['thread_id']}",
    )
