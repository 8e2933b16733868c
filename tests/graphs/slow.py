"""Three steps in a row; step2 sleeps `sleep_s`. Each node marks its start and end."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from markers import mark


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]
    marker_file: str
    sleep_s: float


def _node(name: str, slow: bool = False):  # type: ignore[no-untyped-def]
    async def node(state: State) -> dict:
        mark(state.get("marker_file"), f"{name}:start")
        if slow:
            await asyncio.sleep(state.get("sleep_s", 0.0))
        mark(state.get("marker_file"), f"{name}:end")
        return {"visited": [name]}

    return node


builder = StateGraph(State)
builder.add_node("step1", _node("step1"))
builder.add_node("step2", _node("step2", slow=True))
builder.add_node("step3", _node("step3"))
builder.add_edge(START, "step1")
builder.add_edge("step1", "step2")
builder.add_edge("step2", "step3")
builder.add_edge("step3", END)
graph = builder.compile()
