"""`first`, then `long` (runs `node_s` seconds, marking a tick each second),
then `last`. With `blocking`, `long` is an async node that blocks its event
loop (time.sleep), as a synchronous HTTP or SDK call inside `async def` does.
Each node marks its start and end."""

from __future__ import annotations

import asyncio
import operator
import time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from markers import mark


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]
    marker_file: str
    node_s: float
    blocking: bool


def _node(name: str):  # type: ignore[no-untyped-def]
    async def node(state: State) -> dict:
        mark(state.get("marker_file"), f"{name}:start")
        mark(state.get("marker_file"), f"{name}:end")
        return {"visited": [name]}

    return node


async def long(state: State) -> dict:
    marker = state.get("marker_file")
    mark(marker, "long:start")
    left = state.get("node_s", 0.0)
    while left > 0:
        pause = min(1.0, left)
        if state.get("blocking"):
            time.sleep(pause)  # noqa: ASYNC251 - the point of this graph
        else:
            await asyncio.sleep(pause)
        left -= pause
        mark(marker, "long:tick")
    mark(marker, "long:end")
    return {"visited": ["long"]}


builder = StateGraph(State)
builder.add_node("first", _node("first"))
builder.add_node("long", long)
builder.add_node("last", _node("last"))
builder.add_edge(START, "first")
builder.add_edge("first", "long")
builder.add_edge("long", "last")
builder.add_edge("last", END)
graph = builder.compile()
