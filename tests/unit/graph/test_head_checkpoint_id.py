"""`head_checkpoint_id` reads a thread's newest root checkpoint id without
loading it, on the checkpointers `open_checkpointer` opens (a SQLite file, a
fresh PostgreSQL database): the same id `aget_tuple` finds, subgraph
namespaces and other threads left out."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import head_checkpoint_id, open_checkpointer


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _graph(saver: Any) -> Any:
    inner = StateGraph(State)
    inner.add_node("inside", lambda state: {"log": ["inside"]})
    inner.add_edge(START, "inside")
    inner.add_edge("inside", END)
    outer = StateGraph(State)
    outer.add_node("first", lambda state: {"log": ["first"]})
    outer.add_node("sub", inner.compile())
    outer.add_edge(START, "first")
    outer.add_edge("first", "sub")
    outer.add_edge("sub", END)
    return outer.compile(checkpointer=saver)


async def test_the_newest_root_checkpoint_of_the_thread(settings: Settings) -> None:
    async with open_checkpointer(settings) as saver:
        assert await head_checkpoint_id(saver, "t") is None
        graph = _graph(saver)
        config: Any = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"log": []}, config)
        await graph.ainvoke({"log": []}, {"configurable": {"thread_id": "other"}})
        head = await saver.aget_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}})
        assert head is not None
        assert await head_checkpoint_id(saver, "t") == head.config["configurable"]["checkpoint_id"]
        # The subgraph wrote checkpoints of its own namespace after some of the root's.
        namespaces = {t.config["configurable"]["checkpoint_ns"] async for t in saver.alist(None)}
        assert len(namespaces) > 1
