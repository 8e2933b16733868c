"""Thread operations: the thread rows, their state and history, and what goes
beyond rows: state updates (through the thread's workflow, ordered with its
runs), copies, deletes and prunes that also touch LangGraph's checkpoints."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError

from steadygraph.auth import authorize, visible
from steadygraph.crons.service import delete_thread_crons
from steadygraph.errors import Conflict, Invalid, NotFound, ServiceError, Unavailable
from steadygraph.graph.checkpointer import copy_thread_checkpoints, prune_to_latest
from steadygraph.graph.serde import empty_state_payload
from steadygraph.ids import new_id
from steadygraph.request_body import CheckpointRef
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.submission import queue_state_update
from steadygraph.services import Services
from steadygraph.storage import ThreadExistsError
from steadygraph.temporal.contract import (
    UNKNOWN_STATE_UPDATE,
    UPDATE_STATE_UPDATE_OUTCOME,
    QueuedStateUpdate,
    StateUpdate,
    StateUpdateResult,
    thread_workflow_id,
)
from steadygraph.threads.request import (
    HistoryQuery,
    StateUpdateBody,
    ThreadCount,
    ThreadCreate,
    ThreadPatch,
    ThreadSearch,
)

_DELETE_WAIT_S = 30.0
# A state update waits in the thread's workflow for the running run to end; the
# HTTP request waits this long for it, then answers (the update stays queued).
STATE_UPDATE_WAIT_S = 10.0
_RETRY_AFTER_S = 5


class BadRequest(ServiceError):
    status_code = 400


async def get_thread(services: Services, thread_id: str) -> dict[str, Any]:
    return await authorized_thread(services, thread_id, "read")


async def authorized_thread(
    services: Services, thread_id: str, action: str, value: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The thread, once the auth handler for threads.<action> allowed it; a
    thread its filter hides is as missing as one that does not exist (404)."""
    filters = await authorize("threads", action, {"thread_id": thread_id, **(value or {})})
    thread = await services.storage.get_thread(thread_id)
    if thread is None or not visible(thread["metadata"], filters):
        raise NotFound(f"Thread with ID {thread_id} not found")
    return thread


async def readable_thread(services: Services, thread_id: str) -> None:
    """Thread streams may name a thread that `run.start` creates: an existing
    thread must be readable by the caller (else 404), a missing one is left to
    the run submission, which authorizes creating it."""
    if await services.storage.get_thread(thread_id) is not None:
        await authorized_thread(services, thread_id, "read")


async def create_thread(
    services: Services, thread_id: str | None, body: ThreadCreate
) -> dict[str, Any]:
    """`thread_id` is the requested id (a new one if None); `body.supersteps`
    are applied as state updates before the thread is returned."""
    thread_id = thread_id or new_id()
    ttl = body.ttl.model_dump() if body.ttl else services.project.default_thread_ttl
    value: dict[str, Any] = {
        "thread_id": thread_id,
        "metadata": dict(body.metadata or {}),
        "if_exists": body.if_exists,
        "ttl": ttl,
    }
    # The handler may stamp the metadata (e.g. an owner) or refuse.
    await authorize("threads", "create", value)
    try:
        thread = await services.storage.create_thread(
            thread_id, value.get("metadata") or {}, if_exists=body.if_exists, ttl=ttl
        )
    except ThreadExistsError as exc:
        raise Conflict(f"Thread with ID {thread_id} already exists") from exc
    if body.if_exists == "do_nothing":
        # It may be someone else's thread, answered unchanged: never show it.
        readable = await authorize("threads", "read", {"thread_id": thread_id})
        if not visible(thread["metadata"], readable):
            raise Conflict(f"Thread with ID {thread_id} already exists")
    if body.supersteps:
        await update_state(
            services,
            thread_id,
            supersteps=[
                [u.model_dump(exclude_none=True) for u in step.updates] for step in body.supersteps
            ],
        )
        thread = await get_thread(services, thread_id)
    return thread


