"""`start` succeeds, then `fail` raises FlakyError every time it runs."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from markers import mark


class FlakyError(Exception):
    pass


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]
    marker_file: str


def start(state: State) -> dict:
    mark(state.get("marker_file"), "start")
    return {"visited": ["start"]}


def fail(state: State) -> dict:
    mark(state.get("marker_file"), "fail")
    raise FlakyError("flaky node failed on purpose")


builder = StateGraph(State)
builder.add_node("start", start)
builder.add_node("fail", fail)
builder.add_edge(START, "start")
builder.add_edge("start", "fail")
builder.add_edge("fail", END)
graph = builder.compile()
