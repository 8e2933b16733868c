"""One node that sleeps `sleep_s` seconds: a long-running step that holds an
activity slot and heartbeats while it waits."""

from __future__ import annotations

import asyncio
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    sleep_s: float
    slept: bool


async def sleep(state: State) -> State:
    await asyncio.sleep(state.get("sleep_s", 60.0))
    return {"slept": True}


builder = StateGraph(State)
builder.add_node("sleep", sleep)
builder.add_edge(START, "sleep")
builder.add_edge("sleep", END)
graph = builder.compile()
