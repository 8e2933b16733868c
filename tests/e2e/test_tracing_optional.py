"""Tracing is optional: without the `otel` extra's packages a deployment with tracing
off serves runs, tracing switched on says what to install, and a bad Temporal
client config stops start-up with one line.

The extra's packages (OpenTelemetry's SDK, exporter and instrumentation; its API
is a dependency of FastAPI itself) are hidden from the processes by a
`sitecustomize` module that refuses to import them, as in an environment where
they were never installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import TEST_GRAPHS, Deployment
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal

HIDE_OPENTELEMETRY = '''
import sys


HIDDEN = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.instrumentation")


class _NotInstalled:
    """Import the `otel` extra's packages as if they were not installed."""

    def find_spec(self, name, path=None, target=None):
        if any(name == hidden or name.startswith(hidden + ".") for hidden in HIDDEN):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
'''


@pytest.fixture(scope="module")
def without_otel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("no-otel")
    (folder / "sitecustomize.py").write_text(HIDE_OPENTELEMETRY)
    return {"PYTHONPATH": str(folder)}


def _steadygraph(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "steadygraph", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
            "STEADYGRAPH_CONNECT_TIMEOUT": "0",
            **env,
        },
    )


def test_the_packages_are_really_hidden(without_otel: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import opentelemetry.sdk.trace"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **without_otel},
        cwd=tmp_path,
    )
    assert result.returncode != 0 and "No module named 'opentelemetry.sdk" in result.stderr


async def test_a_deployment_without_opentelemetry_serves_runs(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    without_otel: dict[str, str],
    tmp_path: Path,
) -> None:
    env = dict(without_otel)
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path, extra_env=env)
    # Tracing stays off even if the calling shell has an OTLP endpoint set.
    deployment.extra_env["STEADYGRAPH_OTEL"] = "0"
    try:
        client = get_client(url=deployment.start().url)
        thread = await client.threads.create()
        run = await client.runs.create(thread["thread_id"], "agent", input={"messages": []})
        await client.runs.join(thread["thread_id"], run["run_id"])
        assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    finally:
        deployment.stop()


@pytest.mark.parametrize("command", ["api", "worker"])
def test_tracing_on_without_the_packages_says_what_to_install(
    command: str, without_otel: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **without_otel,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
        "STEADYGRAPH_DATA_DIR": str(tmp_path),
    }
    result = _steadygraph([command, "--config", str(TEST_GRAPHS)], env, tmp_path)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "pip install 'steadygraph[otel]'" in last and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["api", "worker", "dev"])
def test_a_bad_temporal_config_file_stops_startup_in_one_line(command: str, tmp_path: Path) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text('[profile.default\naddress = "x"\n')
    project = tmp_path / "langgraph.json"
    project.write_text(json.dumps({"graphs": {}}))
    env = {"TEMPORAL_CONFIG_FILE": str(config), "STEADYGRAPH_DATA_DIR": str(tmp_path)}
    result = _steadygraph([command, "--config", str(project)], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(
        f"steadygraph: Temporal client config (TEMPORAL_CONFIG_FILE={config})"
    )
    assert "TOML parse error" in lines[0]
