"""A graph that imports the project's own `api`, `workflows` and `activities`."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph

from activities import RunActivities
from api import GREETING
from workflows import double


class State(TypedDict, total=False):
    value: int
    greeting: str
    origin: str


def step(state: State) -> State:
    return {
        "value": double(state.get("value", 1)),
        "greeting": GREETING,
        "origin": RunActivities.origin,
    }


builder = StateGraph(State)
builder.add_node("step", step)
builder.add_edge(START, "step")
builder.add_edge("step", END)
graph = builder.compile()
