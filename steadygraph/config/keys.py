"""Every key langgraph.json may hold, and what Steadygraph does with each.

LangGraph's schema allows these keys; a key Steadygraph serves is parsed where its
feature lives. A key it does not act on is never passed over in silence: either
start-up stops with one line naming it (when running without it would do something
the user did not ask for) or start-up prints one line naming it. A key the schema
does not have, a typo most likely, stops start-up with the closest known key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from steadygraph.config.errors import ConfigError
from steadygraph.config.http import CORS_KEYS, DISABLEABLE

__all__ = ["check_keys"]


@dataclass(frozen=True)
class _Notice:
    """Accepted, has no effect here: start-up prints `reason`."""

    reason: str


@dataclass(frozen=True)
class _BuildOnly:
    """Only `langgraph build` (the Docker image) reads it; noticed in one shared line."""


@dataclass(frozen=True)
class _Refused:
    """Running without it would surprise the user: start-up stops with `reason`."""

    reason: str


class _Open:
    """Served; its contents are free-form or checked by the feature that reads them."""


_OPEN = _Open()
_BUILD = _BuildOnly()

_Node = dict[str, Any] | _Open | _Notice | _BuildOnly | _Refused

_HEADER_PATTERNS: dict[str, _Node] = {"includes": _OPEN, "excludes": _OPEN}

_HTTP: dict[str, _Node] = {
    "app": _OPEN,
    "cors": dict.fromkeys(CORS_KEYS, _OPEN),
    **{f"disable_{name}": _OPEN for name in DISABLEABLE},
    "configurable_headers": _HEADER_PATTERNS,
    # Applied by the auth middleware when `auth` is configured; without auth they
    # change nothing, as in LangGraph Server.
    "enable_custom_route_auth": _OPEN,
    "middleware_order": _OPEN,
    "logging_headers": _Notice(
        "Steadygraph's API does not log request headers, so there is nothing to filter"
    ),
    "mount_prefix": _Refused(
        "serving the API under a URL prefix is not supported; serve it behind a "
        "reverse proxy that strips the prefix"
    ),
}

_SPEC: dict[str, _Node] = {
    "$schema": _OPEN,  # editors' schema hint
    "graphs": _OPEN,  # checked entry by entry in project.py
    "env": _OPEN,
    "dependencies": _OPEN,
    "auth": _OPEN,  # the auth feature checks its own block
    # Steadygraph's own settings (LangGraph's schema allows extra keys): run_policy.py.
    "steadygraph": _OPEN,
    "http": _HTTP,
    "store": {
        "index": {"dims": _OPEN, "embed": _OPEN, "fields": _OPEN},
        "ttl": {
            "default_ttl": _OPEN,
            "refresh_on_read": _OPEN,
            "sweep_interval_minutes": _OPEN,
            "omit_expired": _OPEN,
        },
    },
    "checkpointer": {
        "ttl": {
            "default_ttl": _OPEN,
            "strategy": _OPEN,
            "sweep_interval_minutes": _Notice(
                "not applied; expired threads are swept every STEADYGRAPH_TTL_SWEEP_INTERVAL "
                "seconds (default 60)"
            ),
            "sweep_limit": _Notice("not applied; every expired thread is swept each time"),
        },
        "path": _Refused(
            "a custom checkpointer is not supported: runs resume after a crash from "
            "Steadygraph's own durable checkpointer (SQLite or PostgreSQL); remove it"
        ),
        "serde": _Notice(
            "not applied: checkpoints use LangGraph's default serializer "
            "(JsonPlusSerializer with its default allow-lists)"
        ),
    },
    "webhooks": {
        "env_prefix": _OPEN,
        "headers": _OPEN,
        "allowed_fields": _OPEN,
        "url": {
            "allowed_domains": _OPEN,
            "allowed_ports": _OPEN,
            "disable_loopback": _OPEN,
            "disable_private_ips": _OPEN,
            "max_url_length": _OPEN,
            "require_https": _OPEN,
        },
    },
    "encryption": _Refused(
        "custom at-rest encryption is not supported; data would be stored unencrypted"
    ),
    "ui": _Notice(
        "generative UI components (JS/TS) are not built or served here; /ui routes are absent"
    ),
    # What `langgraph build` puts into a Docker image; Steadygraph runs in the
    # Python environment it is started from.
    **dict.fromkeys(
        (
            "python_version",
            "node_version",
            "pip_config_file",
            "pip_installer",
            "keep_pkg_tools",
            "dockerfile_lines",
            "base_image",
            "image_distro",
            "api_version",
            "source",
            "_INTERNAL_docker_tag",
        ),
        _BUILD,
    ),
}


def check_keys(raw: dict[str, Any], where: str) -> list[str]:
    """Check every key of a parsed langgraph.json; return the lines to print at start-up.

    Raises ConfigError for a key that is unknown or that Steadygraph refuses.
    """
    notices: list[str] = []
    build_only: list[str] = []
    _check(raw, _SPEC, "", where, notices, build_only)
    if build_only:
        notices.insert(
            0,
            f"{where}: {', '.join(build_only)}: only used by `langgraph build` for a Docker "
            "image; Steadygraph runs in the Python environment it was started from",
        )
    return notices


def _check(
    section: dict[str, Any],
    spec: dict[str, _Node],
    prefix: str,
    where: str,
    notices: list[str],
    build_only: list[str],
) -> None:
    for key, value in section.items():
        path = f"{prefix}{key}"
        if key not in spec:
            raise ConfigError(f"{where}: unknown key {path!r}{_suggestion(key, spec, prefix)}")
        node = spec[key]
        if _unset(value):
            continue
        if isinstance(node, dict):
            if isinstance(value, dict):  # a wrong type is reported by the key's parser
                _check(value, node, f"{path}.", where, notices, build_only)
        elif isinstance(node, _Refused):
            raise ConfigError(f"{where}: {path}: {node.reason}")
        elif isinstance(node, _Notice):
            notices.append(f"{where}: {path}: {node.reason}")
        elif isinstance(node, _BuildOnly):
            build_only.append(path)


def _unset(value: Any) -> bool:
    # `"dockerfile_lines": []` or `"ui": null` asks for nothing.
    return value is None or (isinstance(value, list | dict | str) and not value)


def _suggestion(key: str, spec: dict[str, _Node], prefix: str) -> str:
    close = difflib.get_close_matches(key, list(spec), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {prefix + close[0]!r}?)"
    known = ", ".join(k for k in spec if not k.startswith(("_", "$")))
    return f" (known keys{' of ' + prefix.rstrip('.') if prefix else ''}: {known})"
