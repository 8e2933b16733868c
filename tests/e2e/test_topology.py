"""The replicated production topology (docker-compose.yml's shape): 2 API
processes and 3 workers on one PostgreSQL database and one Temporal namespace.
Runs are created round-robin through both APIs and streamed or joined through
the other; meanwhile one worker, then one API, then another worker are
SIGKILLed and not replaced. The survivors carry the load: every run ends
`success`, every thread's state is complete, and no node whose super-step had
settled runs again."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from harness import ACTIVITY_STEPS_ENV, Deployment, fresh_postgres_database
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from markers import read_marks
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from tests_support import slow_input

from steadygraph.dev.temporal_server import EmbeddedTemporal

T = TypeVar("T")

RUNS = 36
IN_FLIGHT = 12
NODES = ("step1", "step2", "step3")
STEP2_SLEEP_S = 1.0
# What is SIGKILLed once this many runs have ended (never replaced).
KILLS = ((6, "worker"), (15, "api"), (24, "worker"))


def _starts(marker: Path) -> Counter[str]:
    return Counter(m.split(":")[0] for m in read_marks(marker) if m.endswith(":start"))


def _mid_node(marker: Path) -> bool:
    marks = Counter(read_marks(marker))
    return any(marks[f"{node}:start"] > marks[f"{node}:end"] for node in NODES)


class Apis:
    """The client side of a load balancer: calls go round-robin to the APIs
    alive, and a call cut off by an API's death moves to another one."""

    def __init__(self, urls: list[str]) -> None:
        self.alive = list(urls)
        self.clients = {url: get_client(url=url, timeout=150) for url in urls}
        self.moved = 0  # calls that failed on a killed API and went on elsewhere

    def pick(self, n: int) -> str:
        return self.alive[n % len(self.alive)]

    async def call(self, n: int, op: Callable[[LangGraphClient, bool], Awaitable[T]]) -> T:
        """`op(client, retried)` through API `n`; again through another if that one dies."""
        retried = False
        while True:
            url = self.pick(n)
            try:
                return await op(self.clients[url], retried)
            except httpx.TransportError:
                if url in self.alive:
                    raise  # a live API failing is a failure, not a kill
                self.moved += 1
                retried = True


async def _kill_a_busy_worker(
    deployment: Deployment,
    temporal: Client,
    apis: Apis,
    run_ids: dict[str, str],
    in_flight: set[str],
    marker: dict[str, Path],
    settled: dict[str, dict[str, int]],
    interrupted_before: list[str],
) -> str:
    """SIGKILL a worker while it runs a node; returns the thread it interrupted
    (not one of `interrupted_before`, which an earlier kill interrupted)."""
    identities = {f"{worker.pid}@": worker for worker in deployment.workers}
    for _ in range(1000):
        for thread_id in list(in_flight):
            run_id = run_ids.get(thread_id)
            if (
                run_id is None
                or thread_id in interrupted_before
                or not _mid_node(marker[thread_id])
            ):
                continue
            description = await temporal.get_workflow_handle(run_id).describe()
            for pending in description.raw_description.pending_activities:
                if pending.state != PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
                    continue
                victim = next(
                    (
                        w
                        for p, w in identities.items()
                        if pending.last_worker_identity.startswith(p)
                    ),
                    None,
                )
                if victim is None:
                    continue
                # Frozen, it settles nothing while we read what has settled.
                os.kill(victim.pid, signal.SIGSTOP)
                if not _mid_node(marker[thread_id]):  # the node ended meanwhile
                    os.kill(victim.pid, signal.SIGCONT)
                    continue
                for other in list(in_flight):
                    state = await apis.call(0, lambda c, _r, t=other: c.threads.get_state(t))
                    starts = _starts(marker[other])
                    for node in (state.get("values") or {}).get("visited") or []:
                        settled[other].setdefault(node, starts[node])
                await asyncio.to_thread(deployment.kill_worker, victim)
                return thread_id
        await asyncio.sleep(0.02)
    raise AssertionError("no worker was ever caught running a node")


