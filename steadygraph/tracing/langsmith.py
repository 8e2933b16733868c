"""LangSmith: one trace per run, whose root run's id is the Steadygraph run id.

LangGraph Server runs a run as one `astream` call with `config["run_id"]` set to
the run id, so LangSmith shows one trace rooted at the run. Here each super-step
is an `astream` call of its own (in whichever worker runs it), and each would be a
trace of its own. Instead every step runs under a parent that stands for the
run: a `RunTree` whose id and trace id are the run id and whose dotted order
starts at the run's creation time, so every step's chain (and all it calls) is a
child in the run's trace, whatever worker or attempt ran it. That root run is
posted once, complete, when the run finishes.

Only active when LangSmith tracing is (LANGSMITH_TRACING / LANGCHAIN_TRACING_V2 and
a key); otherwise nothing here touches the graph's callbacks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from steadygraph.storage import Storage
    from steadygraph.temporal.contract import RunEnd

log = logging.getLogger(__name__)


def enabled() -> bool:
    from langsmith.utils import tracing_is_enabled

    return bool(tracing_is_enabled())


def run_root(run: dict[str, Any], *, end: datetime | None = None) -> Any:
    """The RunTree standing for the whole run; the same for every step and worker."""
    from langsmith.run_trees import RunTree

    run_id = UUID(str(run["run_id"]))
    started = _as_datetime(run.get("created_at"))
    kwargs = run.get("kwargs") or {}
    return RunTree(
        id=run_id,
        trace_id=run_id,
        dotted_order=f"{started:%Y%m%dT%H%M%S%fZ}{run_id}",
        name=str((run.get("metadata") or {}).get("graph_id") or "run"),
        run_type="chain",
        start_time=started,
        end_time=end,
        inputs={"input": kwargs.get("input"), "command": kwargs.get("command")},
        extra={
            "metadata": {
                **(run.get("metadata") or {}),
                "run_id": str(run_id),
                "thread_id": run.get("thread_id"),
            }
        },
    )


@contextlib.asynccontextmanager
async def in_run_trace(run: dict[str, Any]) -> AsyncIterator[None]:
    """Run a step's graph call as a child of the run's root (when LangSmith traces)."""
    if not enabled():
        yield
        return
    from langsmith.run_helpers import tracing_context

    with tracing_context(parent=run_root(run)):
        yield


async def without_run_parent(
    events: AsyncIterator[dict[str, Any]], run_id: str
) -> AsyncIterator[dict[str, Any]]:
    """`astream_events` under the run's root lists the run id as every event's first
    parent; clients must see the events as LangGraph Server sends them, rooted
    at the graph."""
    async for event in events:
        parents = event.get("parent_ids")
        if parents and parents[0] == run_id:
            event["parent_ids"] = parents[1:]
        yield event


async def record_run(storage: Storage, end: RunEnd, run: dict[str, Any] | None) -> None:
    """Post the run's root, complete, to LangSmith (sent in the background)."""
    if not enabled():
        return
    run = run or await storage.get_run(end.run_id)
    if run is None:
        return
    root = run_root(run, end=datetime.now(UTC))
    root.outputs = {"status": end.status}
    if end.error:
        root.error = f"{end.error.get('error', 'Error')}: {end.error.get('message', '')}"
    try:
        root.post()
    except Exception as exc:  # tracing must never fail a run
        log.warning("could not send run %s to LangSmith: %s", run["run_id"], exc)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
