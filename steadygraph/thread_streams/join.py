"""`GET /threads/{id}/stream` (the SDK's `threads.join_stream`): the runs of a
thread one after another, each as its run stream (`metadata` with its run id,
then its events under LangGraph Server's names), followed by a `metadata`
event `{"status": "run_done", "run_id"}`.

Stream modes: `run_modes` (all of the above), `lifecycle` (only the two
`metadata` events of each run), `state_update` (plus each run's `values`).
Event ids are thread-stream positions, so `Last-Event-ID` resumes exactly.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from steadygraph.storage import Storage
from steadygraph.thread_streams.positions import seq_of
from steadygraph.thread_streams.source import RunLog, first_ordinal, follow_runs

THREAD_STREAM_MODES = ("run_modes", "lifecycle", "state_update")


def _wanted(event: str, modes: set[str]) -> bool:
    if "run_modes" in modes:
        return True
    return "state_update" in modes and event.split("|", 1)[0] == "values"


async def join_thread(
    storage: Storage, thread_id: str, *, modes: set[str], since: int | None
) -> AsyncIterator[tuple[int, str, str]]:
    """(id, event, data) of the thread's runs from `since`; never ends by itself."""

    def fresh(position: int) -> bool:
        return since is None or position > since

    first = await first_ordinal(storage, thread_id, since)
    async for ordinal, run in follow_runs(storage, thread_id, first):
        run_id = run["run_id"]
        if fresh(seq_of(ordinal, 0, 0)):
            yield seq_of(ordinal, 0, 0), "metadata", json.dumps({"run_id": run_id, "attempt": 1})
        log = RunLog(storage, run)
        async for log_seq, event, data in log.rows():
            if _wanted(event, modes) and fresh(seq_of(ordinal, log_seq, 0)):
                yield seq_of(ordinal, log_seq, 0), event, data.decode()
        done = seq_of(ordinal, log.last + 1, 0)
        if fresh(done):
            yield done, "metadata", json.dumps({"status": "run_done", "run_id": run_id})
