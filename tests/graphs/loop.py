"""One node that runs again and again until `count` reaches `target`: a run of
`target` super-steps (give it a `recursion_limit` above that)."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    count: int
    target: int


async def tick(state: State) -> State:
    return {"count": state.get("count", 0) + 1}


def again(state: State) -> str:
    return "tick" if state.get("count", 0) < state.get("target", 0) else END


builder = StateGraph(State)
builder.add_node("tick", tick)
builder.add_edge(START, "tick")
builder.add_conditional_edges("tick", again, ["tick", END])
graph = builder.compile()
