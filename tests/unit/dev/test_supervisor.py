"""The dev worker supervisor: restart on exit, exponential back-off, reset after
a stable stretch, nothing restarted once shutting down. Real child processes."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from steadygraph.dev.supervisor import (
    WorkerStartFailed,
    WorkerSupervisor,
    describe_exit,
    next_delay,
)


def _process(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def _wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [next_delay(None)]
    for _ in range(6):
        delays.append(next_delay(delays[-1]))
    assert delays == [1, 2, 4, 8, 16, 30, 30]


def test_exit_codes_are_named() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "exited with code -9 (SIGKILL)"


def test_crashing_workers_are_restarted_with_growing_delays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[subprocess.Popen[bytes]] = []

    def start(_cancelled: Callable[[], bool]) -> subprocess.Popen[bytes]:
        # The third worker stays up; the others crash at once.
        process = _process("import time; time.sleep(60)" if len(started) == 2 else "exit(3)")
        started.append(process)
        return process

    caplog.set_level(logging.WARNING, "steadygraph.dev")
    supervisor = WorkerSupervisor(
        _process("exit(5)"), start, first_delay_s=0.05, max_delay_s=0.1, stable_after_s=60
    ).start()
    try:
        _wait_for(lambda: len(started) == 3)
        _wait_for(lambda: len(caplog.records) == 6)
    finally:
        supervisor.shutdown()
    lines = [r.getMessage() for r in caplog.records]
    assert "exited with code 5; restarting it in 0.05 s (restart #1)" in lines[0]
    assert lines[1] == f"worker restarted (pid {started[0].pid})"
    assert (
        f"(pid {started[0].pid}) exited with code 3; restarting it in 0.1 s (restart #2)"
        in lines[2]
    )
    assert "exited with code 3; restarting it in 0.1 s (restart #3)" in lines[4]
    assert lines[5] == f"worker restarted (pid {started[2].pid})"
    assert started[2].poll() is not None  # shutdown stopped the last one


def test_a_worker_that_stayed_up_starts_the_backoff_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[subprocess.Popen[bytes]] = []

    def start(_cancelled: Callable[[], bool]) -> subprocess.Popen[bytes]:
        process = _process("import time; time.sleep(0.5)")
        started.append(process)
        return process

    caplog.set_level(logging.WARNING, "steadygraph.dev")
    supervisor = WorkerSupervisor(
        _process("exit(1)"), start, first_delay_s=0.05, max_delay_s=1, stable_after_s=0.3
    ).start()
    try:
        _wait_for(lambda: len(started) == 3)
    finally:
        supervisor.shutdown()
    restarts = [r.getMessage() for r in caplog.records if "restarting it in" in r.getMessage()]
    assert all("restarting it in 0.05 s" in line for line in restarts), restarts


def test_failed_starts_are_retried_and_shutdown_stops_retrying(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[float] = []

    def start(_cancelled: Callable[[], bool]) -> subprocess.Popen[bytes]:
        attempts.append(time.monotonic())
        raise WorkerStartFailed(2)

    caplog.set_level(logging.WARNING, "steadygraph.dev")
    supervisor = WorkerSupervisor(
        _process("exit(1)"), start, first_delay_s=0.05, max_delay_s=0.2
    ).start()
    _wait_for(lambda: len(attempts) >= 4)
    supervisor.shutdown()
    count = len(attempts)
    time.sleep(0.5)
    assert len(attempts) == count
    assert "restarted worker exited with code 2; retrying in 0.1 s (restart #2)" in caplog.text
    assert supervisor.process is None
