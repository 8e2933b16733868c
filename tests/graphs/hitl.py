"""Human in the loop: `ask` calls interrupt() and waits for an answer."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    request: str
    answer: str | None
    approved: bool | None
    result: str | None


def ask(state: State) -> dict:
    answer = interrupt({"question": "Do you approve this request?", "request": state["request"]})
    return {"answer": answer, "approved": answer == "yes"}


def act(state: State) -> dict:
    return {"result": "done" if state.get("approved") else "refused"}


builder = StateGraph(State)
builder.add_node("ask", ask)
builder.add_node("act", act)
builder.add_edge(START, "ask")
builder.add_edge("ask", "act")
builder.add_edge("act", END)
graph = builder.compile()
