"""The reason Steadygraph exists: runs survive a killed worker and a restarted server."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest
from harness import Deployment, DevServer, wait_until
from langgraph_sdk import get_client
from markers import read_marks
from temporalio.client import Client, WorkflowExecutionStatus

from steadygraph.dev.temporal_server import EmbeddedTemporal

LONG_NODE_S = 12  # stands for a node of many minutes: six heartbeat timeouts
TICKS_BEFORE_KILL = 4  # the node has outlived two heartbeat timeouts when the worker dies


@pytest.mark.parametrize("local_steps", [False, True], ids=["activity-steps", "local-steps"])
async def test_killed_worker_run_finishes_without_rerunning_finished_nodes(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path, local_steps: bool
) -> None:
    # A killed worker is noticed in 2 s (heartbeat), or with local steps when
    # the workflow task it held times out (10 s); the new worker then replays
    # the run, and the steps that had settled return what the checkpointer holds.
    env = {
        "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "2",
        "STEADYGRAPH_STEP_LOCAL": "1" if local_steps else "0",
    }
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env).start()
    try:
        client = get_client(url=deployment.url)
        thread = await client.threads.create()
        marker = tmp_path / "marks.txt"
        # A node much longer than the heartbeat timeout, blocking its event
        # loop as a long synchronous call would: heartbeats (or, for a local
        # step, the SDK's workflow-task heartbeats) keep it alive.
        run = await client.runs.create(
            thread["thread_id"],
            "long_node",
            input={"marker_file": str(marker), "node_s": LONG_NODE_S, "blocking": True},
        )
        # SIGKILL the only worker in the middle of the long node.
        await asyncio.to_thread(
            wait_until,
            lambda: read_marks(marker).count("long:tick") >= TICKS_BEFORE_KILL,
            60,
            "the long node to run for a while",
        )
        deployment.kill_worker(deployment.workers[0])
        marks = Counter(read_marks(marker))
        # Alive past two heartbeat timeouts, not retried, not finished.
        assert marks["long:start"] == 1 and marks["long:end"] == 0
        assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "running"

        deployment.start_worker()
        await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 90)

        finished = await client.runs.get(thread["thread_id"], run["run_id"])
        assert finished["status"] == "success"
        counts = Counter(read_marks(marker))
        # Completed before the kill: ran exactly once. Interrupted: started twice, ended once.
        assert counts["first:start"] == 1 and counts["first:end"] == 1
        assert counts["long:start"] == 2 and counts["long:end"] == 1
        assert counts["last:start"] == 1 and counts["last:end"] == 1
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["visited"] == ["first", "long", "last"]
        assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"
    finally:
        deployment.stop()


async def test_restarted_server_keeps_threads_runs_and_state(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = DevServer(data_dir).start()
    try:
        client = get_client(url=server.url)
        thread = await client.threads.create(metadata={"owner": "restart-test"})
        run = await client.runs.create(
            thread["thread_id"],
            "agent",
            input={"messages": [{"role": "human", "content": "what's the weather in sf"}]},
        )
        await client.runs.join(thread["thread_id"], run["run_id"])
        before = (
            await client.threads.get(thread["thread_id"]),
            await client.threads.get_state(thread["thread_id"]),
            await client.runs.list(thread["thread_id"]),
            await client.runs.get(thread["thread_id"], run["run_id"]),
        )
    finally:
        server.stop()

    server = DevServer(data_dir, port=server.port, temporal_port=server.temporal_port).start()
    try:
        client = get_client(url=server.url)
        after = (
            await client.threads.get(thread["thread_id"]),
            await client.threads.get_state(thread["thread_id"]),
            await client.runs.list(thread["thread_id"]),
            await client.runs.get(thread["thread_id"], run["run_id"]),
        )
        assert after == before
        assert after[3]["status"] == "success"
        joined = await client.runs.join(thread["thread_id"], run["run_id"])
        assert joined == before[1]["values"]
        # Temporal's history survived too (it lives in the same data dir).
        temporal = await Client.connect(f"127.0.0.1:{server.temporal_port}")
        described = await temporal.get_workflow_handle(run["run_id"]).describe()
        assert described.status == WorkflowExecutionStatus.COMPLETED
        # And the restarted server takes new runs on the old thread.
        follow_up = await client.runs.wait(
            thread["thread_id"],
            "agent",
            input={"messages": [{"role": "human", "content": "and in sf again?"}]},
        )
        assert len(follow_up["messages"]) == 8
    finally:
        server.stop()


async def test_after_seconds_timer_survives_a_server_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    marker = tmp_path / "marks.txt"
    server = DevServer(data_dir).start()
    try:
        client = get_client(url=server.url)
        thread = await client.threads.create()
        run = await client.runs.create(
            thread["thread_id"],
            "slow",
            input={"marker_file": str(marker), "sleep_s": 0},
            after_seconds=4,
        )
    finally:
        server.stop()
    assert read_marks(marker) == []  # stopped while the durable timer was waiting

    server = DevServer(data_dir, port=server.port, temporal_port=server.temporal_port).start()
    try:
        client = get_client(url=server.url)
        await asyncio.wait_for(client.runs.join(thread["thread_id"], run["run_id"]), 60)
        assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
        # Started once, not lost and not doubled.
        assert Counter(read_marks(marker))["step1:start"] == 1
    finally:
        server.stop()


def _sse_events(text: str) -> list[tuple[int, str]]:
    events, current_id = [], None
    for line in text.splitlines():
        if line.startswith("id: "):
            current_id = int(line[4:])
        elif line.startswith("event: ") and current_id is not None:
            events.append((current_id, line[7:]))
    return events


async def test_stream_resumes_after_the_api_process_is_killed(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    deployment = Deployment(temporal_server.address, tmp_path / "deploy").start()
    try:
        client = get_client(url=deployment.url)
        thread = await client.threads.create()
        marker = tmp_path / "marks.txt"
        seen: list[tuple[int, str]] = []
        run_id = None
        async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
            async with http.stream(
                "POST",
                f"/threads/{thread['thread_id']}/runs/stream",
                json={
                    "assistant_id": "slow",
                    "input": {"marker_file": str(marker), "sleep_s": 3},
                    "stream_mode": ["values", "updates"],
                },
            ) as response:
                run_id = response.headers["content-location"].rsplit("/", 1)[-1]
                buffer = ""
                async for text in response.aiter_text():
                    buffer += text
                    seen = _sse_events(buffer)
                    if any(name == "updates" for _, name in seen):
                        break  # step1 has streamed; step2 is sleeping
        assert deployment.api is not None
        os.kill(deployment.api.pid, signal.SIGKILL)
        deployment.api.wait()
        deployment.api = None
        deployment.start_api()  # same port, same database

        last_id = seen[-1][0]
        async with httpx.AsyncClient(base_url=deployment.url, timeout=60) as http:
            rest = await http.get(
                f"/threads/{thread['thread_id']}/runs/{run_id}/stream",
                headers={"Last-Event-ID": str(last_id)},
            )
        resumed = _sse_events(rest.text)
        ids = [i for i, _ in seen] + [i for i, _ in resumed]
        assert ids == list(range(len(ids)))  # every event exactly once, in order
        names = [name for _, name in seen + resumed]
        assert names == ["metadata"] + ["values", "updates"] * 3 + ["values"]
        assert (await client.runs.get(thread["thread_id"], run_id))["status"] == "success"
    finally:
        deployment.stop()
