"""`steadygraph dev` notices when its worker dies and starts another one, so
runs created afterwards still run to the end."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from harness import DevServer, wait_until
from langgraph_sdk import get_client

from steadygraph.cli import WORKER_PID_FILE, worker_pid_file


def _worker_pid(data_dir: Path, index: int = 0) -> int | None:
    try:
        return int((data_dir / worker_pid_file(index)).read_text())
    except (FileNotFoundError, ValueError):
        return None


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


async def test_a_killed_worker_is_restarted_and_runs_still_finish(tmp_path: Path) -> None:
    dev = DevServer(tmp_path / "dev").start()
    try:
        second = await _kill_the_worker_then_run(dev)
    finally:
        dev.stop()
    # Stopping dev stops the restarted worker, and is not taken for a crash.
    wait_until(lambda: not _alive(second), 15, "the restarted worker to stop")
    assert not (dev.data_dir / WORKER_PID_FILE).exists()
    log = (dev.data_dir / "dev.log").read_text(errors="replace")
    assert log.count("restarting it in") == 1


async def test_dev_runs_several_workers_and_restarts_each_one(tmp_path: Path) -> None:
    dev = DevServer(tmp_path / "dev", extra_env={"STEADYGRAPH_DEV_WORKERS": "2"}).start()
    try:
        assert dev.process is not None
        first, other = _worker_pid(dev.data_dir, 0), _worker_pid(dev.data_dir, 1)
        assert first is not None and other is not None and first != other
        assert {first, other} <= _children(dev.process.pid)
        restarted = await _kill_the_worker_then_run(dev, index=1)
        assert _worker_pid(dev.data_dir, 0) == first  # the other one kept running
    finally:
        dev.stop()
    for pid in (first, restarted):
        wait_until(lambda pid=pid: not _alive(pid), 15, f"worker {pid} to stop")
    assert not list(dev.data_dir.glob("worker*.pid"))


async def _kill_the_worker_then_run(dev: DevServer, index: int = 0) -> int:
    """Kills dev's worker `index`; returns the pid of its restarted one."""
    assert dev.process is not None
    first = _worker_pid(dev.data_dir, index)
    assert first is not None and first in _children(dev.process.pid)

    os.kill(first, signal.SIGKILL)

    # Created right after the kill: Temporal holds the run until a worker polls.
    client = get_client(url=dev.url)
    thread = await client.threads.create()
    input = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
    run = await client.runs.create(thread["thread_id"], "agent", input=input)
    joined = await client.runs.join(thread["thread_id"], run["run_id"])
    assert [m["type"] for m in joined["messages"]] == ["human", "ai", "tool", "ai"]
    finished = await client.runs.get(thread["thread_id"], run["run_id"])
    assert finished["status"] == "success"

    # The new worker takes tasks as soon as it polls, which may be a moment
    # before the supervisor records it.
    wait_until(
        lambda: _worker_pid(dev.data_dir, index) not in (None, first),
        15,
        "the new worker's pid file",
    )
    second = _worker_pid(dev.data_dir, index)
    assert second is not None and second != first
    assert _alive(second) and second in _children(dev.process.pid)

    def log() -> str:
        return (dev.data_dir / "dev.log").read_text(errors="replace")

    # Logged just after the pid file is written (and with another worker
    # alive, the run above may well have finished before either).
    wait_until(lambda: f"worker restarted (pid {second})" in log(), 15, "the restart's log line")
    assert f"worker (pid {first}) exited with code -9 (SIGKILL); restarting it in 1 s" in log()
    assert dev.process.poll() is None
    return second
