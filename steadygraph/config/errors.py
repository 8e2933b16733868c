"""The error every langgraph.json problem is reported with, and how messages name JSON types."""

from __future__ import annotations

__all__ = ["ConfigError", "json_type"]


class ConfigError(Exception):
    """A user-facing problem with the project configuration.

    The message is meant to be printed as-is: it names the config file and the
    offending entry, e.g. ``langgraph.json: graphs['agent']: file ./agent.py not found``.
    """


def json_type(value: object) -> str:
    """How a config error names the JSON type it got."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
