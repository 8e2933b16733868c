"""The RunnableConfig and context a run's graph sees: the assistant's, then the run's own."""

from __future__ import annotations

from typing import Any

from steadygraph.auth.users import AuthUser
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.tracing import node_span_callbacks


def graph_config(run: dict[str, Any], assistant: dict[str, Any], attempt: int) -> dict[str, Any]:
    assistant_config = assistant.get("config") or {}
    run_config = RunKwargs.of(run).config
    config: dict[str, Any] = {**assistant_config, **run_config}
    config["configurable"] = {
        **(assistant_config.get("configurable") or {}),
        **(run_config.get("configurable") or {}),
    }
    # A fork point is only for applying the input; later steps follow the thread's head.
    config["configurable"].pop("checkpoint_id", None)
    user = config["configurable"].get("langgraph_auth_user")
    if isinstance(user, dict) and isinstance(user.get("identity"), str):
        # Read by attribute (`user.identity`) or key, as LangGraph Server hands it over.
        config["configurable"]["langgraph_auth_user"] = AuthUser(user)
    config["configurable"]["checkpoint_ns"] = ""
    config["metadata"] = {
        **(assistant_config.get("metadata") or {}),
        **(run_config.get("metadata") or {}),
        "run_attempt": attempt,
    }
    if callbacks := node_span_callbacks():
        config["callbacks"] = callbacks
    return config


def graph_context(run: dict[str, Any], assistant: dict[str, Any]) -> dict[str, Any] | None:
    context = {**(assistant.get("context") or {}), **RunKwargs.of(run).context}
    return context or None


def node_list(value: Any) -> list[str]:
    """interrupt_before/after as given by a client or compiled into a graph."""
    if value in (None, "", []):
        return []
    if value == "*" or value == ["*"]:
        return ["*"]
    return [str(v) for v in value]
