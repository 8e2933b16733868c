"""Thread operations beyond plain rows: state updates (through the thread's
workflow, ordered with its runs), copies, deletes and prunes that also touch
LangGraph's checkpoints."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, FailureError

from steadygraph.crons.service import delete_thread_crons
from steadygraph.errors import Invalid, NotFound, ServiceError
from steadygraph.graph.checkpointer import copy_thread_checkpoints, prune_to_latest
from steadygraph.ids import new_id
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.submission import start_thread_workflow
from steadygraph.services import Services
from steadygraph.temporal.contract import StateUpdate
from steadygraph.workflows import ThreadWorkflow

_DELETE_WAIT_S = 30.0


class BadRequest(ServiceError):
    status_code = 400


async def _thread(services: Services, thread_id: str) -> dict[str, Any]:
    thread = await services.storage.get_thread(thread_id)
    if thread is None:
        raise NotFound(f"Thread with ID {thread_id} not found")
    return thread


async def update_state(
    services: Services,
    thread_id: str,
    *,
    values: Any = None,
    as_node: str | None = None,
    checkpoint_id: str | None = None,
    supersteps: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    thread = await _thread(services, thread_id)
    graph_id = thread["metadata"].get("graph_id")
    if not graph_id:
        raise BadRequest(f"Thread {thread_id} has no assigned graph ID")
    if graph_id not in services.project.graphs:
        raise Invalid(f"Graph '{graph_id}' of thread {thread_id} is not served here")
    start = start_thread_workflow(services, thread_id)
    try:
        result = await services.temporal.execute_update_with_start_workflow(
            ThreadWorkflow.update_state,
            StateUpdate(thread_id, graph_id, values, as_node, checkpoint_id, supersteps),
            start_workflow_operation=start,
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, FailureError) and cause.cause is not None:
            cause = cause.cause
        detail = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        kind = cause.type if isinstance(cause, ApplicationError) else ""
        raise BadRequest(f"{kind}: {detail}" if kind else detail) from exc
    return {"checkpoint": result.checkpoint}


async def delete_thread(services: Services, thread_id: str) -> None:
    """Stop its runs (so no workflow is orphaned) and its crons, then erase it
    and its checkpoints."""
    await _thread(services, thread_id)
    await delete_thread_crons(services, thread_id)
    storage = services.storage
    for run_id in await storage.active_runs(thread_id):
        run = await storage.get_run(run_id)
        if run is not None:
            await cancel_run(services, run, "interrupt")
    for _ in range(int(_DELETE_WAIT_S / 0.1)):
        if not await storage.active_runs(thread_id):
            break
        await asyncio.sleep(0.1)
    await storage.delete_thread(thread_id)
    if services.checkpointer is not None:
        await services.checkpointer.adelete_thread(thread_id)


async def copy_thread(services: Services, thread_id: str) -> dict[str, Any]:
    await _thread(services, thread_id)
    target = new_id()
    if services.checkpointer is not None:
        await copy_thread_checkpoints(services.checkpointer, thread_id, target)
    copied = await services.storage.copy_thread(thread_id, target)
    assert copied is not None
    return copied


async def prune_threads(services: Services, thread_ids: list[str], strategy: str) -> int:
    pruned = 0
    for thread_id in thread_ids:
        thread = await services.storage.get_thread(thread_id)
        if thread is None or thread["status"] == "busy":
            continue
        if strategy == "delete":
            await delete_thread(services, thread_id)
        else:
            await keep_latest_checkpoint(services, thread_id)
        pruned += 1
    return pruned


async def keep_latest_checkpoint(services: Services, thread_id: str) -> None:
    if services.checkpointer is not None:
        await prune_to_latest(services.checkpointer, thread_id)
    latest = await services.storage.checkpoints.latest_id(thread_id)
    if latest is not None:
        await services.storage.checkpoints.delete(thread_id, keep=latest)
