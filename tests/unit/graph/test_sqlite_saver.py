"""OneHopSqliteSaver (steadygraph.graph.sqlite_saver) answers as LangGraph's
AsyncSqliteSaver does, on the same file, and each call is one aiosqlite call."""

from __future__ import annotations

import asyncio
import operator
import sqlite3
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from harness import aiosqlite_calls
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from steadygraph.graph.sqlite_saver import OneHopSqliteSaver


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _graph() -> Any:
    def first(state: State) -> dict[str, Any]:
        return {"log": ["first"]}

    def second(state: State) -> dict[str, Any]:
        answer = interrupt("ok?")
        return {"log": [f"second:{answer}"]}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder


def _comparable(t: Any) -> Any:
    return (t.config, t.parent_config, t.metadata, t.checkpoint["channel_values"], t.pending_writes)


async def test_same_answers_as_langgraphs_saver_on_the_same_file(tmp_path: Path) -> None:
    path = str(tmp_path / "checkpoints.sqlite")
    config: Any = {"configurable": {"thread_id": "t"}}
    async with OneHopSqliteSaver.from_conn_string(path) as saver:
        graph = _graph().compile(checkpointer=saver)
        await graph.ainvoke({"log": []}, config)  # stops at the interrupt: pending writes
        ours_head = await saver.aget_tuple(config)
        ours = [_comparable(t) async for t in saver.alist(config, limit=10)]
        ours_all = [_comparable(t) async for t in saver.alist(config)]
        state = await graph.aget_state(config)
        assert state.next == ("second",)
        assert state.values == {"log": ["first"]}
    async with AsyncSqliteSaver.from_conn_string(path) as theirs:
        their_head = await theirs.aget_tuple(config)
        assert ours_head is not None and their_head is not None
        assert _comparable(ours_head) == _comparable(their_head)
        assert ours == [_comparable(t) async for t in theirs.alist(config, limit=10)]
        assert ours_all == ours
        # What one saver wrote, the other resumes.
        from langgraph.types import Command

        graph = _graph().compile(checkpointer=theirs)
        done = await graph.ainvoke(Command(resume="yes"), config)
    assert done == {"log": ["first", "second:yes"]}


async def test_each_call_is_one_call_on_the_connection_thread(tmp_path: Path) -> None:
    config: Any = {"configurable": {"thread_id": "t"}}
    async with OneHopSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        await saver.setup()
        await _graph().compile(checkpointer=saver).ainvoke({"log": []}, config)
        with aiosqlite_calls() as calls:
            assert await saver.aget_tuple(config) is not None
            assert len(calls) == 1
            assert len([t async for t in saver.alist(config, limit=5)]) == 3
            assert len(calls) == 2


async def test_a_graph_on_another_loop_checkpoints_without_the_savers_loop(
    tmp_path: Path,
) -> None:
    """The graph's loop calls the saver itself (`calls_from_any_loop`): the
    loop that opened it may be busy or, as here, not running at all."""
    from steadygraph.activities.graph_loop import GraphLoop, LoopBoundCheckpointer

    config: Any = {"configurable": {"thread_id": "t"}}
    idle = asyncio.new_event_loop()  # never runs: a call handed to it would never end
    try:
        async with OneHopSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
            await saver.setup()
            bound = LoopBoundCheckpointer(saver, idle)
            assert bound.direct
            graph = _graph().compile(checkpointer=bound)
            await asyncio.wait_for(GraphLoop().run(graph.ainvoke({"log": []}, config)), 10)
            head = await saver.aget_tuple(config)
            assert head is not None and head.checkpoint["channel_values"]["log"] == ["first"]
            # LangGraph's own saver, whose calls hold a lock bound to one loop,
            # is still called on the loop that opened it.
            assert not LoopBoundCheckpointer(AsyncSqliteSaver(saver.conn), idle).direct
    finally:
        idle.close()


async def test_statements_of_one_transaction_commit_together_or_not_at_all(
    tmp_path: Path,
) -> None:
    config: Any = {"configurable": {"thread_id": "t"}}
    async with OneHopSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        await _graph().compile(checkpointer=saver).ainvoke({"log": []}, config)
        before = len([t async for t in saver.alist(config, limit=10)])
        with pytest.raises(sqlite3.OperationalError):
            await saver.atransaction(
                [
                    ("DELETE FROM checkpoints WHERE thread_id = ?", ("t",)),
                    ("DELETE FROM no_such_table WHERE thread_id = ?", ("t",)),
                ]
            )
        assert len([t async for t in saver.alist(config, limit=10)]) == before > 0
        await saver.atransaction(
            [
                ("DELETE FROM writes WHERE thread_id = ?", ("t",)),
                ("DELETE FROM checkpoints WHERE thread_id = ?", ("t",)),
            ]
        )
        assert [t async for t in saver.alist(config, limit=10)] == []
