"""A throwaway deployment for the scale benchmarks: an embedded Temporal dev
server (file-backed, as `steadygraph dev` runs it), `steadygraph api` and one
`steadygraph worker` process serving bench/graphs, on SQLite files or a fresh
PostgreSQL database (dropped afterwards). Every process binds 127.0.0.1 on a
free port and is stopped by its PID."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from steadygraph.dev.deployment import Deployment, fresh_postgres_database
from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port

BENCH_GRAPHS = Path(__file__).resolve().parent / "graphs" / "langgraph.json"
POSTGRES_ADMIN_URL = os.environ.get(
    "STEADYGRAPH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Bench:
    deployment: Deployment
    temporal: EmbeddedTemporal
    database_url: str | None

    @property
    def url(self) -> str:
        return self.deployment.url

    def processes(self) -> dict[str, psutil.Process]:
        """The processes to measure: API, worker(s) and the Temporal server."""
        found = {"temporal": psutil.Process(_pid(self.temporal.process))}
        found["api"] = psutil.Process(_pid(self.deployment.api))
        for i, worker in enumerate(self.deployment.workers):
            found[f"worker{i or ''}"] = psutil.Process(worker.pid)
        return found


def _pid(process: object) -> int:
    pid = getattr(process, "pid", None)
    if pid is None:
        raise RuntimeError("process not started")
    return int(pid)


def postgres_database() -> AbstractContextManager[str]:
    return fresh_postgres_database(POSTGRES_ADMIN_URL, "steadygraph_bench_")


@contextmanager
def bench_deployment(backend: str, env: Mapping[str, str] | None = None) -> Iterator[Bench]:
    """backend: "sqlite" or "postgres"."""
    with tempfile.TemporaryDirectory(prefix="steadygraph-bench-") as tmp:
        root = Path(tmp)
        temporal = EmbeddedTemporal(data_dir=root / "temporal", port=free_port(), ui_port=None)
        temporal.start()
        try:
            with _database(backend) as database_url:
                extra = dict(env or {})
                if database_url:
                    extra["STEADYGRAPH_DATABASE_URL"] = database_url
                deployment = Deployment(
                    temporal.address, root / "deploy", BENCH_GRAPHS, extra_env=extra
                )
                try:
                    deployment.start()
                    yield Bench(deployment, temporal, database_url)
                finally:
                    deployment.stop()
        finally:
            temporal.stop()


@contextmanager
def _database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
    elif backend == "postgres":
        with postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")
