"""A thread's events, as the v3 protocol sends them: every run of the thread
in turn, read from the durable per-run event logs and translated.

Where a stream starts:
- with `since`: right after that position (replaying what was missed, also
  from runs that have ended since);
- else at the thread's earliest active run, or at its last run when that run
  stopped at an interrupt (so a client that attaches sees what it is asked)
  or ended within the last JUST_ENDED_S seconds (so a client that started a
  run sees it end, however fast it ended);
- else live: at the next run the thread gets.
It then follows the thread's runs for as long as the client listens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from steadygraph.graph.serde import loads
from steadygraph.storage import ACTIVE_RUN_STATUSES, Storage
from steadygraph.storage.notifications import RunWatch
from steadygraph.thread_streams.positions import ordinal_of, seq_of
from steadygraph.thread_streams.translate import RunTranslator, Translated

_POLL_START_S = 0.02
_POLL_MAX_S = 0.25  # a running run's log
_IDLE_POLL_MAX_S = 0.5  # a thread with no run to follow yet
_RUNS_PAGE = 1000
# A stream opened without `since` this soon after the thread's last run ended
# starts with that run (see _live_start).
JUST_ENDED_S = 3.0


async def thread_runs(storage: Storage, thread_id: str) -> list[dict[str, Any]]:
    """The thread's runs, oldest first (their ordinals are 1, 2, ...)."""
    runs: list[dict[str, Any]] = []
    while True:
        page = await storage.list_runs(thread_id, limit=_RUNS_PAGE, offset=len(runs))
        runs.extend(page)
        if len(page) < _RUNS_PAGE:
            return runs[::-1]


def _just_ended(run: dict[str, Any]) -> bool:
    ended = datetime.fromisoformat(run["updated_at"])
    return (datetime.now(UTC) - ended).total_seconds() < JUST_ENDED_S


async def _live_start(storage: Storage, thread_id: str, runs: list[dict[str, Any]]) -> int:
    for ordinal, run in enumerate(runs, start=1):
        if run["status"] in ACTIVE_RUN_STATUSES:
            return ordinal
    # The SDK opens its lifecycle stream (no `since`) right after `run.start`
    # returns; a run that failed at once may have ended by then, and the
    # stream must still show it ending, or `thread.output` waits for ever.
    if runs and _just_ended(runs[-1]):
        return len(runs)
    if runs:
        thread = await storage.get_thread(thread_id)
        if thread is not None and thread["status"] == "interrupted":
            return len(runs)
    return len(runs) + 1


class _Backoff:
    def __init__(self, max_s: float = _POLL_MAX_S) -> None:
        self.delay = _POLL_START_S
        self.max_s = max_s

    def reset(self) -> None:
        self.delay = _POLL_START_S

    async def wait(self, changes: RunWatch | None = None) -> None:
        """`delay`, or until the run watched changes (PostgreSQL notifies)."""
        if changes is None:
            await asyncio.sleep(self.delay)
        else:
            await changes.wait(self.delay)
        self.delay = min(self.delay * 1.5, self.max_s)


def _event(run_id: str, ordinal: int, log_seq: int, part: int, item: Translated) -> dict:
    params: dict[str, Any] = {
        "namespace": item.namespace,
        "timestamp": int(time.time() * 1000),
        "data": item.data,
    }
    if item.node is not None:
        params["node"] = item.node
    return {
        "type": "event",
        "event_id": f"{run_id}:{log_seq}:{part}",
        "seq": seq_of(ordinal, log_seq, part),
        "method": item.method,
        "params": params,
    }


class RunLog:
    """One run's durable event log, followed until the run has ended; then
    `final` is the run's record (None if a rollback erased it)."""

    def __init__(self, storage: Storage, run: dict[str, Any]) -> None:
        self._storage = storage
        self.final: dict[str, Any] | None = run
        self.last = 0

    async def rows(self) -> AsyncIterator[tuple[int, str, bytes]]:
        run_id = self.final["run_id"] if self.final else ""
        backoff = _Backoff()
        finished = self.final is None or self.final["status"] not in ACTIVE_RUN_STATUSES
        async with self._storage.watch_run(run_id) as changes:
            while True:
                rows = await self._storage.read_events(run_id, self.last)
                for row in rows:
                    self.last = row[0]
                    yield row
                if rows:
                    backoff.reset()
                    continue
                if finished:
                    return
                self.final = await self._storage.get_run(run_id)
                # The final status is committed with the last event: one more read drains it.
                finished = self.final is None or self.final["status"] not in ACTIVE_RUN_STATUSES
                if not finished:
                    await backoff.wait(changes)


async def follow_runs(
    storage: Storage, thread_id: str, first: int
) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    """(ordinal, run) for the thread's runs from ordinal `first` on, each once
    the previous one has been consumed; waits for new runs, never ends."""
    runs = await thread_runs(storage, thread_id)
    done = {run["run_id"] for run in runs[: first - 1]}
    last_ordinal = first - 1
    backoff = _Backoff(_IDLE_POLL_MAX_S)
    while True:
        pending = [
            (position, run)
            for position, run in enumerate(runs, start=1)
            if run["run_id"] not in done
        ]
        if not pending:
            await backoff.wait()
            runs = await thread_runs(storage, thread_id)
            continue
        backoff.reset()
        position, run = pending[0]
        # A run erased by a rollback shifts later positions down; never reuse one.
        ordinal = max(position, last_ordinal + 1)
        yield ordinal, run
        done.add(run["run_id"])
        last_ordinal = ordinal
        runs = await thread_runs(storage, thread_id)


async def first_ordinal(storage: Storage, thread_id: str, since: int | None) -> int:
    if since is not None:
        return max(1, ordinal_of(since + 1))
    return await _live_start(storage, thread_id, await thread_runs(storage, thread_id))


async def _run_events(
    storage: Storage, run: dict[str, Any], ordinal: int, since: int | None
) -> AsyncIterator[dict[str, Any]]:
    run_id = run["run_id"]
    translator = RunTranslator(run)

    def batch(log_seq: int, items: list[Translated]) -> list[dict[str, Any]]:
        events = [_event(run_id, ordinal, log_seq, part, it) for part, it in enumerate(items)]
        return [e for e in events if since is None or e["seq"] > since]

    for event in batch(0, translator.start()):
        yield event
    log = RunLog(storage, run)
    async for log_seq, name, data in log.rows():
        for event in batch(log_seq, translator.feed(name, loads(data))):
            yield event
    for event in batch(log.last + 1, translator.finish(log.final)):
        yield event


async def thread_events(
    storage: Storage, thread_id: str, *, since: int | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The thread's events from `since` (see the module doc); never ends by itself."""
    first = await first_ordinal(storage, thread_id, since)
    async for ordinal, run in follow_runs(storage, thread_id, first):
        async for event in _run_events(storage, run, ordinal, since):
            yield event
