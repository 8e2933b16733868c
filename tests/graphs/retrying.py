"""`start`, then `unsteady`, which fails its first `fail_times` runs (counted
in the marker file, so across attempts and workers) and then succeeds."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from markers import mark, read_marks


class UnsteadyError(Exception):
    pass


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]
    marker_file: str
    fail_times: int


def start(state: State) -> dict:
    mark(state.get("marker_file"), "start")
    return {"visited": ["start"]}


def unsteady(state: State) -> dict:
    marker = state["marker_file"]
    failed = read_marks(marker).count("unsteady")
    mark(marker, "unsteady")
    if failed < state.get("fail_times", 0):
        raise UnsteadyError(f"attempt {failed + 1} fails on purpose")
    return {"visited": ["unsteady"]}


builder = StateGraph(State)
builder.add_node("start", start)
builder.add_node("unsteady", unsteady)
builder.add_edge(START, "start")
builder.add_edge("start", "unsteady")
builder.add_edge("unsteady", END)
graph = builder.compile()
