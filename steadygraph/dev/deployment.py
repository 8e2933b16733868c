"""Steadygraph's own processes started from Python, for the tests and the benchmark:
`steadygraph api` + `steadygraph worker` against a Temporal server (a deployment), or
an all-in-one `steadygraph dev`. Each listens on a free loopback port, logs to a file
in its data dir and is stopped by its own PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from steadygraph.dev.processes import spawn, stop
from steadygraph.dev.temporal_server import free_port

# A throwaway `dev` keeps Temporal and SQLite in its data dir, whatever the calling
# shell has set: it must never write into someone's real database or cluster.
_DEV_IGNORES = ("TEMPORAL_ADDRESS", "STEADYGRAPH_DATABASE_URL", "DATABASE_URL")


def steadygraph_command(*args: str) -> list[str]:
    """`steadygraph ARGS` run by this Python; -P keeps the cwd off sys.path."""
    return [sys.executable, "-P", "-m", "steadygraph", *args]


@contextmanager
def fresh_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server `admin_url` connects
    to (named `prefix` + a random suffix), dropped afterwards."""
    import psycopg

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def http_ok(url: str) -> bool:
    """Whether the API at `url` answers GET /ok."""
    try:
        return httpx.get(f"{url}/ok", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _log_tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


class PortTaken(RuntimeError):
    """The API could not bind its port: another process has it."""


@dataclass
class Deployment:
    """`steadygraph api` + `steadygraph worker` as separate processes, as in production.

    `api` serves on `port`; `start_api_replica` adds more API processes (each on a
    port of its own) over the same database and Temporal namespace, as a load
    balancer would spread them. `extra_env` is laid over the process environment
    and the variables set here.
    """

    temporal_address: str
    data_dir: Path
    config: Path
    task_queue: str = field(default_factory=lambda: f"deployment-{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # Further API processes, by the URL each serves.
    api_replicas: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_urls(self) -> list[str]:
        """Every API process running now, the first one's URL first."""
        first = [self.url] if self.api is not None else []
        return first + list(self.api_replicas)

    def env(self, port: int | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            STEADYGRAPH_CONFIG=str(self.config),
            STEADYGRAPH_DATA_DIR=str(self.data_dir),
            STEADYGRAPH_TASK_QUEUE=self.task_queue,
            TEMPORAL_ADDRESS=self.temporal_address,
            STEADYGRAPH_HOST="127.0.0.1",
            STEADYGRAPH_PORT=str(port or self.port),
        )
        env.update(self.extra_env)
        return env

    def _log(self, name: str) -> IO[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return open(self.data_dir / f"{name}.log", "ab")

    def _spawn_api(self, port: int) -> subprocess.Popen[bytes]:
        url = f"http://127.0.0.1:{port}"
        with self._log("api") as log:
            api = spawn(
                steadygraph_command("api"),
                env=self.env(port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            wait_until(lambda: http_ok(url) or api.poll() is not None, 60, f"the API at {url}")
        except TimeoutError:
            stop(api)
            raise
        if api.poll() is not None:
            tail = self.read_log("api")
            if f"{port}): address already in use" in tail:
                raise PortTaken(f"API exited: {tail}")
            raise RuntimeError(f"API exited: {tail}")
        return api

    def start_api(self) -> None:
        """The API on `port` (again, after it was stopped)."""
        self.api = self._spawn_api(self.port)

    def _spawn_api_on_a_free_port(self, port: int) -> tuple[int, subprocess.Popen[bytes]]:
        """An API on `port`, or on another free port if a process (a parallel
        test) took `port` between its pick and the API's bind."""
        for _ in range(2):
            try:
                return port, self._spawn_api(port)
            except PortTaken:
                port = free_port()
        return port, self._spawn_api(port)

    def start_api_replica(self) -> str:
        """One more API process, on a free port; returns its URL."""
        port, process = self._spawn_api_on_a_free_port(free_port())
        url = f"http://127.0.0.1:{port}"
        self.api_replicas[url] = process
        return url

    def api_process(self, url: str) -> subprocess.Popen[bytes]:
        if url == self.url and self.api is not None:
            return self.api
        return self.api_replicas[url]

    def kill_api(self, url: str, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send `sig` to the API serving `url`, wait for it to exit; its exit code."""
        process = self.api_process(url)
        process.send_signal(sig)
        code = process.wait()
        if process is self.api:
            self.api = None
        else:
            del self.api_replicas[url]
        return code

    def start_worker(self) -> subprocess.Popen[bytes]:
        ready = self.data_dir / f"worker-{uuid.uuid4().hex}.ready"
        with self._log("worker") as log:
            worker = spawn(
                steadygraph_command("worker", "--ready-file", str(ready)),
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            wait_until(lambda: ready.exists() or worker.poll() is not None, 60, "the worker")
        except TimeoutError:
            stop(worker)  # not ours to leave running: nobody else knows its PID
            raise
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited: {self.read_log('worker')}")
        self.workers.append(worker)
        return worker

    def kill_worker(
        self, worker: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGKILL
    ) -> int:
        """Send `sig` to the worker, wait for it to exit; its exit code."""
        worker.send_signal(sig)
        code = worker.wait()
        self.workers.remove(worker)
        return code

    def start(self) -> Deployment:
        self.start_worker()
        # Only a first start may move to another port; a restart
        # (`start_api`) keeps the URL clients know.
        self.port, self.api = self._spawn_api_on_a_free_port(self.port)
        return self

    def stop(self) -> None:
        if self.api is not None:
            stop(self.api)
            self.api = None
        for replica in self.api_replicas.values():
            stop(replica)
        self.api_replicas.clear()
        for worker in self.workers:
            stop(worker)
        self.workers.clear()

    def read_log(self, name: str) -> str:
        return _log_tail(self.data_dir / f"{name}.log")


@dataclass
class DevServer:
    """`steadygraph dev`: embedded Temporal + worker + API in one command, headless,
    with its state (Temporal's and SQLite's) in `data_dir`.

    `extra_env` is laid over the process environment, less the variables that would
    point `dev` at an outside Temporal server or database.
    """

    data_dir: Path
    config: Path
    port: int = field(default_factory=free_port)
    temporal_port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout_s: float = 90.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "dev.log"

    @property
    def command(self) -> list[str]:
        return steadygraph_command(
            "dev",
            "--config",
            str(self.config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--temporal-port",
            str(self.temporal_port),
            "--no-temporal-ui",
        )

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _DEV_IGNORES}
        env.update(self.extra_env)
        return env

    def start(self) -> DevServer:
        """Start it and wait for GET /ok; RuntimeError with the log's end if it does not
        answer within `startup_timeout_s` (the process is stopped then)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            process = spawn(
                self.command,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.process = process
        try:
            wait_until(
                lambda: http_ok(self.url) or process.poll() is not None,
                self.startup_timeout_s,
                "steadygraph dev",
            )
        except TimeoutError:
            pass
        if not http_ok(self.url):
            self.stop()
            raise RuntimeError(
                f"steadygraph dev did not answer GET /ok within {self.startup_timeout_s:g} s "
                f"(exit code {process.returncode}); log {self.log_path}:\n{self.read_log()}"
            )
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM by PID (`dev` stops its worker and Temporal), SIGKILL after `timeout`."""
        if self.process is not None:
            stop(self.process, timeout=timeout)
            self.process = None

    def read_log(self) -> str:
        return _log_tail(self.log_path)
