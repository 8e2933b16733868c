"""Real processes for the tests: the Temporal dev server, `steadygraph api`,
`steadygraph worker` and `steadygraph dev`, each on free loopback ports and
stopped by its own PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from steadygraph.dev.processes import spawn, stop
from steadygraph.dev.temporal_server import free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_GRAPHS = ROOT / "tests" / "graphs" / "langgraph.json"

# Fast retries, so failure tests take seconds. The heartbeat timeout stays
# long enough that a loaded 2-core machine never times out a healthy step (a
# retried step streams its events again); the kill test shortens it.
FAST_STEP_ENV = {
    "STEADYGRAPH_STEP_MAX_ATTEMPTS": "3",
    "STEADYGRAPH_STEP_RETRY_INTERVAL": "0.2",
    "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "10",
}


POSTGRES_ADMIN_URL = os.environ.get(
    "STEADYGRAPH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"steadygraph_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ok", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Deployment:
    """`steadygraph api` + `steadygraph worker` as separate processes, as in production."""

    temporal_address: str
    data_dir: Path
    config: Path = TEST_GRAPHS
    task_queue: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(FAST_STEP_ENV)
        env.update(
            STEADYGRAPH_CONFIG=str(self.config),
            STEADYGRAPH_DATA_DIR=str(self.data_dir),
            STEADYGRAPH_TASK_QUEUE=self.task_queue,
            TEMPORAL_ADDRESS=self.temporal_address,
            STEADYGRAPH_HOST="127.0.0.1",
            STEADYGRAPH_PORT=str(self.port),
        )
        env.update(self.extra_env)
        return env

    def _log(self, name: str):  # type: ignore[no-untyped-def]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return open(self.data_dir / f"{name}.log", "ab")

    def start_api(self) -> None:
        with self._log("api") as log:
            self.api = spawn(
                [sys.executable, "-P", "-m", "steadygraph", "api"],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_until(lambda: _http_ok(self.url) or self.api.poll() is not None, 60, "the API")
        if self.api.poll() is not None:
            raise RuntimeError(f"API exited: {self.read_log('api')}")

    def start_worker(self) -> subprocess.Popen[bytes]:
        ready = self.data_dir / f"worker-{uuid.uuid4().hex}.ready"
        with self._log("worker") as log:
            worker = spawn(
                [sys.executable, "-P", "-m", "steadygraph", "worker", "--ready-file", str(ready)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_until(lambda: ready.exists() or worker.poll() is not None, 60, "the worker")
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited: {self.read_log('worker')}")
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        self.workers.remove(worker)

    def start(self) -> Deployment:
        self.start_worker()
        self.start_api()
        return self

    def stop(self) -> None:
        if self.api is not None:
            stop(self.api)
            self.api = None
        for worker in self.workers:
            stop(worker)
        self.workers.clear()

    def read_log(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@dataclass
class DevServer:
    """`steadygraph dev`: embedded Temporal + worker + API in one command."""

    data_dir: Path
    config: Path = TEST_GRAPHS
    port: int = field(default_factory=free_port)
    temporal_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DevServer:
        env = dict(os.environ)
        env.update(FAST_STEP_ENV)
        env.pop("TEMPORAL_ADDRESS", None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "dev.log", "ab") as log:
            self.process = spawn(
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "steadygraph",
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
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        process = self.process
        wait_until(lambda: _http_ok(self.url) or process.poll() is not None, 90, "steadygraph dev")
        if process.poll() is not None:
            raise RuntimeError((self.data_dir / "dev.log").read_text()[-4000:])
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, timeout=30)
            self.process = None
