"""Session-wide real infrastructure: one Temporal dev server and one
Steadygraph deployment (API + worker processes) serving tests/graphs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Deployment

from steadygraph.temporal_dev_server import EmbeddedTemporal, free_port

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


@pytest.fixture(scope="session")
def deployment(
    temporal_server: EmbeddedTemporal, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    deployment = Deployment(temporal_server.address, tmp_path_factory.mktemp("steadygraph"))
    try:
        yield deployment.start()
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def server_url(deployment: Deployment) -> str:
    return deployment.url
