"""A parent graph whose subgraph stops at interrupt(): state inside a subgraph."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    answer: str


def ask(state: State) -> dict:
    return {"answer": interrupt("what now?")}


child_builder = StateGraph(State)
child_builder.add_node("ask", ask)
child_builder.add_edge(START, "ask")
child_builder.add_edge("ask", END)

builder = StateGraph(State)
builder.add_node("child", child_builder.compile())
builder.add_edge(START, "child")
builder.add_edge("child", END)
graph = builder.compile()
