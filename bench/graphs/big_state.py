"""A thread whose state holds `size` bytes: the first step writes the blob,
then `steps` more steps each change only a small counter (the blob stays in
the state, as a long conversation's history does)."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    size: int
    steps: int
    blob: str
    count: int


async def fill(state: State) -> State:
    return {"blob": "x" * state.get("size", 5 * 1024 * 1024), "count": 0}


async def tick(state: State) -> State:
    return {"count": state.get("count", 0) + 1}


def again(state: State) -> str:
    return "tick" if state.get("count", 0) < state.get("steps", 0) else END


builder = StateGraph(State)
builder.add_node("fill", fill)
builder.add_node("tick", tick)
builder.add_edge(START, "fill")
builder.add_conditional_edges("fill", again, ["tick", END])
builder.add_conditional_edges("tick", again, ["tick", END])
graph = builder.compile()