async def test_two_apis_and_three_workers_on_postgres_lose_nothing_to_three_kills(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    with fresh_postgres_database() as database_url:
        # Activity steps: a killed worker is noticed in 3 s (heartbeat), and the
        # victim is the worker Temporal names as running a node's activity.
        # Local steps survive kills too: test_durability.py.
        env = {
            **ACTIVITY_STEPS_ENV,
            "STEADYGRAPH_DATABASE_URL": database_url,
            "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "3",
        }
        deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env)
        try:
            for _ in range(3):
                deployment.start_worker()
            deployment.start_api()
            deployment.start_api_replica()
            await _run_through_kills(deployment, temporal_server, tmp_path)
        finally:
            deployment.stop()


async def _run_through_kills(
    deployment: Deployment, temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    apis = Apis(deployment.api_urls)
    temporal = await Client.connect(temporal_server.address)
    threads = [
        (await apis.clients[apis.pick(i)].threads.create())["thread_id"] for i in range(RUNS)
    ]
    marker = {thread_id: tmp_path / f"{thread_id}.txt" for thread_id in threads}
    run_ids: dict[str, str] = {}
    in_flight: set[str] = set()
    ended: list[str] = []
    settled: dict[str, dict[str, int]] = {thread_id: {} for thread_id in threads}
    slots = asyncio.Semaphore(IN_FLIGHT)
    progress = asyncio.Event()

    async def create(client: LangGraphClient, retried: bool, thread_id: str) -> Any:
        if retried:  # the dead API may have created it before dying
            existing = await client.runs.list(thread_id)
            if existing:
                return existing[0]
        return await client.runs.create(
            thread_id, "slow", input=slow_input(marker[thread_id], STEP2_SLEEP_S)
        )

    async def follow(client: LangGraphClient, retried: bool, thread_id: str, stream: bool) -> None:
        run_id = run_ids[thread_id]
        if stream and not retried:
            async for _ in client.runs.join_stream(thread_id, run_id):
                pass
        await client.runs.join(thread_id, run_id)

    async def one_run(n: int, thread_id: str) -> str:
        async with slots:
            in_flight.add(thread_id)
            try:
                run = await apis.call(n, lambda c, r: create(c, r, thread_id))
                run_ids[thread_id] = run["run_id"]
                # Followed through the other API: half streamed, half joined.
                await asyncio.wait_for(
                    apis.call(n + 1, lambda c, r: follow(c, r, thread_id, n % 4 < 2)), 150
                )
                got = await apis.call(n, lambda c, _r: c.runs.get(thread_id, run["run_id"]))
                return str(got["status"])
            finally:
                in_flight.discard(thread_id)
                ended.append(thread_id)
                progress.set()

    interrupted: list[str] = []

    async def kill() -> None:
        for threshold, what in KILLS:
            while len(ended) < threshold:
                progress.clear()
                await progress.wait()
            if what == "worker":
                interrupted.append(
                    await _kill_a_busy_worker(
                        deployment, temporal, apis, run_ids, in_flight, marker, settled, interrupted
                    )
                )
            else:
                url = apis.alive[0]
                apis.alive.remove(url)  # new calls go to the other API from now on
                await asyncio.to_thread(deployment.kill_api, url)

    killer = asyncio.create_task(kill())
    statuses = await asyncio.gather(*(one_run(n, t) for n, t in enumerate(threads)))
    await asyncio.wait_for(killer, 30)

    assert len(deployment.workers) == 1 and len(deployment.api_urls) == 1
    assert Counter(statuses) == {"success": RUNS}
    assert apis.moved > 0  # the killed API had calls in flight, which moved
    survivor = apis.clients[apis.alive[0]]
    for thread_id in threads:
        state = await survivor.threads.get_state(thread_id)
        assert state["values"]["visited"] == list(NODES), (thread_id, read_marks(marker[thread_id]))
        starts = _starts(marker[thread_id])
        for node, started_by_then in settled[thread_id].items():
            assert starts[node] == started_by_then, (thread_id, node, read_marks(marker[thread_id]))
        assert len(await survivor.runs.list(thread_id)) == 1
    # Each killed worker was caught mid-node: that node ran again on a survivor.
    for thread_id in interrupted:
        assert max(_starts(marker[thread_id]).values()) >= 2, read_marks(marker[thread_id])
