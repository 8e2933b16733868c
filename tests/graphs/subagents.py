"""A parent that plans, then hands over to a `researcher` subgraph whose
node streams a chat model's tokens. Both report progress through a named
stream-writer extension (`{"name": "progress", "payload": ...}`)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

FINDING = "fog rolls in at dusk"


class State(TypedDict, total=False):
    topic: str
    notes: Annotated[list[str], operator.add]
    finding: str


class ResearchState(TypedDict, total=False):
    topic: str
    finding: str


def plan(state: State) -> dict:
    get_stream_writer()({"name": "progress", "payload": {"stage": "plan"}})
    return {"notes": [f"plan: {state.get('topic', '')}"]}


def research(state: ResearchState) -> dict:
    get_stream_writer()({"name": "progress", "payload": {"stage": "research"}})
    model = GenericFakeChatModel(messages=iter([AIMessage(content=FINDING)]))
    reply = model.invoke(state.get("topic", ""))
    return {"finding": str(reply.content)}


researcher_builder = StateGraph(ResearchState)
researcher_builder.add_node("research", research)
researcher_builder.add_edge(START, "research")
researcher_builder.add_edge("research", END)

builder = StateGraph(State)
builder.add_node("plan", plan)
builder.add_node("researcher", researcher_builder.compile())
builder.add_edge(START, "plan")
builder.add_edge("plan", "researcher")
builder.add_edge("researcher", END)
graph = builder.compile()