async def update_thread(services: Services, thread_id: str, body: ThreadPatch) -> dict[str, Any]:
    value: dict[str, Any] = {"thread_id": thread_id, "metadata": body.metadata}
    await authorized_thread(services, thread_id, "update", value)
    thread = await services.storage.update_thread(
        thread_id, metadata=value["metadata"], ttl=body.ttl.model_dump() if body.ttl else None
    )
    if thread is None:
        raise NotFound(f"Thread with ID {thread_id} not found")
    return thread


async def search_threads(
    services: Services, body: ThreadSearch, ids: list[str] | None
) -> list[dict[str, Any]]:
    """`ids` are `body.ids`, checked to be UUIDs."""
    filters = await authorize("threads", "search", _search_value(body, ids))
    return await services.storage.search_threads(
        metadata=body.metadata,
        values=body.values,
        status=body.status,
        ids=ids,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
        auth_filters=filters,
    )


def _search_value(body: ThreadSearch | ThreadCount, ids: list[str] | None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "metadata": body.metadata or {},
        "values": body.values or {},
        "status": body.status,
        "ids": ids,
    }
    if isinstance(body, ThreadSearch):
        value.update(limit=body.limit, offset=body.offset)
    return value


async def count_threads(services: Services, body: ThreadCount) -> int:
    # Counted as searched: what a search hides is not counted.
    filters = await authorize("threads", "search", _search_value(body, None))
    return await services.storage.count_threads(
        metadata=body.metadata, values=body.values, status=body.status, auth_filters=filters
    )


# ---- state and history ---------------------------------------------------------------


async def get_state(services: Services, thread_id: str, *, subgraphs: bool) -> dict[str, Any]:
    await get_thread(services, thread_id)
    state = await services.storage.get_thread_state(thread_id, subgraphs=subgraphs)
    return state or empty_state_payload()


async def get_state_at(
    services: Services, thread_id: str, checkpoint_id: str | None
) -> dict[str, Any]:
    """The state at a checkpoint of the thread; its head state without one."""
    await get_thread(services, thread_id)
    if not checkpoint_id:
        return await services.storage.get_thread_state(thread_id) or empty_state_payload()
    state = await services.storage.checkpoints.get(thread_id, checkpoint_id)
    if state is None:
        raise NotFound(f"Checkpoint {checkpoint_id} of thread {thread_id} not found")
    return state


async def history(services: Services, thread_id: str, query: HistoryQuery) -> list[dict[str, Any]]:
    """The thread's states, newest first."""
    await get_thread(services, thread_id)
    before = query.before.checkpoint_id if isinstance(query.before, CheckpointRef) else query.before
    return await services.storage.checkpoints.history(
        thread_id, limit=query.limit, before=before, metadata=query.metadata
    )


async def update_thread_state(
    services: Services, thread_id: str, body: StateUpdateBody
) -> dict[str, Any]:
    checkpoint_id = body.checkpoint_id or (
        body.checkpoint.checkpoint_id if body.checkpoint else None
    )
    # LangGraph would fork an unknown checkpoint from an empty state, which then
    # becomes the thread's state: a typo must not erase what the thread holds.
    if checkpoint_id and await services.storage.checkpoints.get(thread_id, checkpoint_id) is None:
        await get_thread(services, thread_id)
        raise NotFound(f"Checkpoint {checkpoint_id} of thread {thread_id} not found")
    return await update_state(
        services, thread_id, values=body.values, as_node=body.as_node, checkpoint_id=checkpoint_id
    )


