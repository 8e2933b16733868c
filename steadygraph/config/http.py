"""The `http` section of langgraph.json, parsed and checked (nothing imported).

What each key does is LangGraph Server's: `app` is the user's own Starlette/FastAPI
app served beside the API, `cors` replaces the permissive default CORS policy,
`disable_<feature>` leaves a group of routes unserved, `configurable_headers` picks
request headers copied into a run's `config.configurable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from steadygraph.config.errors import ConfigError, json_type

__all__ = ["CORS_KEYS", "DISABLEABLE", "HeaderPatterns", "HttpConfig", "ImportRef", "parse_http"]

# `http.disable_<name>` flags and what they switch off (webhooks: see WebhookPolicy).
DISABLEABLE = (
    "assistants",
    "threads",
    "runs",
    "store",
    "meta",
    "ui",
    "mcp",
    "a2a",
    "webhooks",
)

# Starlette's CORSMiddleware takes these keyword arguments under the same names.
_CORS_LISTS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")
CORS_KEYS = (*_CORS_LISTS, "allow_credentials", "allow_origin_regex", "max_age")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ImportRef:
    """`<file or module>:<attribute>` as written in langgraph.json."""

    module: str
    attr: str

    @property
    def is_file(self) -> bool:
        m = self.module
        return m.endswith(".py") or "/" in m or "\\" in m or m.startswith(".")

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"


@dataclass(frozen=True)
class HeaderPatterns:
    """`includes`/`excludes` lists of header names where `*` matches anything."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        """Excludes win; without includes nothing is picked."""
        name = name.lower()
        if any(_glob(p).fullmatch(name) for p in self.excludes):
            return False
        return any(_glob(p).fullmatch(name) for p in self.includes)


def _glob(pattern: str) -> re.Pattern[str]:
    # Only `*` is special: a user pattern must never be a costly regex.
    return re.compile(".*".join(re.escape(part) for part in pattern.lower().split("*")), re.S)


@dataclass(frozen=True)
class HttpConfig:
    app: ImportRef | None = None
    cors: dict[str, Any] | None = None  # CORSMiddleware keyword arguments; None = default
    disabled: frozenset[str] = field(default_factory=frozenset)
    configurable_headers: HeaderPatterns | None = None
    enable_custom_route_auth: bool = False
    middleware_order: Literal["auth_first", "middleware_first"] = "middleware_first"

    def is_disabled(self, feature: str) -> bool:
        return feature in self.disabled


def parse_http(value: object, where: str) -> HttpConfig:
    """`where` is the file name; messages read `langgraph.json: http.cors.max_age: ...`."""
    if value is None:
        return HttpConfig()
    label = f"{where}: http"
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: must be an object, got {json_type(value)}")
    disabled = frozenset(
        name for name in DISABLEABLE if _bool(value, f"disable_{name}", f"{label}")
    )
    written = value.get("middleware_order")
    order: Literal["auth_first", "middleware_first"] = "middleware_first"
    if written == "auth_first":
        order = "auth_first"
    elif written not in (None, "middleware_first"):
        raise ConfigError(
            f'{label}.middleware_order: must be "auth_first" or "middleware_first", got {written!r}'
        )
    return HttpConfig(
        app=_import_ref(value.get("app"), f"{label}.app"),
        cors=_cors(value.get("cors"), f"{label}.cors"),
        disabled=disabled,
        configurable_headers=_patterns(
            value.get("configurable_headers"), f"{label}.configurable_headers"
        ),
        enable_custom_route_auth=_bool(value, "enable_custom_route_auth", label),
        middleware_order=order,
    )


def _bool(section: dict[str, Any], key: str, label: str) -> bool:
    value = section.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"{label}.{key}: must be true or false, got {json_type(value)}")
    return value


def _import_ref(value: object, label: str) -> ImportRef | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{label}: must be a string like './app.py:app', got {json_type(value)}")
    module, sep, attr = value.strip().rpartition(":")
    if not sep or not module or not all(_IDENTIFIER.fullmatch(p) for p in attr.split(".")):
        raise ConfigError(
            f"{label}: {value!r} must be '<file or module>:<attribute>', "
            'e.g. "./app.py:app" or "my_pkg.web:app"'
        )
    ref = ImportRef(module=module, attr=attr)
    if module.endswith((".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx")) or (
        ref.is_file and not module.endswith(".py")
    ):
        # A JS app needs LangGraph.js's server; the API here only runs Python.
        raise ConfigError(f"{label}: {module} is not a Python (.py) file")
    if not ref.is_file and not all(_IDENTIFIER.fullmatch(p) for p in module.split(".")):
        raise ConfigError(f"{label}: module {module!r} is not a valid dotted Python name")
    return ref


def _cors(value: object, label: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: must be an object, got {json_type(value)}")
    options: dict[str, Any] = {}
    for key in _CORS_LISTS:
        items = value.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{label}.{key}: must be a list of strings, got {items!r}")
        options[key] = list(items)
    credentials = value.get("allow_credentials")
    if credentials is not None:
        if not isinstance(credentials, bool):
            raise ConfigError(f"{label}.allow_credentials: must be true or false")
        options["allow_credentials"] = credentials
    regex = value.get("allow_origin_regex")
    if regex is not None:
        if not isinstance(regex, str):
            raise ConfigError(f"{label}.allow_origin_regex: must be a string")
        try:
            re.compile(regex)
        except re.error as exc:
            raise ConfigError(f"{label}.allow_origin_regex: not a valid regex: {exc}") from exc
        options["allow_origin_regex"] = regex
    max_age = value.get("max_age")
    if max_age is not None:
        if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
            raise ConfigError(f"{label}.max_age: must be a number of seconds, got {max_age!r}")
        options["max_age"] = max_age
    return options


def _patterns(value: object, label: str) -> HeaderPatterns | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: must be an object, got {json_type(value)}")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("includes", "excludes"):
        items = value.get(key)
        if items is None:
            lists[key] = ()
            continue
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{label}.{key}: must be a list of header names, got {items!r}")
        lists[key] = tuple(items)
    return HeaderPatterns(**lists)
