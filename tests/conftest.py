"""Session-wide real infrastructure: one Temporal dev server and one
Steadygraph deployment (API + worker processes) serving tests/graphs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Deployment, dedicated_deployment, fresh_postgres_database

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port

sys.path.insert(0, str(Path(__file__).parent / "graphs"))


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedTemporal]:
    server = EmbeddedTemporal(
        data_dir=tmp_path_factory.mktemp("temporal"),
        port=free_port(),
        ui_port=None,
        in_memory=True,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Every end-to-end test runs once per storage backend: SQLite files (the
    default) and a fresh PostgreSQL database on the local server."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    with dedicated_deployment(
        temporal_server.address, database_url, tmp_path_factory.mktemp("steadygraph")
    ) as deployment:
        yield deployment


@pytest.fixture(scope="session")
def server_url(deployment: Deployment) -> str:
    return deployment.url
