"""Static parsing of a ``langgraph.json`` project file.

Nothing here imports user code: the API process uses this module to learn graph ids,
env and dependencies, and it must never execute graph modules (those run on workers,
see :mod:`steadygraph.graph.loading`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from steadygraph.config.checkpointer import parse_default_thread_ttl
from steadygraph.config.errors import ConfigError, json_type
from steadygraph.config.http import HttpConfig, parse_http
from steadygraph.config.keys import check_keys
from steadygraph.config.run_policy import SECTION as RUN_POLICY_SECTION
from steadygraph.config.run_policy import RunPolicyConfig, parse_run_policy

__all__ = [
    "ConfigError",
    "GraphSpec",
    "ProjectConfig",
    "json_type",
    "load_project",
]

DEFAULT_CONFIG_NAME = "langgraph.json"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class GraphSpec:
    """One entry of ``graphs`` in langgraph.json, as written (not imported)."""

    graph_id: str
    module: str  # as written before ':', e.g. "./agent.py" or "my_pkg.graph"
    attr: str  # after ':', possibly a dotted attribute path, e.g. "graph" or "app.graph"
    file: Path | None  # absolute path when `module` is a file path, else None
    description: str | None

    @property
    def import_path(self) -> str:
        return f"{self.module}:{self.attr}"


@dataclass(frozen=True)
class ProjectConfig:
    """The parsed langgraph.json. ``raw`` keeps every key for features parsed elsewhere."""

    path: Path
    base_dir: Path
    graphs: dict[str, GraphSpec]
    env: dict[str, str]
    dependencies: list[Path]
    packages: list[str]
    raw: dict[str, Any]
    http: HttpConfig = field(default_factory=HttpConfig)
    # `checkpointer.ttl`: a new thread's ttl ({"strategy", "ttl"}) unless it has its own.
    default_thread_ttl: dict[str, Any] | None = None
    # `steadygraph`: step timeouts/retries per graph and node, run timeouts.
    run_policy: RunPolicyConfig = field(default_factory=RunPolicyConfig)
    # One line per key that is accepted but has no effect here, for start-up to print.
    notices: tuple[str, ...] = ()

    @property
    def graph_ids(self) -> list[str]:
        return list(self.graphs)

    def http_disabled(self, feature: str) -> bool:
        """`http.disable_<feature>` (e.g. "mcp", "a2a") is set to true."""
        return self.http.is_disabled(feature)


def load_project(path: str | Path) -> ProjectConfig:
    """Parse and validate a langgraph.json (or a folder containing one).

    Raises ConfigError with a message naming the offending entry.
    """
    config_path = _resolve_config_path(Path(path))
    raw = _read_json(config_path)
    base_dir = config_path.parent
    where = config_path.name
    # Every key first: a typo stops start-up before it can be silently ignored.
    notices = check_keys(raw, where)
    dependencies, packages = _parse_dependencies(raw.get("dependencies"), base_dir, where)
    graphs = _parse_graphs(raw.get("graphs"), base_dir, where)
    return ProjectConfig(
        path=config_path,
        base_dir=base_dir,
        graphs=graphs,
        env=_parse_env(raw.get("env"), base_dir, where),
        dependencies=dependencies,
        packages=packages,
        raw=raw,
        http=parse_http(raw.get("http"), where),
        default_thread_ttl=parse_default_thread_ttl(raw.get("checkpointer"), where),
        run_policy=parse_run_policy(raw.get(RUN_POLICY_SECTION), list(graphs), where),
        notices=tuple(notices),
    )


# --- file ---------------------------------------------------------------------------


def _resolve_config_path(path: Path) -> Path:
    # Accepting a folder lets `steadygraph dev ./examples` work like `langgraph dev` run there.
    path = path.expanduser().resolve()
    if path.is_dir():
        path = path / DEFAULT_CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{path.name}: config file not found (looked in {path})")
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path.name}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: must contain a JSON object, got {json_type(data)}")
    return data


def _resolve(base_dir: Path, relative: str) -> Path:
    # Relative entries are relative to langgraph.json's folder, not the process's cwd.
    return (base_dir / Path(relative).expanduser()).resolve()


# --- graphs -------------------------------------------------------------------------


def _parse_graphs(value: object, base_dir: Path, where: str) -> dict[str, GraphSpec]:
    if value is None:
        raise ConfigError(
            f'{where}: \'graphs\' is missing; add e.g. {{"agent": "./agent.py:graph"}}'
        )
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'graphs' must be an object, got {json_type(value)}")
    if not value:
        raise ConfigError(f"{where}: 'graphs' is empty; declare at least one graph")
    return {
        graph_id: _parse_graph_entry(graph_id, entry, base_dir, where)
        for graph_id, entry in value.items()
    }


def _parse_graph_entry(graph_id: str, entry: object, base_dir: Path, where: str) -> GraphSpec:
    if not graph_id.strip():
        raise ConfigError(f"{where}: graphs[{graph_id!r}]: graph id must be a non-empty string")
    label = f"{where}: graphs[{graph_id!r}]"
    import_path, description = _split_graph_entry(entry, label)
    module, attr = _split_import_path(import_path, label)
    file = _resolve_graph_file(module, base_dir, label) if _is_file_path(module) else None
    if file is None:
        _check_dotted(module, "module", label)
    return GraphSpec(
        graph_id=graph_id, module=module, attr=attr, file=file, description=description
    )


def _split_graph_entry(entry: object, label: str) -> tuple[str, str | None]:
    """Return (import path, description) for the string or {"path", "description"} forms."""
    if isinstance(entry, str):
        return entry, None
    if not isinstance(entry, dict):
        raise ConfigError(
            f'{label}: must be a string like "./agent.py:graph" or an object with a '
            f'"path" key, got {json_type(entry)}'
        )
    path = entry.get("path")
    if not isinstance(path, str):
        raise ConfigError(f'{label}: object form needs a string "path" like "./agent.py:graph"')
    description = entry.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f'{label}: "description" must be a string or null')
    return path, description


def _split_import_path(import_path: str, label: str) -> tuple[str, str]:
    # rpartition: the attribute never contains ':', a (Windows) file path might.
    module, sep, attr = import_path.strip().rpartition(":")
    if not sep or not module or not attr:
        raise ConfigError(
            f"{label}: {import_path!r} must be '<file or module>:<attribute>', "
            'e.g. "./agent.py:graph" or "my_pkg.agent:graph"'
        )
    _check_dotted(attr, "attribute", label)
    return module, attr


def _is_file_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or "\\" in module or module.startswith(".")


def _check_dotted(name: str, kind: str, label: str) -> None:
    if not all(_IDENTIFIER.fullmatch(part) for part in name.split(".")):
        raise ConfigError(f"{label}: {kind} {name!r} is not a valid dotted Python name")


def _resolve_graph_file(module: str, base_dir: Path, label: str) -> Path:
    file = _resolve(base_dir, module)
    if not module.endswith(".py"):
        # JS/TS graphs are a langgraph.js feature; workers here only import Python.
        raise ConfigError(f"{label}: file {module} is not a Python (.py) file")
    if not file.is_file():
        raise ConfigError(f"{label}: file {module} not found (looked in {file})")
    return file


# --- env ----------------------------------------------------------------------------


def _parse_env(value: object, base_dir: Path, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return _read_env_file(value, base_dir, where)
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: 'env' must be an object or a path to a .env file, got {json_type(value)}"
        )
    env: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise ConfigError(
                f"{where}: env[{key!r}]: value must be a string, got {json_type(item)}"
            )
        env[key] = item
    return env


def _read_env_file(name: str, base_dir: Path, where: str) -> dict[str, str]:
    """Read a .env file the way LangGraph's CLI does, with python-dotenv.

    Without ``${VAR}`` interpolation: the API process and the workers must read the
    same values, and interpolating against the reading process's environment would
    make them differ. A line python-dotenv cannot parse is skipped with its warning;
    a bare ``KEY`` (no ``=``) sets nothing, as with ``load_dotenv``.
    """
    file = _resolve(base_dir, name)
    label = f"{where}: env file {name}"
    if not file.is_file():
        raise ConfigError(f"{label} not found (looked in {file})")
    try:
        values = dotenv_values(file, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read: {exc}") from exc
    return {key: value for key, value in values.items() if value is not None}


# --- dependencies -------------------------------------------------------------------


def _parse_dependencies(value: object, base_dir: Path, where: str) -> tuple[list[Path], list[str]]:
    """Split `dependencies` into local folders (absolute) and package requirements."""
    if value is None:
        # Optional here: the schema's `source`-based variant has no dependencies list.
        return [], []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'dependencies' must be an array, got {json_type(value)}")
    paths: list[Path] = []
    packages: list[str] = []
    for index, dep in enumerate(value):
        label = f"{where}: dependencies[{index}]"
        if not isinstance(dep, str) or not dep.strip():
            raise ConfigError(f"{label}: must be a non-empty string")
        if _is_local_dependency(dep):
            paths.append(_resolve_dependency(dep, base_dir, label))
        else:
            packages.append(dep)
    return paths, packages


def _is_local_dependency(dep: str) -> bool:
    # Same rule as langgraph-cli: local paths start with '.' (or are absolute); anything
    # else ("langchain_openai", "pkg>=1", "git+https://...") is a pip requirement.
    return dep.startswith((".", "/", "~"))


def _resolve_dependency(dep: str, base_dir: Path, label: str) -> Path:
    path = _resolve(base_dir, dep)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "not found"
        raise ConfigError(f"{label}: local dependency {dep} {what} (looked in {path})")
    return path
