"""100 runs while the worker is SIGKILLed three times: every run ends in
success and no node whose super-step had settled runs again."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from harness import ACTIVITY_STEPS_ENV, Deployment
from langgraph_sdk import get_client
from markers import read_marks
from tests_support import slow_input

from steadygraph.dev.temporal_server import EmbeddedTemporal

RUNS = 100
IN_FLIGHT = 20
NODES = ("step1", "step2", "step3")
# Kill the worker once this many runs have ended (new worker started each time).
KILL_AFTER_ENDED = (10, 40, 70)
STEP2_SLEEP_S = 0.5

# Timing-sensitive under load: `make test` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial


def _starts(marker: Path) -> Counter[str]:
    """How many times each node has started."""
    return Counter(m.split(":")[0] for m in read_marks(marker) if m.endswith(":start"))


def _mid_node(marker: Path) -> bool:
    """Whether a node of this run has started and not ended."""
    marks = Counter(read_marks(marker))
    return any(marks[f"{node}:start"] > marks[f"{node}:end"] for node in NODES)


async def test_100_runs_survive_three_killed_workers_without_rerunning_settled_nodes(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    """Local steps (the default): a killed worker loses the workflow task it
    held, so a run's plan is made again from a head whose last nodes may have
    written their results without their checkpoint."""
    env = {"STEADYGRAPH_DATABASE_URL": database_url} if database_url else {}
    await _chaos(temporal_server, env, tmp_path)


async def test_100_runs_with_activity_steps_survive_three_killed_workers(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    """Super-steps as regular activities (SQLite): a killed worker's step is
    noticed by its heartbeat timeout and retried on the new worker."""
    env = {**ACTIVITY_STEPS_ENV, "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "2"}
    await _chaos(temporal_server, env, tmp_path)


async def _chaos(temporal_server: EmbeddedTemporal, env: dict[str, str], tmp_path: Path) -> None:
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env).start()
    try:
        client = get_client(url=deployment.url, timeout=150)
        threads = [(await client.threads.create())["thread_id"] for _ in range(RUNS)]
        marker = {thread_id: tmp_path / f"{thread_id}.txt" for thread_id in threads}
        in_flight: set[str] = set()
        ended: list[str] = []
        # Per thread, the nodes its stored state held when a worker was killed
        # (their super-steps had settled: checkpoint written), with how many
        # times each had started by then. No settled node may start again.
        settled: dict[str, dict[str, int]] = {thread_id: {} for thread_id in threads}
        slots = asyncio.Semaphore(IN_FLIGHT)
        progress = asyncio.Event()

        async def one_run(thread_id: str) -> str:
            async with slots:
                in_flight.add(thread_id)
                try:
                    run = await client.runs.create(
                        thread_id, "slow", input=slow_input(marker[thread_id], STEP2_SLEEP_S)
                    )
                    await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 150)
                    return str((await client.runs.get(thread_id, run["run_id"]))["status"])
                finally:
                    in_flight.discard(thread_id)
                    ended.append(thread_id)
                    progress.set()

        async def kill_workers() -> int:
            kills = 0
            for threshold in KILL_AFTER_ENDED:
                while len(ended) < threshold:
                    progress.clear()
                    await progress.wait()
                # Strike while a node runs (step2 sleeps), so the kill interrupts one.
                for _ in range(500):
                    if any(_mid_node(marker[t]) for t in list(in_flight)):
                        break
                    await asyncio.sleep(0.02)
                worker = deployment.workers[0]
                # Frozen, the worker settles nothing more while we read what it has settled.
                os.kill(worker.pid, signal.SIGSTOP)
                for thread_id in list(in_flight):
                    state = await client.threads.get_state(thread_id)
                    starts = _starts(marker[thread_id])
                    for node in (state.get("values") or {}).get("visited") or []:
                        settled[thread_id].setdefault(node, starts[node])
                deployment.kill_worker(worker)
                kills += 1
                await asyncio.to_thread(deployment.start_worker)
            return kills

        killer = asyncio.create_task(kill_workers())
        statuses = await asyncio.gather(*(one_run(thread_id) for thread_id in threads))
        assert await asyncio.wait_for(killer, 30) == len(KILL_AFTER_ENDED)

        assert Counter(statuses) == {"success": RUNS}
        interrupted_nodes = 0
        for thread_id in threads:
            state = await client.threads.get_state(thread_id)
            assert state["values"]["visited"] == list(NODES), (
                thread_id,
                state,
                read_marks(marker[thread_id]),
                await client.runs.list(thread_id),
            )
            starts = _starts(marker[thread_id])
            for node, started_by_then in settled[thread_id].items():
                assert starts[node] == started_by_then, (
                    thread_id,
                    node,
                    read_marks(marker[thread_id]),
                )
            interrupted_nodes += sum(starts[node] - 1 for node in NODES)
        # The kills hit runs in flight: some node somewhere had to run again.
        assert interrupted_nodes > 0
        assert sum(len(nodes) for nodes in settled.values()) > 0
    finally:
        deployment.stop()
