"""langgraph.json's `http.configurable_headers`: request headers a run's graph
reads from `config["configurable"]`, as LangGraph Server copies them.

The API's HTTP layer records the headers of the request being served
(:data:`REQUEST_HEADERS`); a run submitted while serving it picks the ones the
patterns include. Runs started by a cron have no request, so none.
"""

from __future__ import annotations

from contextvars import ContextVar

from steadygraph.config.http import HeaderPatterns

__all__ = ["REQUEST_HEADERS", "configurable_headers"]

# (lower-case name, value) pairs of the HTTP request being served.
REQUEST_HEADERS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar(
    "steadygraph_request_headers", default=()
)

# Credentials never reach a graph's config, whatever the patterns say.
_NEVER = frozenset({"authorization", "x-api-key", "x-service-key", "x-tenant-id", "cookie"})


def configurable_headers(patterns: HeaderPatterns | None) -> dict[str, str]:
    if patterns is None:
        return {}
    return {
        name: value
        for name, value in REQUEST_HEADERS.get()
        if name not in _NEVER and patterns.matches(name)
    }
