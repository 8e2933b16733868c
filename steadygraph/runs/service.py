"""The run operations of the API, one function per route: submit (and wait),
read, list, join, cancel and delete. Creation itself is `submit_run`; waiting
and reading output is `steadygraph.runs.results`."""

from __future__ import annotations

from typing import Any

from steadygraph.auth import Filters, authorize, visible
from steadygraph.errors import Conflict, Invalid, NotFound
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.request import CancelAction, RunCreate, RunsCancel, RunStatus
from steadygraph.runs.results import final_values, wait_for_end
from steadygraph.runs.submission import submit_run
from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES


async def submit_stateless_run(ctx: Services, body: RunCreate) -> dict[str, Any]:
    """A run on a thread made for it (deleted afterwards unless on_completion="keep")."""
    return await submit_run(ctx, None, body, temporary=body.on_completion == "delete")


async def submit_stateless_runs(ctx: Services, bodies: list[RunCreate]) -> list[dict[str, Any]]:
    return [await submit_stateless_run(ctx, body) for body in bodies]


async def submit_and_wait(
    ctx: Services, thread_id: str | None, body: RunCreate
) -> tuple[dict[str, Any], Any]:
    """The new run and its output once it ended; `thread_id=None` is a stateless run."""
    if thread_id is None:
        run = await submit_stateless_run(ctx, body)
    else:
        run = await submit_run(ctx, thread_id, body)
    await wait_for_end(ctx, run["run_id"], known=run)
    return run, await final_values(ctx, run)


async def get_run(
    ctx: Services,
    thread_id: str,
    run_id: str,
    *,
    auth_action: str = "read",
    auth_value: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run, once the threads.<auth_action> handler allowed it on its thread
    (runs are authorized through their thread, as in LangGraph Server)."""
    value = {"thread_id": thread_id, "run_id": run_id, **(auth_value or {})}
    filters = await authorize("threads", auth_action, value)
    run = await ctx.storage.get_run(run_id, thread_id)
    if run is None or not await _thread_visible(ctx, thread_id, filters):
        raise NotFound(f"Run {run_id} not found")
    return run


async def _thread_visible(ctx: Services, thread_id: str, filters: Filters | None) -> bool:
    if not filters:
        return True
    thread = await ctx.storage.get_thread(thread_id)
    return thread is not None and visible(thread["metadata"], filters)


async def list_runs(
    ctx: Services, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
) -> list[dict[str, Any]]:
    filters = await authorize("threads", "search", {"thread_id": thread_id, "metadata": {}})
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None or not visible(thread["metadata"], filters):
        raise NotFound(f"Thread with ID {thread_id} not found")
    return await ctx.storage.list_runs(thread_id, limit=limit, offset=offset, status=status)


async def join_run(ctx: Services, thread_id: str, run_id: str) -> Any:
    """The run's output, once it ended."""
    run = await get_run(ctx, thread_id, run_id)
    await wait_for_end(ctx, run["run_id"], known=run)
    return await final_values(ctx, run)


async def cancel_thread_run(
    ctx: Services, thread_id: str, run_id: str, action: CancelAction, *, wait: bool
) -> None:
    run = await get_run(
        ctx,
        thread_id,
        run_id,
        auth_action="update",
        auth_value={"action": action, "metadata": {"run_ids": [run_id], "status": None}},
    )
    await cancel_run(ctx, run, action)
    if wait:
        await wait_for_end(ctx, run["run_id"])


async def interrupt_run(ctx: Services, run_id: str) -> None:
    """Stop a run whose stream's client went away (on_disconnect="cancel")."""
    current = await ctx.storage.get_run(run_id)
    if current is not None:
        await cancel_run(ctx, current, "interrupt")


async def cancel_runs(
    ctx: Services,
    body: RunsCancel,
    action: CancelAction,
    *,
    thread_id: str | None,
    run_ids: list[str] | None,
) -> None:
    """Cancel every run with `body.status`, or else the runs `run_ids` of
    `thread_id` (both already checked to be UUIDs). With custom auth, only
    runs on threads the threads.update handler's filter lets through."""
    filters = await authorize(
        "threads",
        "update",
        {
            "thread_id": thread_id,
            "action": action,
            "metadata": {"run_ids": run_ids, "status": body.status},
        },
    )
    if body.status is not None:
        statuses: list[str] = ["pending", "running"] if body.status == "all" else [body.status]
        runs = [
            run
            for run in await ctx.storage.runs_with_status(statuses)
            if await _thread_visible(ctx, run["thread_id"], filters)
        ]
    elif thread_id and run_ids:
        runs = []
        for run_id in run_ids:
            run = await ctx.storage.get_run(run_id, thread_id)
            if run is None or not await _thread_visible(ctx, thread_id, filters):
                raise NotFound(f"Run {run_id} not found")
            runs.append(run)
    else:
        raise Invalid("Give either status, or thread_id and run_ids")
    for run in runs:
        await cancel_run(ctx, run, action)


async def delete_run(ctx: Services, thread_id: str, run_id: str) -> None:
    run = await get_run(ctx, thread_id, run_id, auth_action="delete")
    if run["status"] in ACTIVE_RUN_STATUSES:
        raise Conflict(f"Run {run_id} is {run['status']}; cancel it before deleting it")
    await ctx.storage.delete_run_record(run["run_id"])
