"""Waiting for runs and reading what they produced: join, wait and the SSE stream."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from steadygraph.runs.kwargs import RunKwargs
from steadygraph.runs.output import run_output
from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES
from steadygraph.storage.notifications import RunWatch
from steadygraph.workflows import RunWorkflow

log = logging.getLogger(__name__)

_POLL_START_S = 0.01
_POLL_MAX_S = 0.25


async def _backoff(changes: RunWatch, delay: float) -> float:
    """Until the run changes (PostgreSQL wakes it at once) or `delay` passes."""
    await changes.wait(delay)
    return min(delay * 1.5, _POLL_MAX_S)


async def _workflow_end(ctx: Services, run_id: str) -> bool:
    """Temporal's long poll on the run's workflow (the whole continue-as-new
    chain); False if it does not exist (yet)."""
    try:
        await ctx.temporal.get_workflow_handle(run_id).result()
    except WorkflowFailureError as exc:
        # RunWorkflow records every ending itself; a workflow that failed
        # anyway was terminated or timed out from outside (e.g. the Temporal
        # UI): record that, so the thread is not stuck busy.
        await ctx.storage.fail_run_if_active(
            run_id, {"error": "WorkflowFailed", "message": str(exc.cause or exc)}
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return False
    return True


async def _until_either(workflow_end: asyncio.Task[bool], changes: RunWatch) -> None:
    """Until the workflow ends or, with live notifications, the run changes
    (its end is committed before its workflow completes: the sooner signal)."""
    if not changes.live:
        await asyncio.shield(workflow_end)
        return
    changed = asyncio.ensure_future(changes.wait(_POLL_MAX_S))
    try:
        await asyncio.wait({workflow_end, changed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        changed.cancel()


async def wait_for_end(
    ctx: Services, run_id: str, *, known: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Block until the run is no longer pending or running; the run, or None if
    it was erased (rollback). `known`: the run as the caller just read it
    (its first read is then spared).

    Storage is the source of truth, read again whenever the run may have
    ended: when a notification says its status changed; else, while
    its workflow exists and will end with the run (no webhook to deliver, no
    temporary thread to keep), when Temporal's long poll on it answers;
    otherwise (still queued behind other runs, or a workflow that goes on
    after the run) after a short backoff.
    """
    async with ctx.storage.watch_run(run_id, events=False) as changes:
        workflow_end: asyncio.Task[bool] | None = None
        try:
            delay = _POLL_START_S
            while True:
                run = known if known is not None else await ctx.storage.get_run(run_id)
                known = None
                if run is None or run["status"] not in ACTIVE_RUN_STATUSES:
                    return run
                kwargs = RunKwargs.of(run)
                if workflow_end is None and not kwargs.webhook and not kwargs.temporary:
                    workflow_end = asyncio.create_task(_workflow_end(ctx, run_id))
                if workflow_end is not None and not workflow_end.done():
                    await _until_either(workflow_end, changes)
                    if not workflow_end.done():
                        continue
                    if not workflow_end.result():  # no workflow yet: ask again later
                        workflow_end = None
                    else:
                        continue
                # Queued, or recorded as ended but not yet visible: wait, never spin.
                delay = await _backoff(changes, delay)
        finally:
            if workflow_end is not None:
                workflow_end.cancel()


async def release_temporary(ctx: Services, run: dict[str, Any]) -> None:
    """Tell a stateless run's workflow its output was read, so its thread can go."""
    if not RunKwargs.of(run).temporary:
        return
    try:
        await ctx.temporal.get_workflow_handle(run["run_id"]).signal(RunWorkflow.release)
    except RPCError as exc:
        log.debug("release of run %s: %s", run["run_id"], exc)


async def final_values(ctx: Services, run: dict[str, Any]) -> Any:
    output = await run_output(ctx.storage, run["run_id"], run["thread_id"])
    await release_temporary(ctx, run)
    return output


def _wanted(event: str, modes: set[str] | None) -> bool:
    if modes is None or event in ("metadata", "error"):
        return True
    base = event.split("|", 1)[0]
    if base.startswith("messages"):
        return bool(modes & {"messages", "messages-tuple"})
    return base in modes


async def run_events(
    ctx: Services,
    run: dict[str, Any],
    *,
    after: int | None = None,
    modes: set[str] | None = None,
) -> AsyncIterator[tuple[int, str, str]]:
    """(id, event, data) of a run's stream, from just after event id `after`,
    until the run has ended and every event it wrote has been sent.

    Event id 0 is the `metadata` event; the worker's events follow from 1, so
    a client reconnecting with Last-Event-ID resumes exactly where it was.
    """
    run_id = run["run_id"]
    last = -1 if after is None else after
    if last < 0:
        yield 0, "metadata", json.dumps({"run_id": run_id, "attempt": 1})
        last = 0
    delay = _POLL_START_S
    finished = False
    async with ctx.storage.watch_run(run_id) as changes:
        while True:
            batch = await ctx.storage.read_events(run_id, last)
            for seq, event, data in batch:
                last = seq
                if _wanted(event, modes):
                    yield seq, event, data.decode()
            if batch:
                delay = _POLL_START_S
                continue
            if finished:
                return
            current = await ctx.storage.get_run(run_id)
            # The final status is committed with (or after) the last event, so
            # one more read after seeing it ended drains the stream.
            finished = current is None or current["status"] not in ACTIVE_RUN_STATUSES
            if not finished:
                delay = await _backoff(changes, delay)
