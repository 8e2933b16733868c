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
from steadygraph.workflows import RunWorkflow

log = logging.getLogger(__name__)

_POLL_START_S = 0.01
_POLL_MAX_S = 0.25


async def _backoff(delay: float) -> float:
    await asyncio.sleep(delay)
    return min(delay * 1.5, _POLL_MAX_S)


async def wait_for_end(ctx: Services, run_id: str) -> dict[str, Any] | None:
    """Block until the run is no longer pending or running; the run, or None if
    it was erased (rollback).

    Storage is the source of truth. While the run's workflow exists and will
    end with the run (no webhook to deliver, no temporary thread to keep), its
    result is awaited: Temporal's long poll answers the moment it completes.
    Otherwise (still queued behind other runs, or a workflow that goes on
    after the run) storage is polled.
    """
    delay = _POLL_START_S
    while True:
        run = await ctx.storage.get_run(run_id)
        if run is None or run["status"] not in ACTIVE_RUN_STATUSES:
            return run
        kwargs = RunKwargs.of(run)
        if not kwargs.webhook and not kwargs.temporary:
            try:
                await ctx.temporal.get_workflow_handle(run_id).result()
                run = await ctx.storage.get_run(run_id)
                if run is None or run["status"] not in ACTIVE_RUN_STATUSES:
                    return run
                # Recorded as ended but not yet visible: poll, never spin.
            except WorkflowFailureError as exc:
                # RunWorkflow records every ending itself; a workflow that
                # failed anyway was terminated or timed out from outside (e.g.
                # the Temporal UI): record that, so the thread is not stuck busy.
                await ctx.storage.fail_run_if_active(
                    run_id, {"error": "WorkflowFailed", "message": str(exc.cause or exc)}
                )
                continue
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
        delay = await _backoff(delay)


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
        # The final status is committed with (or after) the last event, so one
        # more read after seeing it ended drains the stream.
        finished = current is None or current["status"] not in ACTIVE_RUN_STATUSES
        if not finished:
            delay = await _backoff(delay)
