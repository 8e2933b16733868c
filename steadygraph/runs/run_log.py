"""One line in the worker's log when a run starts and when it ends, so an
operator can follow runs (and how long they took) without the Temporal UI."""

from __future__ import annotations

import logging
from datetime import datetime

from steadygraph.storage import Storage
from steadygraph.temporal.contract import RunEnd, RunRef

log = logging.getLogger("steadygraph.runs")


def log_run_started(ref: RunRef, attempt: int = 1) -> None:
    retry = f" (attempt {attempt})" if attempt > 1 else ""
    log.info(
        "run %s started%s: thread=%s graph=%s",
        ref.run_id,
        retry,
        ref.thread_id,
        ref.graph_id,
        extra={"run_id": ref.run_id, "thread_id": ref.thread_id, "graph_id": ref.graph_id},
    )


def _seconds(started: str | None, ended: str | None) -> float | None:
    if not started or not ended:
        return None
    return (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()


async def log_run_ended(
    storage: Storage, end: RunEnd, times: tuple[str | None, str | None] | None = None
) -> None:
    """`times`: the run's (started_at, ended_at) when the caller has them."""
    if times is None:
        # A rolled-back run's record is gone, and with it its times.
        rolled_back = end.status == "rollback"
        times = (None, None) if rolled_back else await storage.get_run_times(end.run_id)
    seconds = _seconds(*times)
    log.info(
        "run %s ended: status=%s thread=%s graph=%s duration=%s",
        end.run_id,
        end.status,
        end.thread_id,
        end.graph_id,
        "?" if seconds is None else f"{seconds:.3f}s",
        extra={
            "run_id": end.run_id,
            "thread_id": end.thread_id,
            "graph_id": end.graph_id,
            "status": end.status,
            "duration_s": seconds,
        },
    )
