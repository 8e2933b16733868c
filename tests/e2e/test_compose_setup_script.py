"""docker-compose.yml's `temporal-setup` one-shot, run for real: its script,
as Compose hands it to the admin-tools shell, with the same `temporal` CLI
against a real Temporal server. It creates the namespace and our four Keyword
search attributes, and a second run (every `docker compose up`) succeeds too."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from unit.test_deployment_files import COMPOSE_TEXT, _interpolate

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port, temporal_binary
from steadygraph.temporal.contract import SEARCH_ATTRIBUTES


@pytest.fixture(scope="module")
def bare_temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedTemporal]:
    server = EmbeddedTemporal(
        data_dir=tmp_path_factory.mktemp("temporal"), port=free_port(), ui_port=None, in_memory=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _run_setup(script: str, address: str, namespace: str, bin_dir: Path) -> str:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "TEMPORAL_ADDRESS": address,
        "NAMESPACE": namespace,
    }
    result = subprocess.run(
        ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_setup_service_creates_namespace_and_search_attributes(
    bare_temporal: EmbeddedTemporal, tmp_path: Path
) -> None:
    compose = yaml.safe_load(_interpolate(COMPOSE_TEXT))
    (script,) = compose["services"]["temporal-setup"]["command"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "temporal").symlink_to(shutil.which(temporal_binary()) or temporal_binary())
    namespace = f"compose-{uuid.uuid4().hex[:8]}"

    _run_setup(script, bare_temporal.address, namespace, bin_dir)
    again = _run_setup(script, bare_temporal.address, namespace, bin_dir)
    assert again.count("already exists") == len(SEARCH_ATTRIBUTES)

    listed = subprocess.run(
        [
            temporal_binary(),
            "operator",
            "search-attribute",
            "list",
            "--namespace",
            namespace,
            "--address",
            bare_temporal.address,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for key in SEARCH_ATTRIBUTES:
        assert key.name in listed
    assert '"Keyword"' in listed or "KEYWORD" in listed.upper()