async def update_state(
    services: Services,
    thread_id: str,
    *,
    values: Any = None,
    as_node: str | None = None,
    checkpoint_id: str | None = None,
    supersteps: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    thread = await authorized_thread(services, thread_id, "update")
    graph_id = thread["metadata"].get("graph_id")
    if not graph_id:
        raise BadRequest(f"Thread {thread_id} has no assigned graph ID")
    if graph_id not in services.project.graphs:
        raise Invalid(f"Graph '{graph_id}' of thread {thread_id} is not served here")
    update_id = new_id()
    # Until it is applied, runs created on the thread queue behind it in the
    # thread's workflow instead of starting on their own. The worker counts
    # it off when it applies or refuses it; an update still unapplied after
    # all its attempts keeps the thread's runs going through its workflow:
    # slower, never out of order.
    await services.storage.count_state_update(thread_id, +1)
    try:
        await queue_state_update(
            services,
            QueuedStateUpdate(
                update_id,
                StateUpdate(thread_id, graph_id, values, as_node, checkpoint_id, supersteps),
            ),
        )
    except RPCError as exc:
        await services.storage.count_state_update(thread_id, -1)  # it never reached the thread
        raise Unavailable(
            f"Temporal is unavailable: {exc.message}", retry_after_s=_RETRY_AFTER_S
        ) from exc
    # Queued for good from here on: whatever happens to this request, the
    # update applies once, so no answer below invites resending it.
    workflow = services.temporal.get_workflow_handle(thread_workflow_id(thread_id))
    accepted = False
    try:
        async with asyncio.timeout(STATE_UPDATE_WAIT_S):
            outcome = await workflow.start_update(
                UPDATE_STATE_UPDATE_OUTCOME,
                update_id,
                result_type=StateUpdateResult,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            accepted = True
            result: StateUpdateResult = await outcome.result()
    # Temporal's client reports the cancelled call as its own error.
    except (TimeoutError, RPCTimeoutOrCancelledError) as exc:
        if accepted:
            raise Conflict(
                f"Thread {thread_id} is busy with a run: the state update is queued and "
                "applies when the run ends; do not resend it (read the state to see it)"
            ) from exc
        raise Conflict(
            f"No worker has taken the state update of thread {thread_id} within "
            f"{STATE_UPDATE_WAIT_S:g} s: it is queued and applies once one does; do not "
            "resend it (read the state to see it)"
        ) from exc
    except RPCError as exc:
        raise Conflict(
            f"The state update of thread {thread_id} is queued, but its outcome cannot be "
            f"read ({exc.message}); do not resend it (read the state to see it)"
        ) from exc
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, FailureError) and cause.cause is not None:
            cause = cause.cause
        detail = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        kind = cause.type if isinstance(cause, ApplicationError) else ""
        if kind == UNKNOWN_STATE_UPDATE:
            # Applied, and the thread's workflow has moved on since.
            raise Conflict(
                f"The state update of thread {thread_id} was applied but its outcome is no "
                "longer kept; do not resend it (read the state to see it)"
            ) from exc
        raise BadRequest(f"{kind}: {detail}" if kind else detail) from exc
    return {"checkpoint": result.checkpoint}


async def delete_thread(services: Services, thread_id: str) -> None:
    """Stop its runs (so no workflow is orphaned) and its crons, then erase it
    and its checkpoints."""
    await authorized_thread(services, thread_id, "delete")
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
    source = await get_thread(services, thread_id)
    target = new_id()
    # The copy keeps the source's metadata; creating it must still be allowed.
    await authorize("threads", "create", {"thread_id": target, "metadata": source["metadata"]})
    if services.checkpointer is not None:
        await copy_thread_checkpoints(services.checkpointer, thread_id, target)
    copied = await services.storage.copy_thread(thread_id, target)
    assert copied is not None
    return copied


async def prune_threads(services: Services, thread_ids: list[str], strategy: str) -> int:
    filters = await authorize("threads", "delete", {"thread_ids": thread_ids})
    pruned = 0
    for thread_id in thread_ids:
        thread = await services.storage.get_thread(thread_id)
        if thread is None or thread["status"] == "busy":
            continue
        if not visible(thread["metadata"], filters):
            continue  # another user's thread: as if it did not exist
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
