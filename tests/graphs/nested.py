"""A parent graph whose `child` node is a compiled subgraph; the subgraph
writes custom stream events with get_stream_writer()."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]


def inner(state: State) -> dict:
    get_stream_writer()({"progress": "inner ran"})
    return {"visited": ["inner"]}


child_builder = StateGraph(State)
child_builder.add_node("inner", inner)
child_builder.add_edge(START, "inner")
child_builder.add_edge("inner", END)
child = child_builder.compile()


def before(state: State) -> dict:
    get_stream_writer()({"progress": "before ran"})
    return {"visited": ["before"]}


builder = StateGraph(State)
builder.add_node("before", before)
builder.add_node("child", child)
builder.add_edge(START, "before")
builder.add_edge("before", "child")
builder.add_edge("child", END)
graph = builder.compile()
