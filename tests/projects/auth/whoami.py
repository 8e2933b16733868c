"""A graph that reports who its run belongs to, from what the server put in
its config (`langgraph_auth_user*`), as LangGraph Server hands it over."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict


class State(TypedDict, total=False):
    value: int
    user_id: str | None
    display_name: str | None
    permissions: list[str] | None


def whoami(state: State, config: RunnableConfig) -> dict[str, Any]:
    configurable = config.get("configurable") or {}
    user = configurable.get("langgraph_auth_user")
    return {
        "user_id": configurable.get("langgraph_auth_user_id"),
        # By attribute, as LangGraph Server's user object is read.
        "display_name": user.display_name if user is not None else None,
        "permissions": configurable.get("langgraph_auth_permissions"),
    }


builder = StateGraph(State)
builder.add_node("whoami", whoami)
builder.add_edge(START, "whoami")
builder.add_edge("whoami", END)
graph = builder.compile()
