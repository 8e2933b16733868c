"""A starting API or worker waits for Temporal and the database (a cold
`docker compose up`, a failover), saying what it waits for, and serves once
they are up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from harness import Deployment, fresh_postgres_database, wait_until
from langgraph_sdk import get_client
from tests_support import Balancer

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port

POSTGRES_PORT = 5432


def _worker_log(deployment: Deployment) -> str:
    """The whole log (start-up lines scroll out of `read_log`'s tail)."""
    path = deployment.data_dir / "worker.log"
    return path.read_text() if path.exists() else ""


async def _run_succeeds(url: str) -> None:
    client = get_client(url=url)
    thread = await client.threads.create()
    output = await client.runs.wait(
        thread["thread_id"], "agent", input={"messages": [{"role": "human", "content": "hi"}]}
    )
    assert isinstance(output, dict) and output["messages"][-1]["type"] == "ai"


async def test_api_and_worker_wait_for_a_temporal_server_that_starts_late(
    tmp_path: Path,
) -> None:
    port = free_port()
    deployment = Deployment(f"127.0.0.1:{port}", tmp_path / "deploy")
    starting = asyncio.create_task(asyncio.to_thread(deployment.start))
    temporal = EmbeddedTemporal(
        data_dir=tmp_path / "temporal", port=port, ui_port=None, in_memory=True
    )
    try:
        await asyncio.to_thread(
            wait_until,
            lambda: f"waiting for Temporal at 127.0.0.1:{port}" in _worker_log(deployment),
            60,
            "the worker to say it waits for Temporal",
        )
        await asyncio.to_thread(temporal.start)
        await asyncio.wait_for(starting, 120)
        assert "connected to Temporal" in _worker_log(deployment)
        await _run_succeeds(deployment.url)
    finally:
        if not starting.done():
            await asyncio.wait({starting}, timeout=120)
        deployment.stop()
        temporal.stop()


async def test_api_and_worker_wait_for_a_database_that_comes_up_late(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    # PostgreSQL "comes up" when a proxy starts listening on the port the
    # deployment was given.
    port = free_port()
    with fresh_postgres_database() as url:
        behind_proxy = url.replace(f":{POSTGRES_PORT}/", f":{port}/")
        deployment = Deployment(
            temporal_server.address,
            tmp_path / "deploy",
            extra_env={"STEADYGRAPH_DATABASE_URL": behind_proxy},
        )
        starting = asyncio.create_task(asyncio.to_thread(deployment.start))
        try:
            await asyncio.to_thread(
                wait_until,
                lambda: (
                    "waiting for the database at postgresql+psycopg://" in _worker_log(deployment)
                ),
                60,
                "the worker to say it waits for the database",
            )
            async with Balancer([POSTGRES_PORT], port=port):
                await asyncio.wait_for(starting, 120)
                assert "connected to the database" in _worker_log(deployment)
                await _run_succeeds(deployment.url)
                deployment.stop()
        finally:
            if not starting.done():
                await asyncio.wait({starting}, timeout=120)
            deployment.stop()
