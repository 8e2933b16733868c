"""Which nodes a run's next step is named after and whether it has one at all,
on real LangGraph snapshots: a super-step whose nodes all wrote their results
before the worker died is still due (LangGraph's own `next` is empty then)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from steadygraph.activities.run_activities import due_nodes


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]


class Killed(Exception):
    pass


class DiesBeforeCheckpoint(InMemorySaver):
    """A worker killed after its node ended (its writes are stored) and before
    the super-step's checkpoint."""

    dead = False

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        if self.dead:
            raise Killed
        return await super().aput(config, checkpoint, metadata, new_versions)


def _graph(saver: InMemorySaver) -> Any:
    builder = StateGraph(State)
    for name in ("step1", "step2", "step3"):
        builder.add_node(name, lambda state, name=name: {"visited": [name]})
    builder.add_edge(START, "step1")
    builder.add_edge("step1", "step2")
    builder.add_edge("step2", "step3")
    builder.add_edge("step3", END)
    return builder.compile(checkpointer=saver)


async def test_a_super_step_whose_nodes_all_wrote_is_still_due() -> None:
    saver = DiesBeforeCheckpoint()
    graph = _graph(saver)
    config: Any = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke({"visited": []}, config, interrupt_after=["step1"])
    snapshot = await graph.aget_state(config)
    assert due_nodes(snapshot) == ["step2"] == list(snapshot.next)

    saver.dead = True
    with pytest.raises(Killed):
        await graph.ainvoke(None, config, interrupt_after="*")
    saver.dead = False
    snapshot = await graph.aget_state(config)
    assert snapshot.tasks[0].result == {"visited": ["step2"]}  # written, not committed
    assert snapshot.next == ()
    assert due_nodes(snapshot) == ["step2"]

    # Resuming commits step2 without running it again, then goes on.
    result = await graph.ainvoke(None, config)
    assert result["visited"] == ["step1", "step2", "step3"]
    assert due_nodes(await graph.aget_state(config)) == []
