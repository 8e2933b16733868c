"""An async node that blocks its event loop (time.sleep, a synchronous HTTP
call) neither fails its run nor runs twice: heartbeats come from the worker's
own loop, which graph code never holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from harness import ACTIVITY_STEPS_ENV, Deployment
from langgraph_sdk import get_client
from markers import read_marks

from steadygraph.dev.temporal_server import EmbeddedTemporal

HEARTBEAT_TIMEOUT_S = 2
BLOCK_S = 8  # four heartbeat timeouts: without its own loop, the node would be retried
RUNS = 4


async def test_nodes_blocking_their_loop_run_once_and_succeed(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    env = {**ACTIVITY_STEPS_ENV, "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S)}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env).start()
    try:
        deployment.start_worker()  # two workers share the runs
        client = get_client(url=deployment.url, timeout=120)
        markers = [tmp_path / f"marks-{i}.txt" for i in range(RUNS)]

        async def one_run(marker: Path) -> str:
            thread = await client.threads.create()
            run = await client.runs.create(
                thread["thread_id"],
                "long_node",
                input={"marker_file": str(marker), "node_s": BLOCK_S, "blocking": True},
            )
            await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 120)
            return str((await client.runs.get(thread["thread_id"], run["run_id"]))["status"])

        statuses = await asyncio.gather(*(one_run(marker) for marker in markers))

        assert statuses == ["success"] * RUNS
        for marker in markers:
            counts = Counter(read_marks(marker))
            assert counts["first:start"] == counts["long:start"] == counts["last:start"] == 1
            assert counts["long:tick"] == BLOCK_S
        # The worker says which node held the loop, as `langgraph dev` would.
        log = (deployment.data_dir / "worker.log").read_text()
        assert "blocking call in graph code" in log
        assert "node 'long' has held the graph event loop" in log
        assert "time.sleep(pause)" in log
    finally:
        deployment.stop()
