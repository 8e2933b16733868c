"""Graceful shutdown: SIGTERM makes a worker stop polling and drain its running
super-steps within STEADYGRAPH_SHUTDOWN_GRACE, handing back those still running
then; an API ends its open event streams; `dev` stops its children. Each exits 0,
and no run is left `running` nor re-runs a node that had settled."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from harness import ACTIVITY_STEPS_ENV, Deployment, DevServer, wait_until
from langgraph_sdk import get_client
from markers import read_marks
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from tests_support import Balancer, slow_input, wait_for_mark

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.worker_shutdown import WORKER_SHUTDOWN

NODES = ("step1", "step2", "step3")


def _deployment(
    temporal_server: EmbeddedTemporal, database_url: str | None, data_dir: Path, grace_s: float
) -> Deployment:
    # Activity steps: the grace and the hand-back are about activities.
    env = {**ACTIVITY_STEPS_ENV, "STEADYGRAPH_SHUTDOWN_GRACE": str(grace_s)}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    return Deployment(temporal_server.address, data_dir, extra_env=env)


def _log(deployment: Deployment, name: str) -> str:
    return (deployment.data_dir / f"{name}.log").read_text(errors="replace")


async def _sigterm_worker(deployment: Deployment) -> int:
    return await asyncio.to_thread(deployment.kill_worker, deployment.workers[0], signal.SIGTERM)


async def test_sigterm_lets_a_running_node_finish_and_a_new_worker_ends_the_run(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    # The node sleeps 2 s; the grace (120 s) only bounds how long the worker waits.
    deployment = _deployment(temporal_server, database_url, tmp_path / "deploy", 120).start()
    try:
        client = get_client(url=deployment.url)
        thread_id = (await client.threads.create())["thread_id"]
        marker = tmp_path / "marks.txt"
        run = await client.runs.create(thread_id, "slow", input=slow_input(marker, 2.0))
        await wait_for_mark(marker, "step2:start")

        assert await _sigterm_worker(deployment) == 0
        # The worker waited for the node: it ended once, and nothing ran after it.
        assert Counter(read_marks(marker)) == {
            "step1:start": 1,
            "step1:end": 1,
            "step2:start": 1,
            "step2:end": 1,
        }
        log = _log(deployment, "worker")
        assert "SIGTERM received" in log
        assert "draining 1 step(s)" in log
        assert "handing back step" not in log
        assert "worker stopped" in log
        assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "running"

        await asyncio.to_thread(deployment.start_worker)
        await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 120)
        assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
        marks = Counter(read_marks(marker))
        assert marks == {f"{node}:{edge}": 1 for node in NODES for edge in ("start", "end")}
        state = await client.threads.get_state(thread_id)
        assert state["values"]["visited"] == list(NODES)
    finally:
        deployment.stop()


async def test_a_node_outlasting_the_grace_is_handed_back_and_run_by_another_worker(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    deployment = _deployment(temporal_server, database_url, tmp_path / "deploy", 1).start()
    try:
        client = get_client(url=deployment.url)
        thread_id = (await client.threads.create())["thread_id"]
        marker = tmp_path / "marks.txt"
        # step2 sleeps far longer than the 1 s grace.
        run = await client.runs.create(thread_id, "slow", input=slow_input(marker, 8.0))
        await wait_for_mark(marker, "step2:start")

        assert await _sigterm_worker(deployment) == 0
        assert Counter(read_marks(marker)) == {"step1:start": 1, "step1:end": 1, "step2:start": 1}
        log = _log(deployment, "worker")
        assert "draining 1 step(s) for up to 1 s" in log
        assert "handing back step step2" in log
        assert "worker stopped" in log

        await asyncio.to_thread(deployment.start_worker)
        await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 120)
        assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
        # step1 had settled: it never ran again; step2 ran again on the new worker.
        assert Counter(read_marks(marker)) == {
            "step1:start": 1,
            "step1:end": 1,
            "step2:start": 2,
            "step2:end": 1,
            "step3:start": 1,
            "step3:end": 1,
        }
        # Temporal retried step2 after an attempt that failed as handed back.
        temporal = await Client.connect(temporal_server.address)
        history = await temporal.get_workflow_handle(run["run_id"]).fetch_history()
        retried = [
            event.activity_task_started_event_attributes
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and event.activity_task_started_event_attributes.attempt > 1
        ]
        assert [started.attempt for started in retried] == [2]
        failure = retried[0].last_failure
        assert failure.application_failure_info.type == WORKER_SHUTDOWN, failure
    finally:
        deployment.stop()


async def test_sigterm_ends_an_api_s_open_run_stream_and_the_client_resumes_on_another(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    deployment = _deployment(temporal_server, database_url, tmp_path / "deploy", 30).start()
    try:
        deployment.start_api_replica()
        first, second = (int(url.rsplit(":", 1)[1]) for url in deployment.api_urls)
        async with Balancer([first]) as balancer:
            client = get_client(url=balancer.url)
            thread_id = (await client.threads.create())["thread_id"]
            marker = tmp_path / "marks.txt"
            events: list[tuple[str, Any]] = []

            async def stream() -> None:
                async for part in client.runs.stream(
                    thread_id, "slow", input=slow_input(marker, 3.0), stream_mode="updates"
                ):
                    events.append((part.event, part.data))

            streaming = asyncio.create_task(stream())
            await wait_for_mark(marker, "step2:start")
            # A rollout: the balancer sends new connections to the other API,
            # then the first one is stopped while its stream is open.
            balancer.targets = [second]
            code = await asyncio.to_thread(deployment.kill_api, deployment.url, signal.SIGTERM)
            # The first API's stream ended; the SDK resumed it through the
            # balancer on the second, from the last event it had (the bound only
            # turns a hang into a failure).
            await asyncio.wait_for(streaming, 120)
        assert code == 0
        log = _log(deployment, "api")
        assert "API stopped" in log and "Traceback" not in log
        assert "ASGI callable returned without completing response" not in log

        # Every event once, in order, though two APIs served them.
        assert [event for event, _ in events] == ["metadata"] + ["updates"] * len(NODES)
        assert [next(iter(data)) for event, data in events if event == "updates"] == list(NODES)
        other = get_client(url=deployment.api_urls[0])
        run_id = events[0][1]["run_id"]
        assert (await other.runs.get(thread_id, run_id))["status"] == "success"
        state = await other.threads.get_state(thread_id)
        assert state["values"]["visited"] == list(NODES)
    finally:
        deployment.stop()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead too


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return children


def test_sigterm_stops_dev_and_its_children_and_exits_0(tmp_path: Path) -> None:
    dev = DevServer(tmp_path / "dev").start()
    assert dev.process is not None
    process = dev.process
    children = _children(process.pid)  # the Temporal server and the worker
    assert len(children) >= 2
    try:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=120)
    finally:
        dev.stop()
    assert code == 0
    wait_until(lambda: not any(_alive(pid) for pid in children), 30, "dev's children to stop")
    log = dev.read_log()
    assert "stopping the worker" in log
    assert "SIGTERM received" in log and "worker stopped" in log
    assert "stopping the Temporal server" in log
    assert log.rstrip().endswith("stopped")
