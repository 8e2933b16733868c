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
    log.info("run %s started%s: thread=%s graph=%s", ref.run_id, retry, ref.thread_id, ref.graph_id)


def _seconds(started: str | None, ended: str | None) -> str:
    if not started or not ended:
        return "?"
    elapsed = datetime.fromisoformat(ended) - datetime.fromisoformat(started)
    return f"{elapsed.total_seconds():.3f}s"


async def log_run_ended(storage: Storage, end: RunEnd) -> None:
    # A rolled-back run's record is gone, and with it its times.
    times = (None, None) if end.status == "rollback" else await storage.get_run_times(end.run_id)
    log.info(
        "run %s ended: status=%s thread=%s graph=%s duration=%s",
        end.run_id,
        end.status,
        end.thread_id,
        end.graph_id,
        _seconds(*times),
    )
