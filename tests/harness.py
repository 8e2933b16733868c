"""Real processes for the tests: `steadygraph api`, `steadygraph worker` and
`steadygraph dev` (started by steadygraph.dev.deployment) serving the test graphs,
and fresh PostgreSQL databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.converter import PayloadConverter

from steadygraph.dev import deployment
from steadygraph.dev.deployment import wait_until

__all__ = [
    "ACTIVITY_STEPS_ENV",
    "ROOT",
    "Deployment",
    "DevServer",
    "closed_history",
    "dedicated_deployment",
    "fresh_postgres_database",
    "local_activity_summaries",
    "wait_until",
]

ROOT = Path(__file__).resolve().parent.parent
TEST_GRAPHS = ROOT / "tests" / "graphs" / "langgraph.json"

# Fast retries, so failure tests take seconds. The heartbeat timeout stays
# long enough that a loaded 2-core machine never times out a healthy step (a
# retried step streams its events again); the kill test shortens it.
FAST_STEP_ENV = {
    "STEADYGRAPH_STEP_MAX_ATTEMPTS": "3",
    "STEADYGRAPH_STEP_RETRY_INTERVAL": "0.2",
    "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "10",
}


# Super-steps as regular activities (the default is local activities): for the
# tests of what only they do (heartbeats, retry attributes, shutdown hand-back).
ACTIVITY_STEPS_ENV = {"STEADYGRAPH_STEP_LOCAL": "0"}


POSTGRES_ADMIN_URL = os.environ.get(
    "STEADYGRAPH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server, dropped afterwards."""
    with deployment.fresh_postgres_database(POSTGRES_ADMIN_URL, "steadygraph_test_") as url:
        yield url


@dataclass
class Deployment(deployment.Deployment):
    """`steadygraph api` + `steadygraph worker` serving tests/graphs, with fast retries."""

    config: Path = TEST_GRAPHS
    task_queue: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        self.extra_env = {**FAST_STEP_ENV, **self.extra_env}


@dataclass
class DevServer(deployment.DevServer):
    """`steadygraph dev` serving tests/graphs, with fast retries."""

    config: Path = TEST_GRAPHS

    def __post_init__(self) -> None:
        self.extra_env = {**FAST_STEP_ENV, **self.extra_env}


@contextmanager
def dedicated_deployment(
    temporal_address: str,
    database_url: str | None,
    data_dir: Path,
    config: Path = TEST_GRAPHS,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Deployment]:
    """A started Deployment of its own serving `config` on the test's storage
    backend (`database_url`, or SQLite files in `data_dir`), stopped afterwards."""
    env = dict(extra_env or {})
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_address, data_dir, config=config, extra_env=env)
    try:
        yield deployment.start()
    finally:
        deployment.stop()


async def closed_history(temporal: Client, workflow_id: str) -> WorkflowHistory:
    """A workflow's history once it has closed. A run's end is stored (what
    `runs.join` waits for) by a local activity, which Temporal records only
    with the workflow task around it: a history fetched right after a join may
    not hold it yet."""
    handle = temporal.get_workflow_handle(workflow_id)
    with contextlib.suppress(WorkflowFailureError):
        await asyncio.wait_for(handle.result(), 60)
    return await handle.fetch_history()


def local_activity_summaries(history: WorkflowHistory, converter: PayloadConverter) -> list[str]:
    """The summaries of the local activities a workflow recorded, in order: how
    the Temporal UI names a run's local steps (`prepare run`, `agent`, ...)."""
    return [
        converter.from_payload(event.user_metadata.summary, str)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        # not the markers of workflow.patched ("core_patch")
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


@contextmanager
def aiosqlite_calls() -> Iterator[list[object]]:
    """The callables aiosqlite runs on its connections' threads while entered:
    one per round trip between the event loop and a connection's thread."""
    import aiosqlite

    calls: list[object] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]
