"""Long-term memory: nodes read and write the server's store.

`remember` (async) reaches it as `runtime.store`, `recall` (sync, so LangGraph
runs it in a thread) through an injected `store` argument; both are the store
the API's /store routes serve.
"""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore


class State(TypedDict, total=False):
    user_id: str
    memory: str
    recalled: list[str]
    seen_from_api: dict | None


def _namespace(state: State) -> tuple[str, ...]:
    return ("memories", state["user_id"])


async def remember(state: State, runtime: Runtime) -> dict:
    if runtime.store is None:
        raise RuntimeError("no store is bound to this graph")
    await runtime.store.aput(_namespace(state), "from-graph", {"text": state["memory"]})
    items = await runtime.store.asearch(_namespace(state), limit=100)
    return {"recalled": sorted(item.value["text"] for item in items)}


def recall(state: State, *, store: BaseStore) -> dict:
    seen = store.get(_namespace(state), "from-api")
    store.put(_namespace(state), "from-sync-node", {"text": f"{len(state['recalled'])} memories"})
    return {"seen_from_api": seen.value if seen else None}


builder = StateGraph(State)
builder.add_node("remember", remember)
builder.add_node("recall", recall)
builder.add_edge(START, "remember")
builder.add_edge("remember", "recall")
builder.add_edge("recall", END)
graph = builder.compile()
