"""The `checkpointer` section of langgraph.json: `ttl`, the time-to-live a thread
gets when it is created without one of its own (as LangGraph Server applies it)."""

from __future__ import annotations

from typing import Any

from steadygraph.config.errors import ConfigError, json_type

__all__ = ["parse_default_thread_ttl"]

_STRATEGIES = ("delete", "keep_latest")


def parse_default_thread_ttl(value: object, where: str) -> dict[str, Any] | None:
    """`{"strategy", "ttl"}` (minutes) as a thread's own `ttl` is written, or None."""
    if value is None:
        return None
    label = f"{where}: checkpointer"
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: must be an object, got {json_type(value)}")
    ttl = value.get("ttl")
    if ttl is None:
        return None
    if not isinstance(ttl, dict):
        raise ConfigError(f"{label}.ttl: must be an object, got {json_type(ttl)}")
    minutes = ttl.get("default_ttl")
    if minutes is None:
        return None
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
        raise ConfigError(f"{label}.ttl.default_ttl: must be a positive number of minutes")
    strategy = ttl.get("strategy", "delete")
    if strategy not in _STRATEGIES:
        raise ConfigError(
            f'{label}.ttl.strategy: must be "delete" or "keep_latest", got {strategy!r}'
        )
    return {"strategy": strategy, "ttl": float(minutes)}
