"""`new_snapshots`: the states a step leaves to store, read in pages from the
thread's history until the checkpoint the step started from."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from steadygraph.activities.run_activities import new_snapshots


class State(TypedDict, total=False):
    count: Annotated[int, operator.add]


def _tick(state: State) -> State:
    return {"count": 1}


def _loop(limit: int) -> Any:
    builder = StateGraph(State)
    builder.add_node("tick", _tick)
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", lambda s: "tick" if s["count"] < limit else END)
    return builder.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize("steps_after", [0, 1, 2, 5, 21, 60])
async def test_every_checkpoint_after_the_given_one_newest_first(steps_after: int) -> None:
    graph = _loop(limit=100)
    config = {"configurable": {"thread_id": "t"}, "recursion_limit": 1000}
    async for _ in graph.astream({"count": 0}, config, interrupt_after=["tick"]):
        pass
    since = (await graph.aget_state(config)).config["configurable"]["checkpoint_id"]
    for _ in range(steps_after):
        async for _ in graph.astream(None, config, interrupt_after=["tick"]):
            pass
    everything = [s async for s in graph.aget_state_history(config)]

    snapshots = await new_snapshots(graph, config, since=since)

    ids = [s.config["configurable"]["checkpoint_id"] for s in snapshots]
    expected = [s.config["configurable"]["checkpoint_id"] for s in everything][:steps_after]
    assert ids == expected
    assert [s.values["count"] for s in snapshots] == [
        s.values["count"] for s in everything[:steps_after]
    ]


async def test_with_nothing_before_every_checkpoint_of_the_thread() -> None:
    graph = _loop(limit=30)
    config = {"configurable": {"thread_id": "t"}, "recursion_limit": 1000}
    async for _ in graph.astream({"count": 0}, config):
        pass
    everything = [s async for s in graph.aget_state_history(config)]
    assert len(everything) > 30

    snapshots = await new_snapshots(graph, config, since=None)

    assert [s.config for s in snapshots] == [s.config for s in everything]
