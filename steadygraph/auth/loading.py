"""Loading the project's `Auth` object (langgraph.json `"auth": {"path": ...}`).

Imported in the API process: it is auth code, not graph code. A path is
`./auth.py:auth` (a file, relative to langgraph.json) or `package.module:auth`
(importable from the project's dependencies), as for graphs.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from langgraph_sdk import Auth

from steadygraph.config.project import ConfigError, ProjectConfig
from steadygraph.graph.loading import add_project_to_sys_path, apply_env, import_file

# What `@auth.authenticate` may declare, as LangGraph Server passes them.
AUTHENTICATE_PARAMETERS = frozenset(
    {
        "request",
        "path",
        "method",
        "path_params",
        "query_params",
        "headers",
        "authorization",
        "scope",
        "scopes",
    }
)


def auth_path(project: ProjectConfig) -> str | None:
    """langgraph.json's `auth.path`, if the project declares custom auth."""
    where = f"{project.path.name}: auth"
    section = project.raw.get("auth")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f'{where}: must be an object like {{"path": "./auth.py:auth"}}')
    path = section.get("path")
    if path is None:
        return None
    if not isinstance(path, str) or ":" not in path:
        raise ConfigError(f"{where}.path: must look like './auth.py:auth' or 'module:auth'")
    return path


def load_auth(project: ProjectConfig) -> Auth | None:
    """The project's `Auth` object, or None without `auth.path`. Raises
    ConfigError (shown as-is at start-up) when it cannot be used."""
    path = auth_path(project)
    if path is None:
        return None
    where = f"{project.path.name}: auth.path {path!r}"
    module_name, attr = path.rsplit(":", 1)
    apply_env(project.env)
    add_project_to_sys_path(project)
    try:
        if module_name.endswith(".py") or "/" in module_name:
            file = (project.base_dir / Path(module_name).expanduser()).resolve()
            if not file.is_file():
                raise ConfigError(f"{where}: file {file} not found")
            module = import_file(file)
        else:
            module = importlib.import_module(module_name)
    except ConfigError:
        raise
    except Exception as exc:  # user code may raise anything while importing
        raise ConfigError(f"{where}: failed to import: {type(exc).__name__}: {exc}") from exc
    auth = getattr(module, attr, None)
    if not isinstance(auth, Auth):
        found = "nothing" if auth is None else type(auth).__name__
        raise ConfigError(f"{where}: expected a langgraph_sdk.Auth object, found {found}")
    handler = auth._authenticate_handler
    if handler is None:
        raise ConfigError(f"{where}: the Auth object has no @auth.authenticate handler")
    unsupported = [
        name
        for name, parameter in inspect.signature(handler).parameters.items()
        if name not in AUTHENTICATE_PARAMETERS and parameter.default is parameter.empty
    ]
    if unsupported:
        raise ConfigError(
            f"{where}: @auth.authenticate takes unsupported parameters {unsupported}; "
            f"supported: {sorted(AUTHENTICATE_PARAMETERS)}"
        )
    return auth
