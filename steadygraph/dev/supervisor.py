"""Keeps `steadygraph dev`'s worker process alive: a crashed worker is started
again after a back-off, so the API never sits in front of a worker that is gone."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from steadygraph.dev.processes import stop

log = logging.getLogger("steadygraph.dev")

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# A worker that stayed up this long was healthy: its next crash starts the
# back-off from the first delay again.
STABLE_AFTER_S = 60.0
_POLL_S = 0.2


class WorkerStartFailed(Exception):
    """The worker exited (or never became ready) while starting."""

    def __init__(self, exit_code: int | None) -> None:
        super().__init__(f"the worker did not start (exit code {exit_code})")
        self.exit_code = exit_code


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not become ready"
    if code < 0:
        try:
            return f"exited with code {code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"exited with code {code}"
    return f"exited with code {code}"


def next_delay(
    previous: float | None, first: float = FIRST_DELAY_S, most: float = MAX_DELAY_S
) -> float:
    """1 s, 2 s, 4 s, … capped at 30 s."""
    return first if previous is None else min(previous * 2, most)


class WorkerSupervisor:
    """Watches a worker process from a thread and restarts it when it exits.

    `start_worker` starts a worker and returns once it polls its task queue; it
    raises WorkerStartFailed when the new worker dies first. `on_started` is
    told each new worker (e.g. to write its pid file).
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        start_worker: Callable[[Callable[[], bool]], subprocess.Popen[bytes]],
        on_started: Callable[[subprocess.Popen[bytes]], None] = lambda _p: None,
        *,
        first_delay_s: float = FIRST_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
        stable_after_s: float = STABLE_AFTER_S,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._start_worker = start_worker
        self._on_started = on_started
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._delays = (first_delay_s, max_delay_s)
        self._stable_after_s = stable_after_s
        self._stop_timeout_s = stop_timeout_s
        self.restarts = 0

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            return self._process

    def start(self) -> WorkerSupervisor:
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop watching, then stop the current worker (never restarted again):
        SIGTERM, and SIGKILL if it has not exited within `stop_timeout_s`."""
        self._stopping.set()
        self._thread.join(timeout=150)
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            stop(process, timeout=self._stop_timeout_s)

    def _watch(self) -> None:
        delay: float | None = None
        started_at = time.monotonic()
        while not self._stopping.is_set():
            process = self.process
            if process is None or process.poll() is None:
                self._stopping.wait(_POLL_S)
                continue
            if time.monotonic() - started_at >= self._stable_after_s:
                delay = None
            delay = next_delay(delay, *self._delays)
            self.restarts += 1
            log.warning(
                "worker (pid %s) %s; restarting it in %.3g s (restart #%d)",
                process.pid,
                describe_exit(process.returncode),
                delay,
                self.restarts,
            )
            while not self._stopping.is_set():
                if self._stopping.wait(delay):
                    return
                try:
                    replacement = self._start_worker(self._stopping.is_set)
                except WorkerStartFailed as exc:
                    delay = next_delay(delay, *self._delays)
                    self.restarts += 1
                    log.warning(
                        "restarted worker %s; retrying in %.3g s (restart #%d)",
                        describe_exit(exc.exit_code),
                        delay,
                        self.restarts,
                    )
                    continue
                with self._lock:
                    self._process = replacement
                if self._stopping.is_set():
                    return  # shutdown() stops it
                started_at = time.monotonic()
                self._on_started(replacement)
                log.warning("worker restarted (pid %s)", replacement.pid)
                break
