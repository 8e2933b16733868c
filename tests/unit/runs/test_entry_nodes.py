"""A graph's static entry nodes: computed by workers from the graph, published
with its graph info, read (and cached) by the API for naming a run's first step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.constants import END, START
from langgraph.graph import StateGraph
from langgraph.types import Send

from steadygraph.assistants.graph_info import ENTRY, STATUS, static_entry_nodes
from steadygraph.runs.entry_nodes import EntryNodes
from steadygraph.storage import Storage, open_storage


class State(TypedDict, total=False):
    n: int


def _node(state: State) -> State:
    return {}


def _builder(*nodes: str) -> StateGraph:
    builder = StateGraph(State)
    for name in nodes:
        builder.add_node(name, _node)
    return builder


def test_plain_edges_from_start_are_the_entry() -> None:
    builder = _builder("a", "b", "c")
    builder.add_edge(START, "b")
    builder.add_edge(START, "a")
    builder.add_edge("a", "c")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    assert static_entry_nodes(builder.compile()) == ["a", "b"]


def test_a_branch_from_start_has_no_static_entry() -> None:
    builder = _builder("a", "b")
    builder.add_conditional_edges(START, lambda state: "a" if state.get("n") else "b")
    assert static_entry_nodes(builder.compile()) is None


def test_sends_from_start_have_no_static_entry() -> None:
    builder = _builder("a")
    builder.add_conditional_edges(START, lambda state: [Send("a", {"n": 1})])
    assert static_entry_nodes(builder.compile()) is None


def test_a_graph_without_a_builder_has_no_static_entry() -> None:
    class NotAStateGraph:
        pass

    assert static_entry_nodes(NotAStateGraph()) is None


def test_a_graph_compiled_to_stop_before_its_entry_has_no_static_entry() -> None:
    builder = _builder("a", "b")
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    assert static_entry_nodes(builder.compile(interrupt_before=["b"])) == ["a"]
    assert static_entry_nodes(builder.compile(interrupt_before=["a"])) is None
    assert static_entry_nodes(builder.compile(interrupt_before="*")) is None


@pytest.fixture
async def storage(tmp_path: Path) -> Any:
    opened = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'steadygraph.sqlite'}")
    try:
        yield opened
    finally:
        await opened.close()


async def _publish(storage: Storage, graph_id: str, nodes: list[str] | None, **status: Any) -> None:
    await storage.assistants.put_graph_info(
        graph_id,
        {(STATUS, ""): {"error": None, **status}, (ENTRY, ""): {"nodes": nodes}},
    )


async def test_the_api_reads_the_published_entry_and_caches_it(storage: Storage) -> None:
    entry = EntryNodes(ttl_s=3600)
    await _publish(storage, "agent", ["agent"])
    assert await entry.of(storage, "agent") == ["agent"]
    await _publish(storage, "agent", ["planner"])  # a deploy changed the graph
    assert await entry.of(storage, "agent") == ["agent"]  # still cached
    assert await EntryNodes(ttl_s=0).of(storage, "agent") == ["planner"]


async def test_no_entry_until_a_worker_publishes_and_that_is_not_cached(storage: Storage) -> None:
    entry = EntryNodes(ttl_s=3600)
    assert await entry.of(storage, "agent") is None
    await _publish(storage, "agent", ["agent"])
    assert await entry.of(storage, "agent") == ["agent"]


async def test_a_graph_without_a_static_entry_or_that_failed_to_load_has_none(
    storage: Storage,
) -> None:
    await _publish(storage, "branchy", None)
    await _publish(storage, "broken", ["agent"], error="ImportError: no module")
    entry = EntryNodes()
    assert await entry.of(storage, "branchy") is None
    assert await entry.of(storage, "broken") is None


async def test_only_runs_that_apply_new_input_and_go_on_start_from_the_entry(
    storage: Storage,
) -> None:
    def run(**kwargs: Any) -> dict[str, Any]:
        return {"kwargs": kwargs}

    await _publish(storage, "agent", ["agent"])
    entry = EntryNodes()
    assert await entry.for_run(storage, run(input={"messages": []}), "agent") == ["agent"]
    assert await entry.for_run(storage, run(), "agent") is None  # resumes the thread
    resume = run(input={"n": 1}, command={"resume": "yes"})
    assert await entry.for_run(storage, resume, "agent") is None
    fork = {"configurable": {"checkpoint_id": "1f0c8e2a-0000-6000-8000-000000000001"}}
    assert await entry.for_run(storage, run(input={"n": 1}, config=fork), "agent") is None
    stopped = run(input={"n": 1}, interrupt_before=["agent"])
    assert await entry.for_run(storage, stopped, "agent") is None
    everywhere = run(input={"n": 1}, interrupt_before="*")
    assert await entry.for_run(storage, everywhere, "agent") is None
    later = run(input={"n": 1}, interrupt_before=["tools"])
    assert await entry.for_run(storage, later, "agent") == ["agent"]
