"""`steadygraph` start-up: a broken langgraph.json or environment variable stops it
with one clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from steadygraph.dev.temporal_server import free_port


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
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
            **(env or {}),
        },
    )


def _project(tmp_path: Path, graphs: dict, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"dependencies": ["."], "graphs": graphs}))
    return config


@pytest.mark.parametrize(
    "graphs, files, expected",
    [
        ({"agent": "./missing.py:graph"}, {}, "graphs['agent']"),
        ({"agent": "./agent.py:nope"}, {"agent.py": "graph = 1\n"}, "graphs['agent']"),
        ({"agent": "./agent.py:graph"}, {"agent.py": "graph = 1\n"}, "not a LangGraph graph"),
        ({"agent": "./agent.py:graph"}, {"agent.py": "import nonexistent_mod\n"}, "agent"),
    ],
)
@pytest.mark.parametrize("command", ["worker", "dev"])
def test_bad_graph_entry_stops_startup_naming_it(
    tmp_path: Path, graphs: dict, files: dict[str, str], expected: str, command: str
) -> None:
    config = _project(tmp_path, graphs, files)
    extra = ["--no-temporal-ui", "--temporal-port", str(free_port())] if command == "dev" else []
    result = _run(
        [command, "--config", str(config), "--data-dir", str(tmp_path / "d"), *extra], tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    result = _run(["api", "--config", str(tmp_path / "nope.json")], tmp_path)
    assert result.returncode == 2
    assert "nope.json" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("STEADYGRAPH_PORT", "abc", "valid integer"),
        ("STEADYGRAPH_STEP_MAX_ATTEMPTS", "-1", "greater than or equal to 1"),
        ("STEADYGRAPH_STEP_TIMEOUT", "soon", "valid number"),
        ("TEMPORAL_TLS", "maybe", "valid boolean"),
    ],
)
@pytest.mark.parametrize("command", ["api", "worker", "dev"])
def test_bad_environment_variable_stops_startup_naming_it(
    tmp_path: Path, variable: str, value: str, expected: str, command: str
) -> None:
    config = _project(tmp_path, {"agent": "./agent.py:graph"}, {"agent.py": "graph = 1\n"})
    extra = ["--no-temporal-ui", "--temporal-port", str(free_port())] if command == "dev" else []
    result = _run(
        [command, "--config", str(config), "--data-dir", str(tmp_path / "d"), *extra],
        tmp_path,
        env={variable: value},
    )
    assert result.returncode == 2, result.stderr
    # One line naming the variable and what is wrong with it; no traceback.
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"steadygraph: invalid environment variable {variable}={value!r}: ")
    assert expected in line
